"""Physical quantities as structured mentions converted to SI: "12 mph", "5,000 tonnes",
"1.5 mln barrels per day" -> value and unit as written plus (si_value, si_unit).

Conventions where English is ambiguous: "tons" are US short tons (metric ones are
"tonnes"), "ounces" are troy ounces when the sentence is about precious metals, a year
is 365 days. Rates ("per day", "a year", "bpd") become per-second SI units.
"""

from __future__ import annotations

import re
from typing import Any

from sluice.numbers import amount_pattern, find_amounts

_DAY, _YEAR = 86_400.0, 365 * 86_400.0
_BARREL, _TROY_OUNCE = 0.158987294928, 0.0311034768
# unit text -> (SI unit, factor)
_UNITS: dict[str, tuple[str, float]] = {
    **dict.fromkeys(("tonnes", "tonne", "metric tons", "metric tonnes", "metric ton"),
                    ("kg", 1000.0)),
    **dict.fromkeys(("tons", "ton", "short tons", "short ton"), ("kg", 907.18474)),
    **dict.fromkeys(("long tons", "long ton"), ("kg", 1016.0469088)),
    **dict.fromkeys(("kilos", "kilo", "kilograms", "kilogram", "kg", "kgs"), ("kg", 1.0)),
    **dict.fromkeys(("grams", "gram"), ("kg", 0.001)),
    **dict.fromkeys(("lbs", "lb", "pounds", "pound"), ("kg", 0.45359237)),
    **dict.fromkeys(("ounces", "ounce", "ozs", "oz"), ("kg", 0.028349523125)),
    **dict.fromkeys(("troy ounces", "troy ounce", "troy oz"), ("kg", _TROY_OUNCE)),
    **dict.fromkeys(("carats", "carat"), ("kg", 0.0002)),
    **dict.fromkeys(("barrels", "barrel", "bbl", "bbls"), ("m3", _BARREL)),
    **dict.fromkeys(("gallons", "gallon"), ("m3", 0.003785411784)),
    **dict.fromkeys(("litres", "liters", "litre", "liter"), ("m3", 0.001)),
    **dict.fromkeys(("hectolitres", "hectoliters"), ("m3", 0.1)),
    **dict.fromkeys(("cubic feet", "cu ft"), ("m3", 0.028316846592)),
    **dict.fromkeys(("cubic metres", "cubic meters", "cu m"), ("m3", 1.0)),
    **dict.fromkeys(("bushels", "bushel"), ("m3", 0.03523907016688)),
    **dict.fromkeys(("miles", "mile"), ("m", 1609.344)),
    **dict.fromkeys(("nautical miles",), ("m", 1852.0)),
    **dict.fromkeys(("kilometres", "kilometers", "km", "kms"), ("m", 1000.0)),
    **dict.fromkeys(("metres", "meters", "metre", "meter"), ("m", 1.0)),
    **dict.fromkeys(("feet", "foot", "ft"), ("m", 0.3048)),
    **dict.fromkeys(("inches", "inch"), ("m", 0.0254)),
    **dict.fromkeys(("yards", "yard"), ("m", 0.9144)),
    **dict.fromkeys(("acres", "acre"), ("m2", 4046.8564224)),
    **dict.fromkeys(("hectares", "hectare", "ha"), ("m2", 10_000.0)),
    **dict.fromkeys(("square miles", "sq miles"), ("m2", 2_589_988.110336)),
    **dict.fromkeys(("square kilometres", "square kilometers", "sq km"), ("m2", 1e6)),
    **dict.fromkeys(("square feet", "sq ft"), ("m2", 0.09290304)),
    **dict.fromkeys(("mph", "miles per hour", "miles an hour"), ("m/s", 0.44704)),
    **dict.fromkeys(("kph", "km/h", "kilometres per hour", "kilometers per hour"),
                    ("m/s", 1 / 3.6)),
    **dict.fromkeys(("knots",), ("m/s", 1852 / 3600)),
    **dict.fromkeys(("megawatts", "megawatt", "mw"), ("W", 1e6)),
    **dict.fromkeys(("kilowatts", "kilowatt", "kw"), ("W", 1e3)),
    **dict.fromkeys(("gigawatts", "gw"), ("W", 1e9)),
    **dict.fromkeys(("kilowatt hours", "kilowatt-hours", "kwh"), ("J", 3.6e6)),
    **dict.fromkeys(("megawatt hours", "mwh"), ("J", 3.6e9)),
    **dict.fromkeys(("btus", "btu"), ("J", 1055.05585262)),
    **dict.fromkeys(("bpd", "b/d", "bpsd"), ("m3/s", _BARREL / _DAY)),
}
_RATES = {"day": _DAY, "year": _YEAR}
_RATE = r"(?:(?: of [a-z]+)? (?:per|a) (?P<per>day|year)|/(?P<per2>day|year))?"
_NAMES = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
_PATTERN = amount_pattern(rf"(?:{_NAMES})(?![\w/]){_RATE}", "metric|short|long|troy")
_PRECIOUS = re.compile(r"\b(?:gold|silver|platinum|palladium|bullion)\b", re.IGNORECASE)


def find_units(text: str, skip: list[tuple[int, int]] | None = None) -> list[dict[str, Any]]:
    """Quantities in text order; `skip` spans (money mentions) are left out."""
    found = []
    for a in find_amounts(text, _PATTERN):
        if any(s <= a.start < e for s, e in skip or ()):
            continue
        unit, per = _split_rate(a.unit)
        key = f"{a.qualifier.lower()} {unit}".strip()
        si_unit, factor = _UNITS.get(key, _UNITS.get(unit, ("", 0.0)))
        if not si_unit:
            continue
        if key in ("ounces", "ounce", "ozs", "oz") and _PRECIOUS.search(_sentence(text, a.start)):
            factor = _TROY_OUNCE
        if per:
            si_unit, factor = f"{si_unit}/s", factor / _RATES[per]
        found.append({"text": text[a.start:a.end], "start": a.start, "end": a.end,
                      "value": a.value, "unit": a.unit, "si_value": _round(a.value * factor),
                      "si_unit": si_unit})
    return found


def _split_rate(unit: str) -> tuple[str, str | None]:
    m = re.match(rf"(.+?){_RATE}$", unit, re.IGNORECASE)
    assert m is not None  # the pattern matched this text
    per = m.group("per") or m.group("per2")
    return re.sub(r"\s+", " ", m.group(1).lower()), per.lower() if per else None


def _sentence(text: str, at: int) -> str:
    start = max(text.rfind(". ", 0, at), text.rfind("\n", 0, at), 0)
    end = min((i for i in (text.find(". ", at), text.find("\n", at)) if i >= 0),
              default=len(text))
    return text[start:end]


def _round(value: float) -> float:
    return float(f"{value:.9g}")
