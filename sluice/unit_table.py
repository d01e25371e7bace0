"""The unit table of `sluice.units`: every surface form of the chosen units (`sluice.unit_names`)
with its SI unit and factor, read from pint's registry once and kept in the user cache folder,
so a later process reads it in milliseconds and never imports pint.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from sluice import caches
from sluice.unit_names import CASE_SENSITIVE, SAFE_SYMBOLS, SI_NAMED, SI_SYMBOLS, TIMES, UNITS

Unit = tuple[str, float, float, str]  # SI unit, factor, offset (temperatures), pint expression


@lru_cache(maxsize=1)
def _registry() -> Any:
    import pint  # with its registry ~1 s: paid once per process, on the first quantity

    return pint.UnitRegistry(cache_folder=None)


@lru_cache(maxsize=1)
def unit_table() -> dict[str, Unit]:
    """Surface form (lower case unless case-sensitive) -> unit, from pint's definitions.

    Building it means creating pint's registry (~1 s), so the derived table is kept in the
    user's cache folder, keyed by the pint version and the unit choice; a later process
    reads it in milliseconds and never imports pint."""
    from importlib.metadata import version

    from sluice import unit_names

    # any edit to the unit choice or to this module, or another pint, makes a new table
    sources = b"".join(Path(f).read_bytes() for f in (__file__, unit_names.__file__))
    key = hashlib.sha1(sources + version("pint").encode()).hexdigest()[:12]
    table = caches.cached_json("units", key, _build_table)
    return {k: (v[0], v[1], v[2], v[3]) for k, v in table.items()}


def _build_table() -> dict[str, Unit]:
    table: dict[str, Unit] = {}
    for expr in [*TIMES.values(), "troy_ounce", "long_ton"]:
        table.setdefault(f"<{expr}>", to_si(expr))
    for expr, read_names, extra in UNITS:
        unit = to_si(expr)
        forms = {*extra, *(_pint_forms(expr) if read_names else ())}
        for form in forms:
            for written in (form, *_plurals(form)):
                table.setdefault(key(written), unit)
    return table


def to_si(expr: str) -> Unit:
    reg = _registry()
    if re.fullmatch(r"\w+", expr):  # one unit, maybe with an offset: degree_Celsius
        zero, one = (reg.Quantity(v, expr).to_base_units() for v in (0, 1))
    else:  # "100 * foot ** 3", "(oil_barrel) / (day)": no offsets
        one = reg.parse_expression(expr).to_base_units()
        zero = one * 0
    powers = dict(one._units)
    activity = "count" in powers and powers.get("second") == -1
    if activity:
        del powers["second"]  # counts per second are becquerels: "mCi/kg" -> Bq/kg
    # sorted: pint lists base units in no fixed order ("m2*kg/s3" for hp, "kg*m2/s3" for kW)
    num = sorted(_symbol(u, p) for u, p in powers.items() if p > 0 and u in SI_SYMBOLS)
    den = [_symbol(u, -p) for u, p in powers.items() if p < 0 and u in SI_SYMBOLS]
    name = ("Bq" if activity else "*".join(num) or "1") + "".join(f"/{d}" for d in den)
    if name == "1" and " / " in expr:  # a grade, "g/t": kg/kg, as "grammes per tonne" reads
        name = "/".join(to_si(part)[0] for part in expr.split(" / "))
    return (SI_NAMED.get(name, name), float(one.magnitude - zero.magnitude),
            float(zero.magnitude), expr)


def _symbol(unit: str, power: float) -> str:
    return SI_SYMBOLS[unit] + (str(int(power)) if power != 1 else "")


def _pint_forms(expr: str) -> set[str]:
    reg = _registry()
    prefix, base, _ = reg.parse_unit_name(expr)[0]
    definition = reg._units[base]
    forms = {prefix + n for n in (definition.name, *definition.aliases)}
    symbol = (reg._prefixes[prefix].symbol if prefix else "") + definition.symbol
    forms = {f.replace("_", " ") for f in forms if re.fullmatch(r"[a-z]+(?:_[a-z]+)?", f)
             and not f.startswith(("international", "avdp", "avoirdupois", "liquid", "ozt"))}
    if symbol in SAFE_SYMBOLS or re.fullmatch(r"(?:sq|cu)_[a-z]+", symbol):
        forms.add(symbol.replace("_", " "))
    return forms


def _plurals(form: str) -> tuple[str, ...]:
    last = form.rsplit(" ", 1)[-1].lower()
    if (len(last) < 4 and last != "ton" or not last.isalpha() or last[-1] in "sz" or last in (
            "hour", "feet", "foot", "squared", "celsius", "fahrenheit", "centigrade",
            "horsepower")):
        return ()
    return (form + ("es" if last.endswith(("ch", "sh", "x")) else "s"),)


def key(form: str) -> str:
    return form if form in CASE_SENSITIVE else re.sub(r"\s+", " ", form.lower())


def alternatives(table: dict[str, Unit]) -> str:
    """One regex for all forms, as a trie: Python tries alternatives one by one, so 300 flat
    ones cost ~3x more at every number in the text."""
    forms = [f for f in table if not f.startswith("<")]  # "<day>": rates' own entries
    sensitive = [f"(?-i:{re.escape(f)})" for f in forms if f in CASE_SENSITIVE]
    return "|".join([*sensitive, _trie([f for f in forms if f not in CASE_SENSITIVE])])


def _trie(forms: list[str]) -> str:
    if forms == [""]:
        return ""
    heads: dict[str, list[str]] = {}
    for form in forms:
        if form:
            heads.setdefault(form[0], []).append(form[1:])
    branches = [(r"\s" if head == " " else re.escape(head)) + _trie(tails)
                for head, tails in sorted(heads.items())]
    body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
    if "" not in forms:
        return body
    return f"(?:{body})?" if len(branches) > 1 or len(body) > 1 else f"{body}?"
