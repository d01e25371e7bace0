"""Dates in text resolved to ISO 8601 relative to the document date, at the precision
stated: "1987" -> "1987", "in March" -> "1987-03", "March 3" -> "1987-03-03", "last
Tuesday" -> "1987-02-24", "last week" -> "1987-W08", "1987/88" -> "1987/1988",
"June/July" -> "1987-06/1987-07", "last weekend" -> "1987-02-21/1987-02-22", "the 1990s"
-> "1990/1999", "Christmas" -> "1986-12-25", "this morning" -> "1987-02-26".

Conventions: a month, day or named day without a year is its occurrence nearest the
document date, on the side the clause's tense gives ("left in March" is the last March,
"will leave in March" the next); a bare weekday or weekend is the last one unless the
clause speaks of the future; "last"/"next" are the nearest strictly before/after. Phrases
without a fixed point ("recent weeks") give nothing.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any, NamedTuple

from dateutil import parser as dateparser

from sluice.date_calendar import (
    DAY_WORDS,
    day_no,
    decade,
    explicit,
    month_no,
    nearest_named_day,
    nearest_year,
    period,
    weekday,
    weekend,
    years,
)
from sluice.date_words import (
    DECADE_WORDS,
    FIXED_DAYS,
    NAMED_DAYS,
    NUMBER_WORDS,
    not_a_date,
    when_of,
)

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Lower-case month names only where the word has no other sense ("may", "march", "august").
_MONTH = (r"(?:(?:January|February|March|April|May|June|July|August|September|October"
          r"|November|December|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
          r"|january|february|april|june|july|september|october|november|december"
          # capitals as headers and stamps write them ("END-DEC 1986", "2015 JAN 27"); not
          # MAY or MAR, which are words in shouted text
          r"|(?:JANUARY|FEBRUARY|APRIL|JUNE|JULY|AUGUST|SEPTEMBER|OCTOBER|NOVEMBER|DECEMBER"
          r"|JAN|FEB|APR|JUN|JUL|AUG|SEPT|SEP|OCT|NOV|DEC)\.?)"
          r"(?!-[a-z]))")  # not "Mar-a-Lago"
_YEAR = r"(?:1[89]\d\d|20\d\d)"
# Reuters writes "May One", the Government Printing Office "May 22d", a diary "JUNE 10TH"
_DAY = (r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th|d|ST|ND|RD|TH)?"
        r"|One|Two|Three|Four|Five|Six|Seven|Eight|Nine|Ten")
_MOD = r"(?:(?:[Ee]arly|[Mm]id|[Ll]ate|[Ee]nd|END)[- ])?"
_REL = r"(?P<rel>(?i:last|next|this))"
_PART = r"(?: (?:morning|afternoon|evening|night))?"
_NAMED = "|".join(sorted((" ".join(w[0].upper() + w[1:] for w in k.split())
                          .replace(".", r"\.").replace("'", "['’]")
                          for k in (*NAMED_DAYS, *FIXED_DAYS)), key=len, reverse=True))
_PATTERNS = [  # (kind, regex); earlier kinds win where matches overlap
    ("iso", rf"{_YEAR}-[01]\d-[0-3]\d(?:T\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)?"),
    ("iso_slash", rf"{_YEAR}/[01]\d/[0-3]\d"),
    ("numeric", r"[01]?\d/[0-3]?\d/(?:\d\d)?\d\d"),
    ("two_dates", rf"(?P<d>{_DAY}) (?P<m>{_MONTH}) ?(?:/|-|to) ?(?P<d2>{_DAY}) (?P<m2>{_MONTH}),?"
                  rf" (?P<y>{_YEAR})"),
    ("two_dates", rf"(?P<m>{_MONTH}) (?P<d>{_DAY}) ?(?:-|to|through|until) ?(?P<m2>{_MONTH})"
                  rf" (?P<d2>{_DAY})(?:,? (?P<y>{_YEAR}))?"),
    # "June/July", "May through September", "AUGUST AND SEPTEMBER 2002"
    ("month_range", rf"(?P<m1>{_MONTH})(?:[/-]| (?:through|to|and|AND) )(?P<m2>{_MONTH}),?"
                    rf"(?: (?P<y>{_YEAR})| (?P<ry>(?i:last|next|this)) year)?"),
    ("day_range", rf"(?P<m>{_MONTH}) (?P<d>{_DAY})(?:-| to | and | through )(?P<d2>{_DAY})"
                  rf"(?:,? (?P<y>{_YEAR}))?(?! (?:pct|mln|bln|dlrs))"),
    ("weekday_date", rf"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,? (?P<m>{_MONTH}) (?P<d>{_DAY})"
                     rf"(?:,? (?P<y>{_YEAR}))?"),
    ("month_day_year", rf"(?P<m>{_MONTH}) (?:the )?(?P<d>{_DAY}),? (?P<y>{_YEAR})"),
    ("day_month_year", rf"(?:the )?(?P<d>{_DAY}) (?:day of |of )?(?P<m>{_MONTH}),? (?P<y>{_YEAR})"),
    ("year_month_day", rf"(?P<y>{_YEAR}) (?P<m>{_MONTH}) (?P<d>{_DAY})"),  # "2015 JAN 27"
    ("month_rel_year", rf"{_MOD}(?P<m>{_MONTH})(?: (?:the )?(?P<d>{_DAY}))?,? (?:of )?"
                       r"(?P<ry>(?i:last|next|this)) year"),
    ("month_day", rf"(?P<m>{_MONTH}) (?:the )?(?P<d>{_DAY})(?![\d,.]\d|\d| (?:pct|mln|bln|dlrs))"),
    ("label_day", rf"(?:(?<=[Pp]ay )|(?<=[Rr]ecord ))(?P<m>{_MONTH})"
                  rf" (?P<d>(?i:{'|'.join(DAY_WORDS)}))"),  # "Pay August five"
    # "starting August six for ...": a day in words only where no noun follows it
    ("word_day", rf"(?P<m>{_MONTH}) (?P<d>{'|'.join(DAY_WORDS)})(?=[.,;)]|$| (?:for|to|and"
                  r"|through|until|at|in|on|with|when|from|after|before|or)\b)"),
    ("day_month", rf"(?:the )?(?P<d>{_DAY}) (?:day of |of )?(?P<m>{_MONTH})"),
    ("week_of", rf"the (?P<nth>first|second|third|fourth|last) week of (?P<m>{_MONTH})"
                rf"(?:,? (?P<y>{_YEAR}))?"),
    ("month_year", rf"{_MOD}(?P<m>{_MONTH}),? (?:of )?(?P<y>{_YEAR})"),
    ("named", rf"(?:{_REL} )?(?P<h>{_NAMED})(?:,? (?P<y>{_YEAR}))?"),
    ("month", rf"(?:{_REL} )?{_MOD}(?P<m>{_MONTH})"),
    ("weekend", r"(?:(?P<rel>(?i:last|next|this|coming|past)) |(?i:the) )?weekend(?!s)"),
    ("weekday", rf"(?:{_REL} )?(?P<w>(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day)(?:'s)?{_PART}"),
    ("relative_day", r"(?i:today|tonight|last night|last evening|this (?:morning|afternoon"
                     r"|evening)|(?:yesterday|tomorrow)(?: (?:morning|afternoon|evening|night))?)"),
    ("relative", r"(?P<rel>(?i:last|next|this|coming|past|present|ensuing))"
                 r" (?P<unit>week|month|year)"),
    ("ago", r"(?P<n>[A-Za-z]+|\d+) (?P<unit>(?i:day|week|month|year|decade))s? (?i:ago)"),
    ("decade", rf"(?:(?i:the) )?{_MOD}(?:(?P<dec>(?:1[6-9]|20)\d0)'?s|'(?P<dec2>\d0)s)"),
    ("decade", rf"(?i:the) {_MOD}(?P<word>(?i:{'|'.join(DECADE_WORDS)}))"),
    ("decade_apos", rf"(?:(?i:the) {_MOD}|(?i:early|mid|late)[- ])(?P<dec2>[1-9]0)'s"),
    # spelt-out year ranges; the first year may be older than a lone year may be
    ("year_range", rf"(?P<y>1[6-9]\d\d|20\d\d)(?: - | to | through )(?P<y2>{_YEAR})(?!\d)"),
    ("year_list", rf"{_YEAR}(?:,{_YEAR})+"),  # "Copyright (c) 1997,1998,2002,2007"
    ("std_year", rf"(?:Std|ISO|IEC|ANSI)\.? [A-Z]?\d[\d.]*-(?P<y>{_YEAR})"),  # an edition
    ("year_range", rf"(?P<y>{_YEAR})[/-](?P<y2>\d\d|{_YEAR})(?!\d)"),
    ("year", rf"(?P<y>{_YEAR})"),
    ("year", rf"(?:mid|end)-(?P<y>{_YEAR})"),  # "mid-1993", "end-1986"
]
# A dash may open a phrase where it stands for a dash ("[laughter]-2 years ago"), not a
# year ("1986-87"). Plain lookbehinds only: an alternation of them makes the scan 10x slower.
_OPEN = {"year": r"(?<![\w$.,/-])"}
_COMPILED = [(kind, re.compile(_OPEN.get(kind, r"(?<![\w$.,/])(?<![^\s\])]-)") + p
                               + r"(?![\w/]|[.,]\d)")) for kind, p in _PATTERNS]
# A cheap test per kind, run once per text, skips patterns that cannot match it.
_GATES = {
    "named": re.compile(r"Christmas|Easter|Thanksgiving|Boxing|New Year|Good Friday|Memorial"
                        r"|Labou?r Day|Independence|Veterans|Columbus|Luther|Halloween"
                        r"|Valentine|Patrick|Guy Fawkes"),
    "weekend": re.compile("weekend"), "week_of": re.compile("week of"),
    "label_day": re.compile(r"[Pp]ay |[Rr]ecord "),
    "weekday": re.compile("day"), "weekday_date": re.compile("day"),
    "relative_day": re.compile(r"(?i)today|tonight|last night|last evening|this morning"
                               r"|this afternoon|this evening|yesterday|tomorrow"),
    "relative": re.compile(r"(?i)(?:last|next|this|coming|past|present|ensuing)"
                           r" (?:week|month|year)"),
    "ago": re.compile(r"(?i) ago\b"), "decade": re.compile(r"\d0'?s\b|(?i:ties)\b"),
    "decade_apos": re.compile(r"0's"),  # "the 80's", "early 80's"
    "year_list": re.compile(r"\d,[12]\d"), "std_year": re.compile(r"Std|ISO|IEC|ANSI"),
}
# A month name is a required part of every pattern that holds one: a text without any (about
# half of news wires) skips those patterns after a single search.
_MONTH_KINDS = {kind for kind, pattern in _PATTERNS if _MONTH in pattern}
_ANY_MONTH = re.compile(_MONTH)
# Numbers in links and addresses are no dates. Bounded, so a long run without spaces stays
# linear.
_LINKS = re.compile(r"\b(?:https?://|www\.)\S{1,2000}|(?<![^\s<(\[\"'])[^\s@]{1,200}@\S{1,500}")
# Kinds whose value never depends on the side of the anchor (so the tense is not read).
_FIXED = {"iso", "iso_slash", "numeric", "year", "year_range", "decade", "decade_apos",
          "year_list", "std_year",
          "relative", "ago",
          "relative_day", "month_rel_year"}
_DAY_MON_YEAR = re.compile(r"\s*\d{1,2}-[A-Za-z]{3}-\d{4}")


# document_date reads a full date from at most this many characters of the text
DATE_HEAD = 1000


def document_date(metadata: dict[str, Any], text: str = "") -> date | None:
    """The date in metadata ("date"), else the first full date early in the text."""
    return _metadata_date(metadata) or _first_full_date(_mentions(text[:DATE_HEAD]))


def dated(metadata: dict[str, Any], text: str,
          country: str | None = None) -> tuple[date | None, list[dict[str, Any]]]:
    """document_date(metadata, text) and find_dates(text, that date, country), the same two
    results; where the text is no longer than document_date reads, it is scanned once."""
    mentions = _mentions(text)
    anchor = _metadata_date(metadata)
    if anchor is None:
        anchor = _first_full_date(mentions if len(text) <= DATE_HEAD
                                  else _mentions(text[:DATE_HEAD]))
    return anchor, _resolved(mentions, anchor, country)


def _metadata_date(metadata: dict[str, Any]) -> date | None:
    raw = str(metadata.get("date") or "")
    day_first = _DAY_MON_YEAR.match(raw)  # Reuters: "26-FEB-1987 15:02:20.00", with trailers
    try:
        if day_first:
            return dateparser.parse(day_first.group()).date()
        if raw:
            return dateparser.parse(raw, fuzzy=True).date()  # ISO from e-mail headers
    except (ValueError, OverflowError):
        pass
    return None


def _first_full_date(mentions: list[Mention]) -> date | None:
    for m in _resolved(mentions, None, None):
        if re.fullmatch(r"\d{4}-\d\d-\d\d", m["iso"]):
            return date.fromisoformat(m["iso"])
    return None


def find_dates(text: str, anchor: date | None,
               country: str | None = None) -> list[dict[str, Any]]:
    """Resolved date mentions in text order: text, start, end, iso. `country` (an ISO code)
    picks the calendar for named days such as Thanksgiving."""
    return _resolved(_mentions(text), anchor, country)


class Mention(NamedTuple):
    """A date phrase as matched, with the text around it that decides its reading."""

    kind: str
    match: re.Match[str]
    before: str
    after: str


def _mentions(text: str) -> list[Mention]:
    """The date phrases of a text, each span taken by the first kind that matches it. Which
    phrases these are does not depend on the anchor, only how they resolve."""
    taken = bytearray(len(text))  # 1 where a phrase (or a link) already lies: linear
    for m in _LINKS.finditer(text):
        taken[m.start():m.end()] = b"\1" * (m.end() - m.start())
    found = []
    months = _ANY_MONTH.search(text) is not None
    for kind, pattern in _COMPILED:
        if (kind in _GATES and not _GATES[kind].search(text)) or (
                not months and kind in _MONTH_KINDS):
            continue
        for m in pattern.finditer(text):
            if taken.find(1, m.start(), m.end()) >= 0 or not _one_span(kind, m):
                continue
            # marked even when it resolves to nothing: "February 30" is not then "February"
            taken[m.start():m.end()] = b"\1" * (m.end() - m.start())
            before, after = text[max(0, m.start() - 160):m.start()], text[m.end():m.end() + 80]
            if not not_a_date(kind, m, before, after):
                found.append(Mention(kind, m, before, after))
    return found


def _resolved(mentions: list[Mention], anchor: date | None,
              country: str | None) -> list[dict[str, Any]]:
    found = []
    for kind, m, before, after in mentions:
        sided = kind not in _FIXED and not m.groupdict().get("y") and anchor is not None
        when = when_of(before, after, kind) if sided else None
        if kind == "year_list":  # each year its own mention
            found += [{"text": y.group(), "start": m.start() + y.start(),
                       "end": m.start() + y.end(), "iso": y.group()}
                      for y in re.finditer(r"\d{4}", m.group())]
            continue
        iso = _resolve(kind, m, anchor, when, country)
        if iso:
            found.append({"text": m.group(), "start": m.start(), "end": m.end(), "iso": iso})
    return sorted(found, key=lambda d: d["start"])


def _one_span(kind: str, m: re.Match[str]) -> bool:
    """Months joined by "and" are one span only when they follow each other ("August and
    September"); "May and August" are two months, left to the later patterns."""
    if kind != "month_range" or " and " not in m.group().lower():
        return True
    return month_no(m.group("m2")) == month_no(m.group("m1")) % 12 + 1


def resolve_date(text: str, anchor: date | None, country: str | None = None) -> str | None:
    """One date phrase (a DATE entity's text) as ISO, or None."""
    found = find_dates(text, anchor, country)
    return found[0]["iso"] if len(found) == 1 else None


def _resolve(kind: str, m: re.Match[str], anchor: date | None, when: str | None,
             country: str | None) -> str | None:
    g = {k: v for k, v in m.groupdict().items() if v}
    try:
        if kind in ("iso", "iso_slash", "numeric"):
            return explicit(m.group(), kind)
        if kind in ("year", "year_range", "std_year"):
            return years(g["y"], g.get("y2"))
        if kind in ("decade", "decade_apos"):
            return decade(g, anchor)
        if kind == "two_dates":
            first = _month_phrase(g, anchor, when)
            if first is None:  # no year written and no document date to place it
                return None
            second = _month_phrase({"m": g["m2"], "d": g["d2"], "y": first[:4]}, anchor, when)
            return f"{first}/{second}" if second and first < second else None
        if "m1" in g:
            return _month_range(g, anchor, when)
        if "d2" in g:
            first = _month_phrase(g, anchor, when)
            return first and f"{first}/{first[:8]}{day_no(g['d2']):02d}"
        if kind == "month_rel_year" and anchor:
            step = {"last": -1, "next": 1}.get(g["ry"].lower(), 0)
            return _month_phrase({**g, "y": str(anchor.year + step)}, anchor, when)
        if kind == "week_of":
            return _week_of(g, anchor, when)
        if "m" in g:
            return _month_phrase(g, anchor, when)
        if kind == "named":
            return nearest_named_day(g, anchor, when, country)
        return _relative(kind, g, m.group().lower(), anchor, when)
    except ValueError:  # February 30
        return None


def _month_phrase(g: dict[str, str], anchor: date | None, when: str | None) -> str | None:
    month = month_no(g["m"])
    day = day_no(g["d"]) if "d" in g else None
    if "y" in g:
        year = int(g["y"])
    elif anchor is None:
        return None
    else:
        year = nearest_year(anchor, month, day, (g.get("rel") or "").lower() or None, when)
    if day is None:
        return f"{year:04d}-{month:02d}"
    return date(year, month, day).isoformat()


def _month_range(g: dict[str, str], anchor: date | None, when: str | None) -> str | None:
    first, last = month_no(g["m1"]), month_no(g["m2"])
    if "y" in g:
        year = int(g["y"])
    elif anchor is None:
        return None
    elif "ry" in g:  # "January to March this year"
        year = anchor.year + {"last": -1, "next": 1}.get(g["ry"].lower(), 0)
    else:
        year = nearest_year(anchor, first, None, None, when)
    end_year = year + 1 if last < first else year
    return f"{year:04d}-{first:02d}/{end_year:04d}-{last:02d}"


def _week_of(g: dict[str, str], anchor: date | None, when: str | None) -> str | None:
    month = _month_phrase({"m": g["m"], **({"y": g["y"]} if "y" in g else {})}, anchor, when)
    if month is None:
        return None
    first = date.fromisoformat(f"{month}-01")
    if g["nth"] == "last":
        nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        start = nxt - timedelta(days=7)
    else:
        start = first + timedelta(weeks=("first", "second", "third", "fourth").index(g["nth"]))
    return f"{start.isoformat()}/{(start + timedelta(days=6)).isoformat()}"


def _relative(kind: str, g: dict[str, str], text: str, anchor: date | None,
              when: str | None) -> str | None:
    if anchor is None:
        return None
    if kind == "relative_day":
        shift = {"yesterday": -1, "last": -1, "tomorrow": 1}.get(text.split()[0], 0)
        return (anchor + timedelta(days=shift)).isoformat()
    if kind == "weekday":
        return weekday(anchor, _WEEKDAYS.index(g["w"].lower()), g.get("rel"), when)
    if kind == "weekend":
        return weekend(anchor, (g.get("rel") or "").lower(), when)
    if kind == "ago":
        n = int(g["n"]) if g["n"].isdigit() else NUMBER_WORDS.get(g["n"].lower())
        unit = g["unit"].lower()
        if n is None:  # "many years ago"
            return None
        return period(anchor, "year", -10 * n) if unit == "decade" else period(anchor, unit, -n)
    step = {"last": -1, "past": -1, "next": 1, "coming": 1, "ensuing": 1}.get(g["rel"].lower(), 0)
    return period(anchor, g["unit"].lower(), step)
