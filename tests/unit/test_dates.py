from datetime import date

import pytest

from sluice.dates import document_date, find_dates, resolve_date

ANCHOR = date(1987, 2, 26)


@pytest.mark.parametrize(("text", "iso"), [
    ("1987", "1987"), ("March 1987", "1987-03"), ("March 3", "1987-03-03"),
    ("Feb 26, 1987", "1987-02-26"), ("2 April 1986", "1986-04-02"), ("last week", "1987-W08"),
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


@pytest.mark.parametrize(("sentence", "expected"), [
    ("He said last Tuesday that", [("last Tuesday", "1987-02-24")]),
    ("Shipments in March rose", [("March", "1987-03")]),
    ("exports fell in December", [("December", "1986-12")]),  # nearest December is past
    ("the 1987/88 crop and 1986-87 output", [("1987/88", "1987/1988"), ("1986-87", "1986/1987")]),
    ("sales for June/July", [("June/July", "1987-06/1987-07")]),
    ("The board met on Monday", [("Monday", "1987-02-23")]),
    ("The board will meet on Monday", [("Monday", "1987-03-02")]),
    ("The committee meets Monday, March 9", [("Monday, March 9", "1987-03-09")]),
    ("for the period April 3 to 15", [("April 3 to 15", "1987-04-03/1987-04-15")]),
    ("payable May One", [("May One", "1987-05-01")]),
    ("yesterday, last week and next month", [("yesterday", "1987-02-25"),
                                             ("last week", "1987-W08"), ("next month", "1987-03")]),
    ("the past few weeks", []),
])
def test_dates_find_and_resolve_relative_to_the_document(sentence, expected):
    found = find_dates(sentence, ANCHOR)
    assert [(m["text"], m["iso"]) for m in found] == expected
    assert all(sentence[m["start"]:m["end"]] == m["text"] for m in found)


def test_dates_document_date_falls_back_to_the_text():
    assert document_date({}, "NEW YORK, March 3, 1987 - Shares rose.") == date(1987, 3, 3)


def test_dates_relative_phrases_need_an_anchor():
    assert find_dates("last Tuesday and March 3, 1987", None) == [
        {"text": "March 3, 1987", "start": 17, "end": 30, "iso": "1987-03-03"}]
