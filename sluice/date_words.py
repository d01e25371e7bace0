"""Words that date phrases lean on (for `sluice.dates`): the tense around a phrase, number
words, words that make a month a name or a year a model ("Theresa May", "Windows 2000"),
"May" the modal or company ("the U.S. May be", "May Energy Partners"), and named days
(Christmas, Easter, Thanksgiving) with their dates from the maintained `holidays` package."""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sluice.countries import place_country
from sluice.word_classes import starts_verb_phrase

NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
    " fifteen sixteen seventeen eighteen nineteen twenty".split())}
NUMBER_WORDS.update({"a": 1, "an": 1, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
                     "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100})
DECADE_WORDS = {w: 10 * (i + 2) for i, w in enumerate(
    "twenties thirties forties fifties sixties seventies eighties nineties".split())}

# Tense cues. The last cue before a date phrase in its clause gives the side: "said it would
# ship in March" (would) is ahead, "said in March" (said) and "exports rose in March" (rose)
# behind, "the season, which begins June 1" (begins) either side. A past verb or a weak
# future ("would", "expects") counts only within six words: further off it belongs to another
# part of the sentence; a plain future ("will", "scheduled", "due") counts anywhere.
_CUES = re.compile(
    r"\b(?P<future>will|would|shall|'ll|expects?|expected|scheduled|planned|plans|to be|is to"
    r"|are to|going to|next|coming|shipment|delivery|forward|payable|new crop|set for|until"
    r"|till|(?:no|not) later than|with effect from|(?:is|are) due to"
    r"|(?<!was )(?<!were )due(?! to\b)|expires?|expiring|matures?|maturing"
    r"|(?-i:may|might)(?! have| been| be\b))\b"  # "may go" is ahead, "may be" is not
    r"|\b(?P<present>is|are|remains|effective|as of|as from|dated|begins?|beginning|starts?"
    r"|starting|ends|ending)\b"
    r"|\b(?<!\bto )(?<!\bbe )(?<!\bis )(?<!\bare )(?<!\bbeen )(?<!\bthe )(?<!\ba )(?<!\ban )"
    r"(?<!\bits )(?<!\btheir )(?<!\bhis )(?<!\bher )(?<!\bour )"
    r"(?P<past>was|were|had|did|ago|began|came|went|left|took|made|rose|fell|saw|grew|sold"
    r"|bought|met|won|lost|paid|held|got|gave|became|ran|fought|wrote|spent|built|brought|kept"
    r"|found|struck|hit|cut|set up|since|down from|up from|compared with|compared to"
    r"|(?!(?:expected|scheduled|planned|proposed|needed|limited|based|united|hundred|red|bed"
    r"|seed|speed|need|feed|indeed|adjusted|declared|quoted|estimated|predicted)\b)"
    r"[a-z]{2,}ed)\b", re.IGNORECASE)
_NEAR = 6  # words
_REPORTING = re.compile(r"\b(?:said|says|told|tells|added|announced|reported|stated)\b", re.I)
_FOR_GOODS = re.compile(r" (?:shipment|delivery|loading|record date)\b", re.IGNORECASE)
_REPORTED_AT = re.compile(r"\b(?:said|told|announced|reported|added|stated)\s+(?:in|on|at"
                          r"|during|early|late)?\s*$", re.IGNORECASE)
# A month or date used as an adjective or possessive ("the June contract", "its June
# meeting", "January's record") names a period the reader knows; the clause's tense is about
# something else, so it resolves to the nearest. (Not for weekdays: "Friday's hike".)
_ATTRIBUTIVE = re.compile(r"(?:'s|’s)?\s+(?!(?:and|or|to|in|of|the|a|an|at|for|with|from|by"
                          r"|on|as|when|while|after|before|until|this|last|next|that|which|he"
                          r"|she|it|they|we|you|i|his|her|its|their|our)\b)[A-Za-z]{3,}\b",
                          re.IGNORECASE)
_AFTER_FUTURE = re.compile(r"will|shall|'ll|is to|are to|going to", re.IGNORECASE)
_STRONG_FUTURE = re.compile(r"will|shall|'ll|is to|are to|going to|scheduled|set for|due|until"
                            r"|(?:is|are) due to|next|coming|expires?|matures?|payable"
                            r"|(?:no|not) later than|with effect from", re.I)
_CLAUSE_END = re.compile(r"[.;!?:]\s|\s-+\s|\(|\)")


def tense(before: str, after: str, months: bool = True) -> str | None:
    """"future", "past" or None for a phrase, from `before` (the text just ahead of it) and
    `after` (just behind): the last cue in its clause before it, else the first of the six
    words after it (up to a reporting verb: in "in January said it would block" the "would"
    is the reported plan)."""
    before, after = re.sub(r"\s+", " ", before), re.sub(r"\s+", " ", after)
    if _FOR_GOODS.match(after):  # "May shipment", "June 5 record date"
        return "future"
    if _REPORTED_AT.search(before):  # "said on Tuesday": the time of the report
        return "past"
    if months and _ATTRIBUTIVE.match(after) and not _CUES.match(after.strip()):
        return None
    clause = _CLAUSE_END.split(before)[-1].split()
    every = list(_CUES.finditer(" ".join(clause)))
    if every and every[-1].start() < len(" ".join(clause[:-_NEAR])):
        # no cue within six words: only a plain future further back still speaks
        return "future" if any(_STRONG_FUTURE.fullmatch(c.group()) for c in every) else None
    if every:
        found = every[-1].lastgroup
        # a weekday after a present tense is a timetable ("begins ... on Saturday", "effective
        # Friday"): that day or the next such day
        if found == "present" and not months:
            return "present"
    else:
        found = _cue_after(after, opens_clause=len(clause) <= 2)
    return None if found == "present" else found


def _cue_after(after: str, opens_clause: bool) -> str | None:
    """The first past cue or plain future in the six words after a phrase, within its comma
    segment unless the phrase opens its clause ("In May, she and her husband used")."""
    behind = _REPORTING.split(_CLAUSE_END.split(after)[0])[0]
    behind = behind if opens_clause else behind.split(",")[0]
    for cue in _CUES.finditer(" ".join(behind.split()[:_NEAR])):
        if cue.lastgroup != "future" or _AFTER_FUTURE.fullmatch(cue.group()):
            return cue.lastgroup
    return None


# Named days: (holiday name in a `holidays` calendar, days after it). A calendar that lacks
# the day falls back to the US, then the UK one. Fixed days no calendar lists use month-day.
NAMED_DAYS: dict[str, tuple[str, int]] = {
    "christmas": ("Christmas Day", 0), "christmas day": ("Christmas Day", 0),
    "christmas eve": ("Christmas Day", -1), "boxing day": ("Boxing Day", 0),
    "new year's day": ("New Year's Day", 0), "new year's": ("New Year's Day", 0),
    "new year's eve": ("New Year's Day", 365),  # the next one, less a day: see named_day
    "good friday": ("Good Friday", 0), "easter": ("Good Friday", 2),
    "easter sunday": ("Good Friday", 2), "easter monday": ("Good Friday", 3),
    "thanksgiving": ("Thanksgiving", 0), "thanksgiving day": ("Thanksgiving", 0),
    "memorial day": ("Memorial Day", 0), "labor day": ("Labor Day", 0),
    "labour day": ("Labour Day", 0), "independence day": ("Independence Day", 0),
    "veterans day": ("Veterans Day", 0), "columbus day": ("Columbus Day", 0),
    "martin luther king day": ("Martin Luther King Jr. Day", 0),
}
FIXED_DAYS = {"halloween": (10, 31), "valentine's day": (2, 14), "st. patrick's day": (3, 17),
              "st patrick's day": (3, 17), "guy fawkes night": (11, 5)}
_SUBDIVISIONS = {"GB": "ENG", "CA": "ON", "AU": "NSW"}  # where most holidays are regional


def document_country(metadata: dict[str, Any]) -> str | None:
    """An ISO country code from metadata "country" or Reuters "places" (the first known)."""
    raw = metadata.get("country") or metadata.get("places") or []
    names = [raw] if isinstance(raw, str) else list(raw)
    for name in names:
        code = place_country(str(name))
        if code:
            return code
        if re.fullmatch(r"[A-Z]{2}", str(name).strip()):
            return str(name).strip()
    return None


def named_day(name: str, year: int, country: str | None = None) -> date | None:
    """The date of a named day in a year, by the country's calendar when it has it."""
    key = name.lower().replace("’", "'")
    if key in FIXED_DAYS:
        return date(year, *FIXED_DAYS[key])
    holiday, shift = NAMED_DAYS[key]
    if shift == 365:  # New Year's Eve: the day before the next New Year's Day
        year, shift = year + 1, -1
    for code in dict.fromkeys((country, "US", "GB")):
        found = _calendar(code, year).get(holiday) if code else None
        if found:
            return found + timedelta(days=shift)
    return None


@lru_cache(maxsize=512)
def _calendar(country: str, year: int) -> dict[str, date]:
    """Holiday name -> date for one country and year. The first call loads the package's
    country module (~0.2 s); later ones take ~0.5 ms, and this cache makes repeats free."""
    import holidays

    try:
        days = holidays.country_holidays(country, subdiv=_SUBDIVISIONS.get(country),
                                         years=year)
    except (NotImplementedError, KeyError):
        return {}
    names: dict[str, date] = {}
    for day, label in sorted(days.items()):
        for part in label.split("; "):
            names.setdefault(part, day)
            names.setdefault(part.removesuffix(" Day"), day)  # "Thanksgiving Day"
    return names


# Words that make a month a name ("May said", "Theresa May") or a year a model or a count.
_NAME_VERBS = re.compile(r"\s+(?:said|says|told|added|is|was|has|had|will|would|could|also"
                         r"|declined|expects|plans|chairman|president)\b")
_DATE_LEAD = re.compile(r"(?:\b(?:in|on|at|by|since|until|till|through|of|from|to|for|before"
                        r"|after|during|between|and|or|than|early|mid|late|end|the|its|last|next"
                        r"|this|each|every|that|which)|[,(/\-])\s*$", re.IGNORECASE)
_DATE_LABEL = re.compile(r"\b(?:Pay|Payable|Record|Due|Ended|Expires|Dated|Effective)\s+$")
_MODEL_WORDS = re.compile(r"\b(?:Windows|Office|Boeing|Airbus|Section|Chapter|Article|Rule"
                          r"|Route|Form|Model|Version|Flight|Room|Suite|Highway|Interstate"
                          r"|America|Vision|Agenda|No\.|Nos\.|Series|Class|Type)\s+$")
_COUNTED = re.compile(r"\s+(?:people|persons|men|women|children|workers|employees|jobs|shares"
                      r"|troops|soldiers|units|copies|cars|homes|houses|tonnes|tons|barrels"
                      r"|acres|hectares|miles|users|students|members|votes|signatures"
                      r"|pages|lines|words|times)\b")
# A product's year follows its brand's run-together name ("Norton SystemWorks 2002").
_PRODUCT = re.compile(r"\b[A-Z][a-z]+[A-Z][A-Za-z]*\s+$")
_CAPS_NAME = re.compile(r"(?<![\w.'’-])([A-Z]{2,}[A-Z0-9]*)\s+$")  # "PACX 2000"
_DATE_CAPS = re.compile(r"(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEPT?|OCT|NOV|DEC)[A-Z]*"
                        r"|FY|FISCAL|YEAR|CALENDAR|END|MID|IN|OF|SINCE|BY|FROM|TO|UNTIL"
                        r"|THROUGH|BEFORE|AFTER|DURING|FOR|AND|OR|THE|AD|BC|CE|SUMMER|WINTER"
                        r"|SPRING|FALL|AUTUMN|EARLY|LATE|COPYRIGHT|QTR|QUARTER|HALF|BASE"
                        r"|WEEK|MONTH|DATE|DAY|GMT|UTC|UT|[A-Z]{1,3}[SD]T|CES?T|JST|ICT|HKT")
_SHOUTED = re.compile(r"\s+(?:[A-Z]{2,}\b|(?:1[89]|20)\d\d\b)")
_CLOCK = re.compile(r"\d:\d\d(?::\d\d)?\s+[A-Z]{2,5}\s+$")  # "14:55:56 ICT 2002": a zone
_DATE_TITLES = {"In", "Of", "Since", "By", "From", "To", "Until", "Through", "For", "And",
                "Or", "The", "Fiscal", "Year", "Calendar", "Summer", "Winter", "Spring",
                "Fall", "Autumn", "Early", "Late", "Mid", "End", "During", "Before", "After",
                "Qtr", "Quarter", "Half", "Week", "Base", "Act"}
_MONTH_NAME = re.compile(r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*$")
# "May" the company and "May" the modal
_COMPANY = re.compile(r"\s+(?:(?:Energy|Department|Petroleum|Oil|Drilling|Resources"
                      r"|Financial)(?:\s+[A-Z][a-z]+)?\s+)?(?:Co|Corp|Inc|Ltd|Partners|Stores"
                      r"|Group|Holdings|Industries|Cos|Bancorp|Plc|PLC)\b")
_MONTH_LEAD = re.compile(r"\b(?:in|since|until|till|through|during|from|before|after|by|of"
                         r"|for|early|mid|late|end|last|next|this|each|every|between|than"
                         r"|to)\s*$", re.IGNORECASE)
_AND_NAME = re.compile(r"\s+(?:and|&)\s+(?!(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov"
                       r"|Dec|Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*\b)[A-Z][a-z]+")
_COPYRIGHT = re.compile(r"(?:\([cC]\)|©|[Cc]opyright)[^.;]{0,60}$")  # "(c) ArgoTech 2001"
_ABBREVIATIONS = {"Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov",
                  "Dec"}
# A capitalised word after a bare "Jan" is a surname, unless it is a month, day or year word.
_NAME_WORD = re.compile(r"\s+(?!(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|Mon|Tue|Wed"
                        r"|Thu|Fri|Sat|Sun|Qtr|Quarter|Avg)[a-z]*\b)[A-Z][a-z]+")
_AHEAD = re.compile(r"\b(?:by|until|till|before)\s+(?:the end of |early |late )?$", re.I)
_BEHIND = re.compile(r"\b(?:ended|since|through|last)\s+$", re.IGNORECASE)  # never ahead
_SINCE = re.compile(r"\bsince\s+$", re.IGNORECASE)  # always behind: "since Sept. 11"
PAST_REACH = 10  # months: a past-tense clause reaches back this far, no further


def not_a_date(kind: str, m: re.Match[str], before: str, after: str) -> bool:
    """A month that is a name ("May said", "Theresa May", "August Busch"), a year that is a
    model or a count ("Windows 2000", "2000 people"), a named day that is not one day."""
    if kind == "month" and m.group() == "May" and _may_is_word(before, after):
        return True
    if kind == "month" and m.group() in ("May", "June", "April", "August"):  # also names
        if _DATE_LEAD.search(before) or _DATE_LABEL.search(before):
            return False
        return bool(_NAME_VERBS.match(after) or re.search(r"[A-Z][a-z]+\s+$", before)
                    or re.match(r"\s+(?:[A-Z][a-z]|I\b|we\b|you\b)", after)  # "May I"
                    or _AND_NAME.match(after))  # "N.Y. May and Allied said"
    if kind == "month" and m.group("m").isupper():  # "DEC" alone is Digital Equipment
        return True
    if kind == "month" and m.group("m") in _ABBREVIATIONS:  # "Jan Carlzon": a first name
        return bool(_NAME_WORD.match(after))
    if kind == "weekday" and before.endswith("("):  # "(Friday Edition)": a title
        return bool(re.match(r"\s+[A-Z][a-z]+\)", after))
    if kind == "relative_day" and m.group() == "Today":  # "the USA Today", a paper
        return bool(re.search(r"\b[A-Z]{2,}\s+$", before))
    if kind == "decade_apos":
        return bool(re.search(r"\b(?:his|her|their|my|your|our|its)\s+$", before, re.I))
    if kind == "year_range" and " " in m.group():  # "from 1849 to 1857", not a count
        return bool(_MODEL_WORDS.search(before) or _COUNTED.match(after))
    if kind == "year" and m.group() == m.group("y"):
        # a year between other numbers is part of a phone number or code, unless they are
        # years too (a table's "1987 1986")
        near = re.search(r"(\d{2,})\s$", before) or re.match(r"\s(\d{3,})", after)
        code = near and not re.fullmatch(r"1[89]\d\d|20\d\d", near.group(1))
        return bool(_MODEL_WORDS.search(before) or _COUNTED.match(after) or code
                    or _product_year(before, after, m.group("y")))
    if kind == "relative" and _rel(m) in ("last", "past"):
        return bool(re.search(r"\bthe\s+$", before, re.I))  # "in the past year": rolling
    if kind == "named":
        return bool(re.search(r"\ban?\s+$", before, re.I)
                    or re.match(r"\s+(?:season|holidays?|period|shopping|sales|break)\b",
                                after, re.I))
    return False


def _may_is_word(before: str, after: str) -> bool:
    """"May" with no day or year that is the modal ("the U.S. May be able": a capital after
    an abbreviation's full stop) or a company ("May Energy Partners", "May Department
    Stores"). A month lead keeps the month: "in May have risen", "by May be ready"."""
    if _COMPANY.match(after):
        return True
    word = re.match(r"\s+([A-Z][a-z]+)", after)  # "by May Energy unitholders": named before
    if word and re.search(rf"\bMay {word.group(1)}\s+[A-Z]", before):
        return True
    # a base-form verb can only follow the modal: a month as a subject takes a past or -s
    # form ("May closed", "May rises"); "May last" is last May
    if re.match(r"\s+(?:last|next)\b", after) or not starts_verb_phrase(after.split()[:3]):
        return False
    if _MONTH_LEAD.search(before):
        return False
    # "and May have risen" is two months; "the U.S. May not" a modal
    return not _DATE_LEAD.search(before) or bool(re.match(r"\s+(?i:be|not)\b", after))


def _product_year(before: str, after: str, year: str) -> bool:
    """A year right after a product's name: a run-together brand ("Norton SystemWorks
    2002"), an all-capitals name ("PACX 2000", "Madden NFL 2002"; not a month, a time zone or
    a date word such as FY), or a name seen before with another number ("Madden NFL 97 to
    Madden NFL 2002"; not a law's name, "Act 1992")."""
    if _COPYRIGHT.search(before):  # "(c) ArgoTech 2001" is the year of the notice
        return False
    if _PRODUCT.search(before):
        return True
    caps = _CAPS_NAME.search(before)
    if (caps and not _DATE_CAPS.fullmatch(caps.group(1)) and not _CLOCK.search(before)
            and not _SHOUTED.match(after) and _model_of(before[:caps.start()], after)):
        return True
    name = re.search(r"(?<![\w.'’-])([A-Z][A-Za-z]+)\s+$", before)
    return bool(name and name.group(1) not in _DATE_TITLES
                and not _MONTH_NAME.match(name.group(1))
                and re.search(rf"\b{name.group(1)}\s+(?!{year}\b)\d{{1,4}}\b", before))


def _model_of(ahead: str, after: str) -> bool:
    """An all-capitals name is a model after its brand ("Madden NFL 2002", "Handheld PC
    2000") or as the thing a noun names ("the MUX 2000 multiplexing system"). An acronym on
    its own is as often an event, whose year is a date ("OSCON 2002", "(ICSM 2002)")."""
    return bool(re.search(r"\b(?:[A-Z][a-z]+|[A-Z][a-z]+[A-Z]\w*)\s+$", ahead)
                or (re.search(r"(?:\b(?:the|a|an|its|their)|['’]s)\s+$", ahead)
                    and re.match(r"\s+[a-z]", after)))


def _rel(m: re.Match[str]) -> str:
    return (m.group("rel") or "").lower()


def when_of(before: str, after: str, kind: str = "month") -> str | None:
    """"since", "future", "past" or None: words right before a phrase, then its tense."""
    if _SINCE.search(before):
        return "since"  # behind, however far
    if _BEHIND.search(before):
        return None
    if _AHEAD.search(before):
        return "future"
    return tense(before, after, months=kind not in ("weekday", "weekend", "named"))
