"""Numbers as written in news and reports: "1,750", "3,5", "1.000.000", "1.2bn", "two".

Shared by the currency and unit extractors, plus the `numbers` cleaning step that
unifies digit grouping ("1 000 000" with thin or no-break spaces, "1'000") and minus signs.
Numbers in words ("twenty-five million", "half a billion") are read by text2num.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from text_to_num import text2num

# English grouping first; German grouping only when unambiguous (two dot groups, or a
# decimal comma after one); a lone comma with 1-2 digits after it is a decimal comma.
NUMBER = (r"\d+(?:\.\d+)?-\d{1,2}/\d{1,2}(?![\d/])|\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)"
          r"|\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?(?!\d)"
          r"|\d{1,3}\.\d{3},\d+|\d+(?:\.\d+|,\d{1,2}(?!\d))?|\.\d+")
WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "twenty": 20, "fifty": 50,
                "hundred": 100, "half a": 0.5}
SCALES = {"thousand": 1e3, "mln": 1e6, "million": 1e6, "millions": 1e6, "mn": 1e6,
          "mio": 1e6, "mill": 1e6, "bln": 1e9, "billion": 1e9, "bn": 1e9, "mrd": 1e9,
          "milliard": 1e9, "trillion": 1e12, "trln": 1e12}
# German abbreviations take their dot ("3,5 Mio."); "1.2bn." ends a sentence
SCALE = (r"(?:(?:mio|mill|mrd)\b\.?|(?:" + "|".join(sorted(SCALES, key=len, reverse=True))
         + r")\b)")
WORD_NUMBER = r"\b(?:" + "|".join(WORD_NUMBERS) + r")\b"
_UNITS = ("one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen"
          "|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty"
          "|seventy|eighty|ninety")
_BIG = "hundred|thousand|millions?|billions?|trillions?"
_WORD = rf"(?:{_UNITS}|{_BIG})"
# "twenty-five million", "Three Hundred and Thirty Eight Million", "half a billion",
# "one-half billion", "a billion and a half", "Twenty Million, Five Hundred Thousand"
_AFTER_BIG = r"(?:(?<=hundred)|(?<=thousand)|(?<=illion)|(?<=illions))"
WORD_AMOUNT = (rf"\b(?:(?:half[ -]a|one-half|an?)[ -](?={_BIG})|(?=(?:{_UNITS})\b))"
               rf"{_WORD}(?:(?:[ -]|, )(?:{_WORD})\b|{_AFTER_BIG},? and (?:{_UNITS})\b)*"
               rf"(?:{_AFTER_BIG} and a half\b)?")
_WORD_SCALE = re.compile(r"(?:thousand|millions?|billions?|trillions?)$", re.IGNORECASE)
_HALF = re.compile(r"^(?:half[ -]a|one-half)[ -]", re.IGNORECASE)
# "1,750 to 1,780 dlrs": earlier numbers of a range or list share the unit that ends it
_CHAIN_LINK = re.compile(rf"(?<![\w.,])({NUMBER}|{WORD_NUMBER})(?: ({SCALE}))?"
                         r"(?:,? (?:to|and)|,|-) ?$",
                         re.IGNORECASE)
_GROUP_SPACE = re.compile(r"(?<=\d)[\u00a0\u2009\u202f'](?=\d{3}\b)")
_MINUS = re.compile(r"[\u2212\u2012](?=\d)")


class Amount(NamedTuple):
    start: int
    end: int
    value: float  # scale applied: "1.5 mln" is 1_500_000.0
    unit: str  # the unit text as matched, e.g. "dlrs"
    qualifier: str  # a word before the unit, e.g. "Canadian", or ""


def parse_number(text: str) -> float:
    text = text.strip()
    if text.lower() in WORD_NUMBERS:
        return float(WORD_NUMBERS[text.lower()])
    if text[:1].isalpha():
        return parse_words(text)
    if fraction := re.fullmatch(r"(\d+)(?:\.(\d+))?-(\d+)/(\d+)", text):
        # "5-3/8" is 5.375; "1.58-1/2" is 1.58 and half of the last decimal place: 1.585
        whole, decimals, num, den = fraction.groups()
        places = len(decimals or "")
        return float(f"{whole}.{decimals or 0}") + int(num) / int(den) / 10 ** places
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", text) and (
            text.count(".") > 1 or "," in text):
        return float(text.replace(".", "").replace(",", "."))
    if re.fullmatch(r"\d+,\d{1,2}", text):
        return float(text.replace(",", "."))
    return float(text.replace(",", ""))


def parse_words(text: str) -> float:
    """A number in English words; raises ValueError when text2num cannot read it."""
    words = re.sub(r"\s+", " ", text.strip().lower()).replace(",", "")
    factor = 1.0
    if (half := _HALF.match(words)) is not None:
        words, factor = "one " + words[half.end():], 0.5
    elif words.endswith(" and a half"):
        words, factor = words[:-len(" and a half")], 1.5
    words = re.sub(r"^an? ", "one ", words)
    # text2num stops at billions: "one trillion" is read as "one" times 10^12
    head, trillion, tail = re.sub(r"trillions?", "trillion", words).partition(" trillion")
    if trillion:
        rest = float(text2num(tail.strip(), "en")) if tail.strip() else 0.0
        return (float(text2num(head, "en")) * 1e12 + rest) * factor
    return float(text2num(words, "en")) * factor


def scaled(number: str, scale: str | None) -> float:
    factor = SCALES[scale.lower().rstrip(".")] if scale else 1.0
    return round(parse_number(number) * factor, 6)


def amount_pattern(unit: str, qualifier: str = r"(?!)", words: bool = False) -> re.Pattern[str]:
    """<number> [scale] [qualifier] <unit>; `unit` and `qualifier` are regex fragments.
    With `words`, numbers in words of any length ("twenty-five million") count too."""
    number = f"{NUMBER}|{WORD_AMOUNT}" if words else f"{NUMBER}|{WORD_NUMBER}"
    return re.compile(rf"(?<![\w.,$])(?P<num>{number})(?:[ -](?P<scale>{SCALE}))?"
                      rf"[ -](?:(?P<qual>{qualifier}) )?(?P<unit>{unit})(?![\w])",
                      re.IGNORECASE)


def find_amounts(text: str, pattern: re.Pattern[str]) -> Iterator[Amount]:
    """Every number with its unit, ranges and lists included ("35 and 45 dlrs")."""
    for m in pattern.finditer(text):
        try:
            value = scaled(m.group("num"), m.group("scale"))
        except ValueError:  # words that only look like a number: "one two"
            continue
        unit, qual = m.group("unit"), m.group("qual") or ""
        # "four to five billion francs": the four shares a scale written in words too
        words_scale = _WORD_SCALE.search(m.group("num"))
        scale = m.group("scale") or (words_scale.group().lower() if words_scale else None)
        yield from _chained(text, m.start(), scale, unit, qual)
        yield Amount(m.start(), m.end(), value, unit, qual)


def _chained(text: str, end: int, scale: str | None, unit: str,
             qual: str) -> Iterator[Amount]:
    found = []
    while (link := _CHAIN_LINK.search(text, max(0, end - 40), end)) is not None:
        own, number = link.group(2), parse_number(link.group(1))
        if re.fullmatch(r"(?:19|20)\d\d", link.group(1)):
            break  # "in 1987, 30 mln dlrs": a year, not part of a list
        # "5 to 10 mln": the 5 is in millions too; "500,000 to 1 mln" keeps its own size
        share = scale if own is None and number < 1000 else own
        found.append(Amount(link.start(), link.end(2) if own else link.end(1),
                            scaled(link.group(1), share), unit, qual))
        end = link.start()
    yield from reversed(found)


def normalise_numbers(text: str) -> str:
    """Digit groups joined by thin/no-break spaces or apostrophes get commas; U+2212 is '-'."""
    return _MINUS.sub("-", _GROUP_SPACE.sub(",", text))
