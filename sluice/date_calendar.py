"""Calendar arithmetic for `sluice.dates`: explicit dates and year ranges, month and day
numbers, the year nearest a document date on the side the text implies, weekdays, the
periods "last week" or "next month" name, weekends, decades and the nearest named day."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sluice.date_words import DECADE_WORDS, PAST_REACH, named_day

# Day numbers in words: "May One" as Reuters writes it, "August five" after Pay/Record.
DAY_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def explicit(text: str, kind: str) -> str:
    if kind == "iso":
        return date.fromisoformat(text[:10]).isoformat()
    if kind == "iso_slash":
        return date.fromisoformat(text.replace("/", "-")).isoformat()
    month, day, year = (int(p) for p in text.split("/"))
    year += 1900 if year < 100 and year >= 30 else 2000 if year < 100 else 0
    return date(year, month, day).isoformat()


def years(first: str, second: str | None) -> str:
    if second is None:
        return first
    end = int(second) if len(second) == 4 else int(first[:2] + second)
    if end <= int(first):
        raise ValueError("not a year range")
    return f"{first}/{end}"


def month_no(name: str) -> int:
    return _MONTHS.index(name[:3].lower()) + 1


def day_no(text: str) -> int:
    if text.lower() in DAY_WORDS:
        return DAY_WORDS.index(text.lower()) + 1
    return int(re.match(r"\d+", text).group())


def nearest_year(anchor: date, month: int, day: int | None, rel: str | None,
                 when: str | None) -> int:
    """The year putting month (and day) nearest the anchor, on the side the text implies."""
    now = anchor.year * 12 + anchor.month - 1 + (anchor.day - 1) / 31
    frac = (day - 1) / 31 if day else (anchor.day - 1) / 31

    def offset(year: int) -> float:
        return year * 12 + month - 1 + frac - now

    candidates = [anchor.year - 1, anchor.year, anchor.year + 1]
    if rel == "last":
        candidates = [y for y in candidates if offset(y) < 0]
    elif rel == "next" or (rel is None and when == "future"):
        candidates = [y for y in candidates if offset(y) >= 0]
    elif rel is None and when == "past":
        candidates = [y for y in candidates if -PAST_REACH <= offset(y) <= 0] or candidates
    elif rel is None and when == "since":
        candidates = [y for y in candidates if offset(y) <= 0]
    return min(candidates, key=lambda y: (abs(offset(y)), -y))  # a tie goes to the future


def weekday(anchor: date, day: int, rel: str | None, when: str | None) -> str:
    rel = rel.lower() if rel else None
    if rel == "this" and when is None:  # "this Friday": the one in the document's week
        return (anchor + timedelta(days=day - anchor.weekday())).isoformat()
    if rel is None and when == "present":  # "begins on Saturday": that day or the next one
        return (anchor + timedelta(days=(day - anchor.weekday()) % 7)).isoformat()
    if rel is None and when in (None, "past") and day == anchor.weekday():
        return anchor.isoformat()  # "evacuated on Wednesday" in a Wednesday's story: that day
    ahead = rel == "next" or (rel in (None, "this") and when == "future")
    if ahead:
        return (anchor + timedelta(days=(day - anchor.weekday() - 1) % 7 + 1)).isoformat()
    return (anchor - timedelta(days=(anchor.weekday() - day - 1) % 7 + 1)).isoformat()


def period(anchor: date, unit: str, step: int) -> str:
    if unit == "day":
        return (anchor + timedelta(days=step)).isoformat()
    if unit == "week":
        year, week, _ = (anchor + timedelta(weeks=step)).isocalendar()
        return f"{year:04d}-W{week:02d}"
    if unit == "month":
        months = anchor.year * 12 + anchor.month - 1 + step
        return f"{months // 12:04d}-{months % 12 + 1:02d}"
    return f"{anchor.year + step:04d}"


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
        ahead = when == "future" or (when in (None, "present") and anchor.weekday() >= 3)
        saturday -= timedelta(weeks=0 if ahead else 1)
    return f"{saturday.isoformat()}/{(saturday + timedelta(days=1)).isoformat()}"
