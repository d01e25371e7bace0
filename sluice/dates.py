"""Dates in text resolved to ISO 8601 relative to the document date, at the precision
stated: "1987" -> "1987", "in March" -> "1987-03", "March 3" -> "1987-03-03", "last
Tuesday" -> "1987-02-24", "last week" -> "1987-W08", "1987/88" -> "1987/1988",
"June/July" -> "1987-06/1987-07".

Conventions: a month or day without a year is its occurrence nearest the document date
(a later one if the sentence speaks of the future); a bare weekday is the last one before
the document date unless the sentence speaks of the future; "last"/"next" are the
nearest strictly before/after. Phrases without a fixed point ("recent weeks") give nothing.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from dateutil import parser as dateparser

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH = (r"(?:January|February|March|April|May|June|July|August|September|October"
          r"|November|December|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?)")
_YEAR = r"(?:1[89]\d\d|20\d\d)"
_DAY = (r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?|One|Two|Three|Four|Five|Six|Seven|Eight"
        r"|Nine|Ten")  # Reuters writes "May One"
_MOD = r"(?:(?:early|mid|late|end)[- ])?"
_PATTERNS = [  # (kind, regex); earlier kinds win where matches overlap
    ("iso", rf"{_YEAR}-[01]\d-[0-3]\d"),
    ("numeric", r"[01]?\d/[0-3]?\d/(?:\d\d)?\d\d"),
    ("month_range", rf"(?P<m1>{_MONTH})[/-](?P<m2>{_MONTH}),?(?: (?P<y>{_YEAR}))?"),
    ("day_range", rf"(?P<m>{_MONTH}) (?P<d>{_DAY})(?:-| to )(?P<d2>{_DAY})(?:,? (?P<y>{_YEAR}))?"),
    ("weekday_date", rf"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,? (?P<m>{_MONTH}) (?P<d>{_DAY})"
                     rf"(?:,? (?P<y>{_YEAR}))?"),
    ("month_day_year", rf"(?P<m>{_MONTH}) (?P<d>{_DAY}),? (?P<y>{_YEAR})"),
    ("day_month_year", rf"(?P<d>{_DAY}) (?P<m>{_MONTH}),? (?P<y>{_YEAR})"),
    ("month_day", rf"(?P<m>{_MONTH}) (?P<d>{_DAY})(?![\d,.]\d|\d| (?:pct|mln|bln|dlrs))"),
    ("day_month", rf"(?P<d>{_DAY}) (?P<m>{_MONTH})"),
    ("month_year", rf"{_MOD}(?P<m>{_MONTH}),? (?P<y>{_YEAR})"),
    ("month", rf"(?:(?P<rel>(?i:last|next|this)) )?{_MOD}(?P<m>{_MONTH})"),
    ("weekday", r"(?:(?P<rel>(?i:last|next|this)) )?(?P<w>(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)"
                r"day)(?:'s)?"),
    ("relative_day", r"(?i:today|yesterday|tomorrow|tonight|last night)"),
    ("relative", r"(?i:(?P<rel>last|next|this|coming|past) (?P<unit>week|month|year))"),
    ("ago", r"(?P<n>a|one|two|three|four|five|six|\d+) (?P<unit>day|week|month|year)s? ago"),
    ("year_range", rf"(?P<y>{_YEAR})[/-](?P<y2>\d\d|{_YEAR})(?!\d)"),
    ("year", rf"(?P<y>{_YEAR})"),
]
_COMPILED = [(kind, re.compile(rf"(?<![\w$.,/-]){p}(?![\w/]|[.,]\d)")) for kind, p in _PATTERNS]
_FUTURE = re.compile(r"\b(?:will|would|shall|expected|scheduled|planned|plans|to be|is to"
                     r"|are to|next|coming|shipment|delivery|forward|new crop)\b[^.;]*$",
                     re.IGNORECASE)
_AHEAD = re.compile(r"\b(?:by|until|till|before)\s+(?:the end of |early |late )?$", re.I)
_BEHIND = re.compile(r"\b(?:ended|since|through|last)\s+$", re.IGNORECASE)
_DAY_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_DAY_MON_YEAR = re.compile(r"\s*\d{1,2}-[A-Za-z]{3}-\d{4}")
_NUMBER_WORDS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}


def document_date(metadata: dict[str, Any], text: str = "") -> date | None:
    """The date in metadata ("date"), else the first full date early in the text."""
    raw = str(metadata.get("date") or "")
    day_first = _DAY_MON_YEAR.match(raw)  # Reuters: "26-FEB-1987 15:02:20.00", with trailers
    try:
        if day_first:
            return dateparser.parse(day_first.group()).date()
        if raw:
            return dateparser.parse(raw, fuzzy=True).date()  # ISO from e-mail headers
    except (ValueError, OverflowError):
        pass
    for m in find_dates(text[:1000], None):
        if re.fullmatch(r"\d{4}-\d\d-\d\d", m["iso"]):
            return date.fromisoformat(m["iso"])
    return None


def find_dates(text: str, anchor: date | None) -> list[dict[str, Any]]:
    """Resolved date mentions in text order: text, start, end, iso."""
    taken: list[tuple[int, int]] = []
    found = []
    for kind, pattern in _COMPILED:
        for m in pattern.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            iso = _resolve(kind, m, anchor, text[max(0, m.start() - 80):m.start()])
            taken.append((m.start(), m.end()))  # "February 30" must not become "February"
            if iso:
                found.append({"text": m.group(), "start": m.start(), "end": m.end(),
                              "iso": iso})
    return sorted(found, key=lambda d: d["start"])


def resolve_date(text: str, anchor: date | None) -> str | None:
    """One date phrase (a DATE entity's text) as ISO, or None."""
    found = find_dates(text, anchor)
    return found[0]["iso"] if len(found) == 1 else None


def _resolve(kind: str, m: re.Match[str], anchor: date | None, before: str) -> str | None:
    g = {k: v for k, v in m.groupdict().items() if v}
    future = not _BEHIND.search(before) and bool(_AHEAD.search(before) or _FUTURE.search(before))
    try:
        if kind in ("iso", "numeric"):
            return _explicit(m.group(), kind)
        if kind in ("year", "year_range"):
            return _years(g["y"], g.get("y2"))
        if "m1" in g:
            return _month_range(g, anchor, future)
        if "d2" in g:
            first = _month_phrase(g, anchor, future)
            return first and f"{first}/{first[:8]}{_day_no(g['d2']):02d}"
        if "m" in g:
            return _month_phrase(g, anchor, future)
        return _relative(kind, g, m.group().lower(), anchor, future)
    except ValueError:  # February 30
        return None


def _explicit(text: str, kind: str) -> str:
    if kind == "iso":
        return date.fromisoformat(text).isoformat()
    month, day, year = (int(p) for p in text.split("/"))
    year += 1900 if year < 100 and year >= 30 else 2000 if year < 100 else 0
    return date(year, month, day).isoformat()


def _years(first: str, second: str | None) -> str:
    if second is None:
        return first
    end = int(second) if len(second) == 4 else int(first[:2] + second)
    if end <= int(first):
        raise ValueError("not a year range")
    return f"{first}/{end}"


def _month_no(name: str) -> int:
    return _MONTHS.index(name[:3].lower()) + 1


def _day_no(text: str) -> int:
    if text.lower() in _DAY_WORDS:
        return _DAY_WORDS.index(text.lower()) + 1
    return int(re.match(r"\d+", text).group())


def _month_phrase(g: dict[str, str], anchor: date | None, future: bool) -> str | None:
    month = _month_no(g["m"])
    day = _day_no(g["d"]) if "d" in g else None
    if "y" in g:
        year = int(g["y"])
    elif anchor is None:
        return None
    else:
        year = _nearest_year(anchor, month, day, (g.get("rel") or "").lower() or None, future)
    if day is None:
        return f"{year:04d}-{month:02d}"
    return date(year, month, day).isoformat()


def _month_range(g: dict[str, str], anchor: date | None, future: bool) -> str | None:
    first, last = _month_no(g["m1"]), _month_no(g["m2"])
    if "y" in g:
        year = int(g["y"])
    elif anchor is None:
        return None
    else:
        year = _nearest_year(anchor, first, None, None, future)
    end_year = year + 1 if last < first else year
    return f"{year:04d}-{first:02d}/{end_year:04d}-{last:02d}"


def _nearest_year(anchor: date, month: int, day: int | None, rel: str | None,
                  future: bool) -> int:
    """The year putting month (and day) nearest the anchor, on the side the text implies."""
    now = anchor.year * 12 + anchor.month - 1 + (anchor.day - 1) / 31
    frac = (day - 1) / 31 if day else (anchor.day - 1) / 31

    def offset(year: int) -> float:
        return year * 12 + month - 1 + frac - now

    years = [anchor.year - 1, anchor.year, anchor.year + 1]
    if rel == "last":
        years = [y for y in years if offset(y) < 0]
    elif rel == "next" or future:
        years = [y for y in years if offset(y) >= 0]
    return min(years, key=lambda y: (abs(offset(y)), -y))  # a tie goes to the future


def _relative(kind: str, g: dict[str, str], text: str, anchor: date | None,
              future: bool) -> str | None:
    if anchor is None:
        return None
    if kind == "relative_day":
        shift = {"yesterday": -1, "last night": -1, "tomorrow": 1}.get(text, 0)
        return (anchor + timedelta(days=shift)).isoformat()
    if kind == "weekday":
        return _weekday(anchor, _WEEKDAYS.index(g["w"].lower()), g.get("rel"), future)
    if kind == "ago":
        n = _NUMBER_WORDS.get(g["n"].lower()) or int(g["n"])
        return _period(anchor, g["unit"].lower(), -n)
    step = {"last": -1, "past": -1, "next": 1, "coming": 1}.get(g["rel"].lower(), 0)
    return _period(anchor, g["unit"].lower(), step)


def _weekday(anchor: date, weekday: int, rel: str | None, future: bool) -> str:
    ahead = rel == "next" or (rel in (None, "this") and future)
    if ahead:
        return (anchor + timedelta(days=(weekday - anchor.weekday() - 1) % 7 + 1)).isoformat()
    return (anchor - timedelta(days=(anchor.weekday() - weekday - 1) % 7 + 1)).isoformat()


def _period(anchor: date, unit: str, step: int) -> str:
    if unit == "day":
        return (anchor + timedelta(days=step)).isoformat()
    if unit == "week":
        year, week, _ = (anchor + timedelta(weeks=step)).isocalendar()
        return f"{year:04d}-W{week:02d}"
    if unit == "month":
        months = anchor.year * 12 + anchor.month - 1 + step
        return f"{months // 12:04d}-{months % 12 + 1:02d}"
    return f"{anchor.year + step:04d}"
