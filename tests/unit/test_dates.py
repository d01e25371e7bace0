from datetime import date

import pytest

from sluice.dates import document_date, resolve_date

ANCHOR = date(1987, 2, 26)


@pytest.mark.parametrize(("text", "iso"), [
    ("1987", "1987"), ("March 1987", "1987-03"), ("March 3", "1987-03-03"),
    ("Feb 26, 1987", "1987-02-26"), ("2 April 1986", "1986-04-02"), ("last week", None),
    ("February 30", None),
])
def test_dates_resolve_at_stated_precision(text, iso):
    assert resolve_date(text, ANCHOR) == iso


@pytest.mark.parametrize(("meta", "expected"), [
    ({"date": "26-FEB-1987 15:02:20.00"}, ANCHOR),
    ({"date": "1987-02-26T15:02:20+00:00"}, ANCHOR),
    ({}, None), ({"date": "not a date at all"}, None),
])
def test_dates_document_date(meta, expected):
    assert document_date(meta) == expected
