"""Words that date phrases lean on (for `sluice.dates`): the tense around a phrase, number
words, words that make a month a name or a year a model ("Theresa May", "Windows 2000"),
named days (Christmas, Easter, Thanksgiving) with their dates from the maintained `holidays`
package, and the periods these words name (weekends, decades)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sluice.countries import place_country

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
_AHEAD = re.compile(r"\b(?:by|until|till|before)\s+(?:the end of |early |late )?$", re.I)
_BEHIND = re.compile(r"\b(?:ended|since|through|last)\s+$", re.IGNORECASE)  # never ahead
_SINCE = re.compile(r"\bsince\s+$", re.IGNORECASE)  # always behind: "since Sept. 11"
PAST_REACH = 10  # months: a past-tense clause reaches back this far, no further


def not_a_date(kind: str, m: re.Match[str], before: str, after: str) -> bool:
    """A month that is a name ("May said", "Theresa May", "August Busch"), a year that is a
    model or a count ("Windows 2000", "2000 people"), a named day that is not one day."""
    if kind == "month" and m.group() in ("May", "June", "April", "August"):  # also names
        if _DATE_LEAD.search(before) or _DATE_LABEL.search(before):
            return False
        return bool(_NAME_VERBS.match(after) or re.search(r"[A-Z][a-z]+\s+$", before)
                    or re.match(r"\s+[A-Z][a-z]", after))
    if kind == "year" and m.group() == m.group("y"):
        # a year between other numbers is part of a phone number or code, unless they are
        # years too (a table's "1987 1986")
        near = re.search(r"(\d{2,})\s$", before) or re.match(r"\s(\d{3,})", after)
        code = near and not re.fullmatch(r"1[89]\d\d|20\d\d", near.group(1))
        return bool(_MODEL_WORDS.search(before) or _COUNTED.match(after) or code)
    if kind == "relative" and _rel(m) in ("last", "past"):
        return bool(re.search(r"\bthe\s+$", before, re.I))  # "in the past year": rolling
    if kind == "named":
        return bool(re.search(r"\ban?\s+$", before, re.I)
                    or re.match(r"\s+(?:season|holidays?|period|shopping|sales|break)\b",
                                after, re.I))
    return False


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


def decade(g: dict[str, str], anchor: date | None) -> str | None:
    """"the 1990s" -> "1990/1999"; "the nineties" and "the '90s": the latest such decade
    begun by the document date, or about to begin ("the nineties" in 1987 is 1990/1999)."""
    if "dec" in g:
        start = int(g["dec"])
    else:
        tens = int(g["dec2"]) if "dec2" in g else DECADE_WORDS[g["word"].lower()]
        if anchor is None:
            return None
        start = anchor.year // 100 * 100 + tens
        if start > anchor.year + 10:  # not begun, nor about to: the century before
            start -= 100
    return f"{start}/{start + 9}"


def nearest_named_day(g: dict[str, str], anchor: date | None, when: str | None,
                      country: str | None) -> str | None:
    """A named day ("h"), in its year ("y") or the occurrence nearest the anchor on the
    side that "last"/"next"/"this" ("rel") or the clause's tense gives."""
    name = g["h"]
    if "y" in g:
        day = named_day(name, int(g["y"]), country)
        return day.isoformat() if day else None
    if anchor is None:
        return None
    rel = (g.get("rel") or "").lower()
    days = [d for y in (anchor.year - 1, anchor.year, anchor.year + 1)
            if (d := named_day(name, y, country))]
    if rel == "this":
        days = [d for d in days if d.year == anchor.year]
    elif rel == "last":
        days = [d for d in days if d < anchor]
    elif not rel and when == "past":
        days = [d for d in days if 0 <= (anchor - d).days <= 31 * PAST_REACH] or days
    elif not rel and when == "since":
        days = [d for d in days if d <= anchor]
    elif rel == "next" or when == "future":
        days = [d for d in days if d > anchor or (not rel and d == anchor)]
    best = min(days, key=lambda d: (abs((d - anchor).days), -d.toordinal()), default=None)
    return best.isoformat() if best else None


def weekend(anchor: date, rel: str, when: str | None) -> str:
    """Saturday/Sunday as an interval. "This weekend" is the coming one, or the one just
    gone in a past-tense clause; "the weekend" is the last one unless the clause speaks of
    the future (or it is Thursday on). On a Saturday or Sunday, "this" is the one under way."""
    saturday = anchor + timedelta(days=5 - anchor.weekday())  # this ISO week's
    on_weekend = anchor.weekday() >= 5
    if rel in ("last", "past"):
        saturday -= timedelta(weeks=1)
    elif rel in ("next", "coming"):
        saturday += timedelta(weeks=1) if on_weekend else timedelta(0)
    elif rel == "this" and when == "past" and not on_weekend:  # said on a Monday
        saturday -= timedelta(weeks=1)
    elif rel != "this" and not on_weekend:
        ahead = when == "future" or (when is None and anchor.weekday() >= 3)
        saturday -= timedelta(weeks=0 if ahead else 1)
    return f"{saturday.isoformat()}/{(saturday + timedelta(days=1)).isoformat()}"
