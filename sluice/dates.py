"""Document dates and DATE entities resolved to ISO strings, at the precision stated.

"1987" stays "1987", "March 1987" is "1987-03", "March 3" takes the document's year.
Phrases that are not resolvable without more context ("the past few weeks") give None.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from dateutil import parser as dateparser

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = re.compile(r"\b(" + "|".join(_MONTHS) + r")[a-z]*\.?\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(1[6-9]\d\d|20\d\d)\b")
_DAY = re.compile(r"\b([0-3]?\d)(?:st|nd|rd|th)?\b")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}")


def document_date(metadata: dict[str, Any]) -> date | None:
    raw = metadata.get("date")
    if not raw:
        return None
    try:
        # Reuters writes "26-FEB-1987 15:02:20.00"; e-mail dates arrive as ISO already.
        return dateparser.parse(str(raw).replace(".00", ""), fuzzy=True).date()
    except (ValueError, OverflowError):
        return None


def resolve_date(text: str, anchor: date | None) -> str | None:
    if _ISO.match(text):
        return text[:10]
    month = _MONTH.search(text)
    year = _YEAR.search(text)
    if month is None:
        return year.group(1) if year and len(text.strip()) <= 12 else None
    month_no = _MONTHS.index(month.group(1).lower()) + 1
    year_no = int(year.group(1)) if year else (anchor.year if anchor else None)
    rest = text.replace(month.group(0), " ").replace(year.group(0), " ") if year else \
        text.replace(month.group(0), " ")
    day = _DAY.search(rest)
    if year_no is None:
        return None
    if day and 1 <= int(day.group(1)) <= 31:
        try:
            return datetime(year_no, month_no, int(day.group(1))).date().isoformat()
        except ValueError:
            return None
    return f"{year_no:04d}-{month_no:02d}"
