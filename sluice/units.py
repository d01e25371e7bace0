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

import re
from functools import lru_cache
from typing import Any

from sluice.numbers import NUMBER, SCALE, SCALES, parse_number
from sluice.unit_names import ADVERBS, INCH_MARKS, TIMES
from sluice.unit_table import alternatives, key, unit_table

__all__ = ["find_units", "unit_table"]

_SMALL = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty "
                                         "ninety".split(), start=2)}
_WORD = (rf"(?:(?:{'|'.join(_TENS)})(?:[- ](?:{'|'.join(list(_SMALL)[1:10])}))?"
         rf"|{'|'.join(sorted(_SMALL, key=len, reverse=True))}|a(?= (?:hundred|thousand)))"
         r"(?:[ -]hundred)?")
_HALF = r"[ -]and[ -]a[ -]half\b"  # "two-and-a-half-foot"
# A bare fraction first ("a 1/4 mile run"), then "7 1/2", "two-and-a-half", "twenty"
_NUM = (rf"[1-9]/(?:2|3|4|8|16)(?![\d/])|(?:{NUMBER})(?: [1-9]/\d{{1,2}}(?![\d/])|{_HALF})?"
        rf"|{_WORD}(?:{_HALF})?\b")
# Not inside a word or a number, nor after "$" or "1/"; a clock speed may follow a chip's
# name ("PIII933mhz") and a reading a field's letter ("Wind: N/0 mph")
_NOT_AFTER = r"(?:(?<![\w.,$£€¥/])|(?<=[a-z]/)|(?<=[a-z])(?=[\d.]+[mg]hz\b))"
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
_TEMPERATURE = re.compile(r"\b(?:temp|temperatures?|weather|degrees?|dew ?point|humidity|"
                          r"forecast|feel|freez\w*|thaw\w*|frost|heat|cold|warm|hot|cool|"
                          r"winter|summer|climate|oven|bake|boil\w*)\b", re.IGNORECASE)
_NOUN_AFTER = re.compile(r"[ -](?!(?:and|or|of|in|to|but|when|now|at|is|was|heavier|lighter|"
                         r"overweight)\b)[a-z]+\b(?!://)")
# A plural noun after a size: "(3 - 4 oz. bottles)", "90 - 500mg tablets" count items
_COUNTED = re.compile(r"\.?\s+(?!(?:this|plus|less|across|unless|always)\b)[a-z]{3,}s\b")
_FEET_BEFORE = re.compile(r"(?<![\w.,'\"])(\d{1,2})['’′] ?$")  # 5'11"


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    units = alternatives(unit_table())
    times = "|".join(sorted(TIMES, key=len, reverse=True))
    adverbs = "|".join(ADVERBS)
    per = (rf"(?:\s?/\s?|\s(?:per|an?|each|every)\s)(?P<per>{times}|{units})(?![\w])"
           rf"|(?P<of>(?: of(?: [a-z]+){{1,3}}?)?)(?:\s(?:per|an?|each|every)\s"
           rf"(?P<pert>{times})|\sper\s(?P<peru>{units})|\s(?P<adv>{adverbs}))\b")
    # a "k" glued to the number is a thousand: "10k RPM", "100k miles"
    return re.compile(rf"{_SIGNED}(?:[ -](?P<scale>{SCALE})|(?<=\d)(?P<kilo>k))?[ -]?"
                      rf"(?P<unit>{units})(?![\w])(?:(?:{per}){_NOT_A_RATE})?", re.IGNORECASE)


def find_units(text: str, skip: list[tuple[int, int]] | None = None) -> list[dict[str, Any]]:
    """Quantities in text order; `skip` spans (money mentions) are left out."""
    found, matches = [], [m for m in _pattern().finditer(text) if not _not_a_quantity(text, m)
                          and not any(s <= m.start() < e for s, e in skip or ())]
    for m, (si_unit, factor, offset) in zip(matches, _shared_rates(text, matches), strict=True):
        unit = text[m.start("unit"):m.end()]
        last = (m.start(), m.end(), _value(m))
        if m.group("unit") in INCH_MARKS and (feet := _FEET_BEFORE.search(text, 0, m.start())):
            last = (feet.start(1), m.end(), last[2] + 12 * int(feet.group(1)))
        for start, end, value in [*_chained(text, m), last]:
            found.append({"text": text[start:end], "start": start, "end": end, "value": value,
                          "unit": unit, "si_value": _round(value * factor + offset),
                          "si_unit": si_unit})
    return sorted(found, key=lambda f: f["start"])


def _shared_rates(text: str, matches: list[re.Match[str]]) -> list[tuple[str, float, float]]:
    """SI unit and factor of each match; in a list of grades the rate at its end is every
    item's: "2.4 grammes of gold, 64 grammes of silver and 1.9 grammes of copper per tonne"."""
    units, graded = [_si(text, m) for m in matches], [bool(m.group("peru")) for m in matches]
    for i in range(len(matches) - 2, -1, -1):
        m, after = matches[i], matches[i + 1]
        if graded[i + 1] and not _rate(m) and (
                m.group("unit").lower() == after.group("unit").lower()) and re.fullmatch(
                r" of [a-z]+(?: [a-z]+)?,? (?:and )?", text[m.end():after.start()]):
            units[i], graded[i] = units[i + 1], True
    return units


def _rate(m: re.Match[str]) -> str | None:
    return (m.group("per") or m.group("pert") or m.group("peru")
            or ADVERBS.get((m.group("adv") or "").lower()))


def _not_a_quantity(text: str, m: re.Match[str]) -> bool:
    unit, before = m.group("unit").lower(), text[max(0, m.start() - 60):m.start()]
    if re.match(r"0\d", m.group("num")):
        return True  # "17t6dd-0006mi-00": an identifier, not a number
    if m.group("unit") in ("C", "F", "pt", *INCH_MARKS) and not _symbol_reads(text, m):
        return True
    if unit in ("pound", "pounds") and not m.group("of") and not _WEIGHT.search(
            _sentence(text, m.start())):
        return bool(_MONEY_BEFORE.search(before) or _POUND_MONEY_AFTER.match(text, m.end()))
    if unit == "mm":  # "valuation under 10 mm": millions
        return bool(_MONEY_BEFORE.search(before))
    if unit in ("stone", "stones"):  # "16 stone", not "5 stone lions" nor "5 stones"
        return (unit == "stones" or not m.group("num")[0].isdigit()  # "with one stone"
                or bool(_NOUN_AFTER.match(text, m.end())))
    if unit in ("ton", "tons") and re.match(r"\s+burthen\b", text[m.end():]):
        return True  # an old ship measure with no fixed SI value
    if unit == "feet":
        return before.lower().endswith("size ")  # "his size 14 feet"
    return False


def _symbol_reads(text: str, m: re.Match[str]) -> bool:
    """A bare "F"/"C" is a temperature only in a sentence about temperature ("57 F ... Real
    Feel"), never "Insat 1C"; "pt" (points) and inch marks only glued to the number, and
    an inch mark not where it closes a quotation ('the "15" plan')."""
    gap, unit = text[m.end("num"):m.start("unit")], m.group("unit")
    if unit in ("C", "F"):
        label = re.search(r"\b[A-Z][\w.-]*\s?$", text[max(0, m.start() - 30):m.start()])
        return gap in ("", " ") and not label and -90 <= _value(m) <= 500 and bool(
            _TEMPERATURE.search(_sentence(text, m.start())))  # not "Section 3 C"
    if gap or m.group("scale"):
        return False
    if unit == "pt":
        return True
    before = text[max(text.rfind("\n\n", 0, m.start()), m.start() - 300, 0):m.start()]
    return (m.group("num")[0] in "0123456789." and _value(m) < 1000  # not 'Sep. 19, 2002"'
            and (not before or before[-1] in " \t\n(~'’′")
            and not re.search(r"°\s?\d+['’′]\s?$", before)  # 40°26'46": arc seconds
            and not _open_quote(before + m.group("num")))


def _open_quote(text: str) -> bool:
    """Whether a quotation is still open at the end of `text`. A mark opens one after a space
    or bracket and before a non-space; any mark closes it; a mark that opens nothing and
    closes nothing (an inch mark, or the end of a quotation begun further back) is passed."""
    inside = False
    for q in re.finditer('"', text):
        before, after = text[q.start() - 1:q.start()], text[q.end():q.end() + 1]
        if inside or (not before or before in "([{<=:-" or before.isspace()) and after.strip():
            inside = not inside
    return inside


def _si(text: str, m: re.Match[str]) -> tuple[str, float, float]:
    table, written = unit_table(), m.group("unit")
    si_unit, factor, offset, expr = table.get(key(written)) or table[key(written.lower())]
    if expr == "ounce" and _PRECIOUS.search(_sentence(text, m.start())):
        si_unit, factor, offset, expr = table["<troy_ounce>"]
    if expr == "ton" and re.match(r"[\w ]{0,12}\bdisplacement", text[m.end("unit"):]):
        si_unit, factor, offset, expr = table["<long_ton>"]  # "13,500 tons displacement"
    per = _rate(m)
    if per:
        per_si, per_factor, _, _ = (table.get(key(per)) or table.get(key(per.lower()))
                                    or table[f"<{TIMES[per.lower()]}>"])
        si_unit, factor = f"{si_unit}/{per_si}", factor / per_factor
    if offset and (per or _DIFFERENCE.match(text, m.end())):
        offset = 0.0  # "2.6 degrees Celsius cooler" is a difference, not a temperature
    return si_unit, factor, offset


def _chained(text: str, m: re.Match[str]) -> list[tuple[int, int, float]]:
    """Earlier numbers of a range or list share the unit: "5,000 to 8,000 tonnes",
    "10-12 lbs", "50~60KG", `1 - 3"`, "8 1/2 by 11 inch"; "13 to 14,000 feet" shares the
    thousands too."""
    link = re.compile(rf"(?<![A-Za-z][-‑]){_SIGNED}(?: (?P<scale>{SCALE}))?"  # iodine-131
                      r"(?:,? (?:to|and|or|by)|,| ?[-–~]| x) ?$", re.IGNORECASE)
    found, end, last = [], m.start(), m
    while (prev := link.search(text, max(0, end - 50), end)) is not None:
        if re.fullmatch(r"(?:1[6-9]|20)\d\d", prev.group("num")):
            break  # "in 1987, 30 mln tonnes": a year, not part of a list
        value = _value(prev)
        if re.search(r"~| [-–]", text[prev.end("num"):end]) and (
                value >= _value(last) or " " in text[prev.end("num"):end] and (
                    not prev.group("num")[0].isdigit() or _COUNTED.match(text, m.end()))):
            break  # a spaced dash or a tilde links a range only upwards, and never counts
            # before sizes: not "No. 5 - 3 kg", "one - 2.0 oz. jigger", "3 - 4 oz. bottles"
        if prev.group("scale") is None and (many := _multiplier(last)) != 1 and value < 1000:
            value = round(value * many, 6)
        elif prev.group("scale") is None and (zeros := re.search(r"(?:,000)+$", last["num"])):
            shared = value * 1000 ** zeros.group().count(",")
            if "," not in prev.group("num") and _value(last) / 10 <= shared < _value(last):
                value = shared  # "13 to 14,000 feet"
        found.append((prev.start(), prev.end("scale") if prev.group("scale") else
                      prev.end("num"), value))
        end, last = prev.start(), prev
    return found[::-1]


def _value(m: re.Match[str]) -> float:
    number, half = m.group("num"), 0.0
    if re.search(_HALF + "$", number, re.IGNORECASE):
        number, half = number[:-len(" and a half")], 0.5
    whole, _, fraction = number.partition(" ")
    if re.fullmatch(r"\d/\d+", whole):  # "1/4 mile"
        whole, fraction = "0", whole
    if whole[0].isdigit() or whole[0] == ".":
        value = parse_number(whole)
        if fraction:  # "7 1/2 feet"
            num, den = fraction.split("/")
            value += int(num) / int(den)
    else:
        value = _word_value(number)
    value += half
    return round((-1 if m.group("sign") else 1) * value * _multiplier(m), 6)


def _multiplier(m: re.Match[str]) -> float:
    if scale := m.group("scale"):
        return SCALES[scale.lower().rstrip(".")]
    return 1000.0 if m.groupdict().get("kilo") else 1.0


def _word_value(words: str) -> float:
    value = 0.0
    for word in re.split(r"[ -]", words.lower()):
        if word == "hundred":
            value = (value or 1) * 100
        else:
            value += _SMALL.get(word, _TENS.get(word, 1 if word == "a" else 0))
    return value


def _sentence(text: str, at: int) -> str:
    """The sentence around `at`: not cut after an initial ("439 U.S. dlrs an ounce")."""
    start = max(_full_stop(text, at, -1), text.rfind("\n", 0, at), 0)
    end = min((i for i in (_full_stop(text, at, 1), text.find("\n", at)) if i >= 0),
              default=len(text))
    return text[start:end]


def _full_stop(text: str, at: int, step: int) -> int:
    """Position of the nearest ". " before (step -1) or after (1) `at` that does not follow
    a single capital letter, or -1."""
    i = at
    while (i := text.rfind(". ", 0, i) if step < 0 else text.find(". ", i)) >= 0:
        if not re.search(r"(?:^|\W)[A-Z]$", text[max(0, i - 2):i]):
            return i
        i += 0 if step < 0 else 2
    return -1


def _round(value: float) -> float:
    return float(f"{value:.9g}")
