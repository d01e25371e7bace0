import pytest

from sluice.numbers import (
    amount_pattern,
    find_amounts,
    normalise_numbers,
    parse_number,
    parse_words,
)


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


@pytest.mark.parametrize(("text", "value"), [
    # amounts in words from State of the Union addresses and SpamAssassin e-mails
    ("twenty-five million", 25e6), ("half a million", 5e5), ("a billion", 1e9),
    ("one-half billion", 5e8), ("a billion and a half", 1.5e9), ("half-a-billion", 5e8),
    ("half a trillion", 5e11), ("four trillion", 4e12), ("forty-eight-billion", 48e9),
    ("Three Hundred and Thirty Eight Million", 338e6),
    ("Twenty Million, Five Hundred Thousand", 20.5e6), ("FIFTY MILLION", 5e7),
])
def test_numbers_parse_amounts_in_words(text, value):
    assert parse_words(text) == pytest.approx(value)
    assert parse_number(text) == pytest.approx(value)


def test_numbers_words_that_are_no_number_raise():
    with pytest.raises(ValueError):
        parse_words("one two")


def test_numbers_long_word_amounts_only_where_asked():
    """Units keep their one-word numbers; currency asks for whole phrases."""
    text = "the sum of twenty-five million dollars"  # cf. SpamAssassin spam-2/00155
    short = amount_pattern("dollars").search(text)
    long = amount_pattern("dollars", words=True).search(text)
    assert short.group("num") == "five" and long.group("num") == "twenty-five million"
    assert [a.value for a in find_amounts(text, amount_pattern("dollars", words=True))] == [25e6]
