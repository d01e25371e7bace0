import pytest

from sluice.numbers import normalise_numbers, parse_number


@pytest.mark.parametrize(("text", "value"), [
    ("1,750", 1750.0), ("3,5", 3.5), ("1.000.000", 1e6), ("1.234,5", 1234.5), ("1.5", 1.5),
    ("5-3/8", 5.375), ("1.58-1/2", 1.585), ("five", 5.0), ("12", 12.0),
])
def test_numbers_parse_english_and_european_forms(text, value):
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize(("text", "expected"), [
    ("1\u202f000\u202f000 people", "1,000,000 people"), ("1'000 CHF", "1,000 CHF"),
    ("\u22125 degrees", "-5 degrees"), ("room 12 3 beds", "room 12 3 beds"),
])
def test_numbers_normalise_grouping_and_minus(text, expected):
    assert normalise_numbers(text) == expected
