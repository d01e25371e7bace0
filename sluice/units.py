"""Physical quantities as structured mentions converted to SI: "12 mph", "5,000 tonnes",
"1.5 mln barrels per day", "30 kilometres an hour", "210lbs", "13 to 14,000 feet"
-> value and unit as written plus (si_value, si_unit).

Unit names, aliases, symbols and factors come from pint's registry (`unit_table`), built on
first use and cached, so importing this module costs nothing. Which units are read is
chosen in `sluice.unit_names`.

Conventions where English is ambiguous: "tons" are US short tons (metric ones are
"tonnes"), "deadweight tons" and displacement tons are long tons, "gross tons" are register
tons (100 cubic feet), "ounces" are troy ounces when the sentence is about precious metals,
a year is 365 days, temperatures are kelvin. Rates ("per day", "a year", "an hour",
"per hectare", "annually", "bpd") divide by the SI unit of what they are per.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from sluice import caches
from sluice.numbers import NUMBER, SCALE, SCALES, parse_number
from sluice.unit_names import (
    ADVERBS,
    CASE_SENSITIVE,
    SAFE_SYMBOLS,
    SI_NAMED,
    SI_SYMBOLS,
    TIMES,
    UNITS,
)

Unit = tuple[str, float, float, str]  # SI unit, factor, offset (temperatures), pint expression

_SMALL = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty "
                                         "ninety".split(), start=2)}
_WORD = (rf"(?:(?:{'|'.join(_TENS)})(?:[- ](?:{'|'.join(list(_SMALL)[1:10])}))?"
         rf"|{'|'.join(sorted(_SMALL, key=len, reverse=True))}|a(?= (?:hundred|thousand)))"
         r"(?:[ -]hundred)?")
_NUM = rf"(?:{NUMBER})(?: [1-9]/\d{{1,2}}(?![\d/]))?|{_WORD}\b"
_NOT_AFTER = r"(?<![\w.,$£€¥/])"
# The guard first: it turns away most positions in running text before the alternations run
_SIGNED = (rf"(?=[-.\d]|minus\b|\b[aefnostz])(?P<sign>\bminus |(?<![\w.,-])-(?=\d))?"
           rf"{_NOT_AFTER}(?P<num>{_NUM})")
_PRECIOUS = re.compile(r"\b(?:gold|silver|platinum|palladium|bullion)\b", re.IGNORECASE)
_MONEY_BEFORE = re.compile(
    r"(?:\b(?:sum|paid|pay|paying|cost|costs|worth|prices?|fees?|fined?|euros?|dollars?|dlrs"
    r"|stg|sterling|salary|profit|valued?|valuation|market|revenues?|sales|cash)\b|[$£€¥])"
    r"[^.;]{0,50}$", re.IGNORECASE)
_POUND_MONEY_AFTER = re.compile(r"\s*(?:sterling|stg)\b", re.IGNORECASE)
_WEIGHT = re.compile(r"\bweigh", re.IGNORECASE)
_DIFFERENCE = re.compile(r"\)?,?\s+(?:above|below|higher|lower|warmer|colder|cooler|hotter|"
                         r"more|less|up|down)\b", re.IGNORECASE)
_NOT_A_RATE = r"(?! ago\b| earlier\b| before\b| later\b)"


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
    path = caches.cache_dir() / f"units-{key}.json"
    try:
        return {k: (v[0], v[1], v[2], v[3]) for k, v in json.loads(path.read_text()).items()}
    except (OSError, ValueError, IndexError):
        pass
    table = _build_table()
    try:  # a read-only home only costs the next process the build again
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(table))
        partial.replace(path)  # atomic: a worker starting alongside never reads half a file
    except OSError:
        pass
    return table


def _build_table() -> dict[str, Unit]:
    table: dict[str, Unit] = {}
    for expr in [*TIMES.values(), "troy_ounce", "long_ton"]:
        table.setdefault(f"<{expr}>", _to_si(expr))
    for expr, read_names, extra in UNITS:
        unit = _to_si(expr)
        forms = {*extra, *(_pint_forms(expr) if read_names else ())}
        for form in forms:
            for written in (form, *_plurals(form)):
                table.setdefault(_key(written), unit)
    return table


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    units = _alternatives(unit_table())
    times = "|".join(sorted(TIMES, key=len, reverse=True))
    adverbs = "|".join(ADVERBS)
    per = (rf"(?:\s?/\s?|\s(?:per|an?|each|every)\s)(?P<per>{times}|{units})(?![\w])"
           rf"|(?P<of>(?: of(?: [a-z]+){{1,3}}?)?)(?:\s(?:per|an?|each|every)\s"
           rf"(?P<pert>{times})|\s(?P<adv>{adverbs}))\b")
    return re.compile(rf"{_SIGNED}(?:[ -](?P<scale>{SCALE}))?[ -]?"
                      rf"(?P<unit>{units})(?![\w])(?:(?:{per}){_NOT_A_RATE})?", re.IGNORECASE)


def find_units(text: str, skip: list[tuple[int, int]] | None = None) -> list[dict[str, Any]]:
    """Quantities in text order; `skip` spans (money mentions) are left out."""
    found = []
    for m in _pattern().finditer(text):
        if any(s <= m.start() < e for s, e in skip or ()) or _not_a_quantity(text, m):
            continue
        si_unit, factor, offset = _si(text, m)
        unit = text[m.start("unit"):m.end()]
        for start, end, value in [*_chained(text, m), (m.start(), m.end(), _value(m))]:
            found.append({"text": text[start:end], "start": start, "end": end, "value": value,
                          "unit": unit, "si_value": _round(value * factor + offset),
                          "si_unit": si_unit})
    return sorted(found, key=lambda f: f["start"])


def _not_a_quantity(text: str, m: re.Match[str]) -> bool:
    unit, before = m.group("unit").lower(), text[max(0, m.start() - 60):m.start()]
    if unit in ("pound", "pounds") and not m.group("of") and not _WEIGHT.search(
            _sentence(text, m.start())):
        return bool(_MONEY_BEFORE.search(before) or _POUND_MONEY_AFTER.match(text, m.end()))
    if unit == "mm":  # "valuation under 10 mm": millions
        return bool(_MONEY_BEFORE.search(before))
    if unit in ("ton", "tons") and re.match(r"\s+burthen\b", text[m.end():]):
        return True  # an old ship measure with no fixed SI value
    if unit == "feet":
        return before.lower().endswith("size ")  # "his size 14 feet"
    return False


def _si(text: str, m: re.Match[str]) -> tuple[str, float, float]:
    table, written = unit_table(), m.group("unit")
    si_unit, factor, offset, expr = table.get(_key(written)) or table[_key(written.lower())]
    if expr == "ounce" and _PRECIOUS.search(_sentence(text, m.start())):
        si_unit, factor, offset, expr = table["<troy_ounce>"]
    if expr == "ton" and re.match(r"[\w ]{0,12}\bdisplacement", text[m.end("unit"):]):
        si_unit, factor, offset, expr = table["<long_ton>"]  # "13,500 tons displacement"
    per = m.group("per") or m.group("pert") or ADVERBS.get((m.group("adv") or "").lower())
    if per:
        per_si, per_factor, _, _ = (table.get(_key(per)) or table.get(_key(per.lower()))
                                    or table[f"<{TIMES[per.lower()]}>"])
        si_unit, factor = f"{si_unit}/{per_si}", factor / per_factor
    if offset and (per or _DIFFERENCE.match(text, m.end())):
        offset = 0.0  # "2.6 degrees Celsius cooler" is a difference, not a temperature
    return si_unit, factor, offset


def _chained(text: str, m: re.Match[str]) -> list[tuple[int, int, float]]:
    """Earlier numbers of a range or list share the unit: "5,000 to 8,000 tonnes",
    "10-12 lbs", "8 1/2 by 11 inch"; "13 to 14,000 feet" shares the thousands too."""
    link = re.compile(rf"{_SIGNED}(?: (?P<scale>{SCALE}))?"
                      r"(?:,? (?:to|and|or|by)|,|-| x) ?$", re.IGNORECASE)
    found, end, last = [], m.start(), m
    while (prev := link.search(text, max(0, end - 50), end)) is not None:
        if re.fullmatch(r"(?:1[6-9]|20)\d\d", prev.group("num")):
            break  # "in 1987, 30 mln tonnes": a year, not part of a list
        value = _value(prev)
        if prev.group("scale") is None and last.group("scale") and value < 1000:
            value = round(value * SCALES[last.group("scale").lower().rstrip(".")], 6)
        elif prev.group("scale") is None and (zeros := re.search(r"(?:,000)+$", last["num"])):
            shared = value * 1000 ** zeros.group().count(",")
            if "," not in prev.group("num") and _value(last) / 10 <= shared < _value(last):
                value = shared  # "13 to 14,000 feet"
        found.append((prev.start(), prev.end("scale") if prev.group("scale") else
                      prev.end("num"), value))
        end, last = prev.start(), prev
    return found[::-1]


def _value(m: re.Match[str]) -> float:
    number = m.group("num")
    whole, _, fraction = number.partition(" ")
    if whole[0].isdigit() or whole[0] == ".":
        value = parse_number(whole)
        if fraction:  # "7 1/2 feet"
            num, den = fraction.split("/")
            value += int(num) / int(den)
    else:
        value = _word_value(number)
    scale, sign = m.group("scale"), -1 if m.group("sign") else 1
    return round(sign * value * (SCALES[scale.lower().rstrip(".")] if scale else 1.0), 6)


def _word_value(words: str) -> float:
    value = 0.0
    for word in re.split(r"[ -]", words.lower()):
        if word == "hundred":
            value = (value or 1) * 100
        else:
            value += _SMALL.get(word, _TENS.get(word, 1 if word == "a" else 0))
    return value


def _to_si(expr: str) -> Unit:
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
    num = [_symbol(u, p) for u, p in powers.items() if p > 0 and u in SI_SYMBOLS]
    den = [_symbol(u, -p) for u, p in powers.items() if p < 0 and u in SI_SYMBOLS]
    name = ("Bq" if activity else "*".join(num) or "1") + "".join(f"/{d}" for d in den)
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


def _key(form: str) -> str:
    return form if form in CASE_SENSITIVE else re.sub(r"\s+", " ", form.lower())


def _alternatives(table: dict[str, Unit]) -> str:
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


def _sentence(text: str, at: int) -> str:
    start = max(text.rfind(". ", 0, at), text.rfind("\n", 0, at), 0)
    end = min((i for i in (text.find(". ", at), text.find("\n", at)) if i >= 0),
              default=len(text))
    return text[start:end]


def _round(value: float) -> float:
    return float(f"{value:.9g}")
