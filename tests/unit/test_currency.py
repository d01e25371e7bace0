import pytest

from sluice.currency import find_currency


@pytest.mark.parametrize(("text", "expected"), [
    ("It raised $1.2bn.", [("$1.2bn", 1.2e9, "USD")]),
    ("a US$ 300 mln loan", [("US$ 300 mln", 3e8, "USD")]),
    ("stg 50 mln of bonds", [("stg 50 mln", 5e7, "GBP")]),
    ("Umsatz €3,5 Mio. im Jahr", [("€3,5 Mio.", 3.5e6, "EUR")]),
    ("a dividend of 5 cts", [("5 cts", 0.05, "USD")]),
    ("1.5 mln Canadian dlrs", [("1.5 mln Canadian dlrs", 1.5e6, "CAD")]),
    ("20 billion yen and 3.5 mln Swiss francs",
     [("20 billion yen", 2e10, "JPY"), ("3.5 mln Swiss francs", 3.5e6, "CHF")]),
    ("at 1,750 to 1,780 dlrs per tonne", [("1,750", 1750, "USD"), ("1,780 dlrs", 1780, "USD")]),
    ("will pay 5-3/8 dlrs a share", [("5-3/8 dlrs", 5.375, "USD")]),
    ("The Swedish group paid 600 mln crowns.", [("600 mln crowns", 6e8, "SEK")]),
])
def test_currency_finds_amount_and_iso_code(text, expected):
    found = [(m["text"], m["amount"], m["currency"]) for m in find_currency(text)]
    assert found == [(t, pytest.approx(a), c) for t, a, c in expected]
    assert all(text[m["start"]:m["end"]] == m["text"] for m in find_currency(text))


@pytest.mark.parametrize("text", [
    "The bank lost 540 mln crowns.",  # whose crowns? no guess
    "capacity of 3.2 billion pounds per year",  # weight, not sterling
    "in 1987 it had 30 employees",
])
def test_currency_leaves_undecidable_or_non_money_alone(text):
    assert find_currency(text) == []
