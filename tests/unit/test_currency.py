import gzip
import json
from pathlib import Path

import pytest

from sluice.currency import NO_CONTEXT, Context, document_context, find_currency


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


# -- unseen text (issue 11): real sentences, cited by corpus and document ------------------

AUSTRALIA = Context("AU", "AUD")
CANADA = Context("CA", "CAD")
HONG_KONG = Context("HK", "HKD")


def _found(text, context=NO_CONTEXT):
    return [(m["amount"], m["currency"], m["inferred"]) for m in find_currency(text, context)]


@pytest.mark.parametrize(("text", "context", "expected"), [
    # Reuters 14186, places ["australia"]: Mobil Oil Australia's loss is in Australian dollars
    ("<Mobil Oil Australia Ltd>, reported a 38.63 mln dlr net loss in 1986", AUSTRALIA,
     [(38.63e6, "AUD", True)]),
    # Reuters 13052, places ["australia"]: Amatil's dividend
    ("its latest annual dividend rate of 29 cents a share", AUSTRALIA, [(0.29, "AUD", True)]),
    # Reuters 16980, places ["hong-kong"]
    ("the other three lead managers ... will each contribute 36 mln dlrs.", HONG_KONG,
     [(36e6, "HKD", True)]),
    # SpamAssassin easy-ham-1/00241, as if sent from Canada: a bare "$"
    ("Try GeoCities for $8.95 per month.", CANADA, [(8.95, "CAD", True)]),
    # Reuters 15548, places ["canada"]: qualified after the word, both ways
    ("buy one new share for every three held at one dlr U.S. or 1.34 dlrs Canadian.", CANADA,
     [(1.0, "USD", False), (1.34, "CAD", False)]),
    # Reuters 13068, places ["belgium"]: francs of a Belgian company
    ("Vieille Montagne ... reported a 198 mln franc net loss",
     Context("BE", "BEF"), [(198e6, "BEF", True)]),
    # Reuters 16088, places ["denmark"]: crowns with no country in the sentence
    ("Total net reserves ... rose to 58.373 billion crowns in May", Context("DK", "DKK"),
     [(58.373e9, "DKK", True)]),
    # Reuters 17146, places ["france", ...]: U.S. dollars stay U.S. in a French wire
    ("Uganda's total foreign debt is estimated at some 1.5 billion dlrs.", Context("FR", "FRF"),
     [(1.5e9, "USD", False)]),
    # without a context a bare dollar is the U.S. one, and nothing is marked inferred
    ("<Mobil Oil Australia Ltd>, reported a 38.63 mln dlr net loss in 1986", NO_CONTEXT,
     [(38.63e6, "USD", False)]),
])
def test_currency_bare_dollar_and_words_take_the_documents_currency(text, context, expected):
    assert _found(text, context) == [(pytest.approx(a), c, i) for a, c, i in expected]


def test_currency_dollars_stay_us_where_the_document_names_only_us_dollars():
    # Reuters 15425, places ["taiwan"]: "56 billion U.S. Dlrs ... up from 54 billion dlrs"
    text = ("Taiwan's foreign exchange reserves have risen to a new high of 56 billion U.S. "
            "Dlrs. The reserves, up from 54 billion dlrs on April 19, compare with 27.3 "
            "billion a year ago, the Central Bank said.")
    context = document_context({"places": ["taiwan"], "date": "27-APR-1987 05:24:16.67"}, text)
    assert context == Context("TW", "TWD", True)
    assert _found(text, context) == [(56e9, "USD", False), (54e9, "USD", False)]


@pytest.mark.parametrize(("text", "expected"), [
    ("a placement worth $AUD1.1 billion", [(1.1e9, "AUD")]),  # issue 11's own examples
    ("priced at $US1,000 each", [(1000, "USD")]),
    ("a fine of $A8,800", [(8800, "AUD")]),
    ("the balance US$ 22.5 M as part of the amount", [(22.5e6, "USD")]),
    # SpamAssassin easy-ham-1/00409 (The Economist's Big Mac index)
    ("Australia A$3.00 USD 1.62", [(3.0, "AUD"), (1.62, "USD")]),
    ("US $2.49 USD 2.49 Switzerland SFr6.30", [(2.49, "USD"), (2.49, "USD"), (6.30, "CHF")]),
    # SpamAssassin spam-2/00155 and spam-2/01353 (Brazilian reais, decimal comma)
    ("We are left with the balance US$20.5M as part", [(20.5e6, "USD")]),
    ("Proteja seu patrimônio | R$ 36,00 frete incluso", [(36.0, "BRL")]),
    # SpamAssassin hard-ham-1/00177 (Ryanair): the pound sign lost to a bad charset
    ("Annual travel insurance* from \ufffd45.00GBP/63.00 Euro",
     [(45.0, "GBP"), (63.0, "EUR")]),
    ("Net Worth: *$680 mil* returnee", [(680e6, "USD")]),  # SpamAssassin easy-ham-1/00704
])
def test_currency_reads_symbols_and_codes_around_the_dollar(text, expected):
    assert [(a, c) for a, c, _ in _found(text)] == [(pytest.approx(a), c) for a, c in expected]


@pytest.mark.parametrize(("text", "expected"), [
    # SOTU 1836 (Jackson), 2000 (Clinton), 1903 (T. Roosevelt), 1956, 1994
    ("has accumulated a surplus exceeding half a million dollars", [5e5]),
    ("and a billion dollars to increase economic opportunity", [1e9]),
    ("the surplus would be reduced by, approximately, thirty million dollars.", [3e7]),
    ("It now faces an annual deficit of one-half billion dollars.", [5e8]),
    ("cut the deficit by half a trillion dollars, cut spending", [5e11]),
    # SOTU 1952 (Truman), 1996 (Clinton), 1998 (Clinton)
    ("Deliveries of hard goods now amount to about a billion and a half dollars worth a month.",
     [1.5e9]),
    ("Four dollars and 25 cents an hour is no longer a minimum wage", [4.25]),
    ("raise the price of cigarettes by up to a dollar and a half a pack", [1.5]),
    # SpamAssassin spam-2/00155, spam-2/00840, hard-ham-1/00049, easy-ham-1/00765
    ("the sum of Twenty Million, Five Hundred Thousand United States Dollars ( $20,500,000 ).",
     [20.5e6, 20.5e6]),
    ("valued at Three Hundred and Thirty Eight Million United States Dollars only",
     [338e6]),
    ("Twenty-five bucks wasn't steep", [25]),
    ("it asked for a forty-eight-billion-dollar increase in defense spending", [48e9]),
    ("twenty-five million Dollars", [25e6]),  # issue 11: was read as 20 and 5 million
])
def test_currency_reads_amounts_in_words(text, expected):
    assert [(a, c) for a, c, _ in _found(text)] == [(pytest.approx(a), "USD") for a in expected]


@pytest.mark.parametrize(("text", "expected"), [
    ("$400 to $500 million", [4e8, 5e8]),  # issue 11
    # SpamAssassin spam-1/00112, hard-ham-1/00793 (two sentences)
    ("a company that will increase revenues from $1 to $25 million in three years", [1e6, 25e6]),
    ("gross revenues in the $200-300 million range (and growing)", [2e8, 3e8]),
    ("usually to the tune of $10-30k per person", [1e4, 3e4]),
    ("400-500 million dollars", [4e8, 5e8]),
    # SpamAssassin hard-ham-1/00380: both amounts written out, nothing shared
    ("making an additional $50,000 - $250,000 per year", [5e4, 2.5e5]),
    # SOTU 1927 (Coolidge)
    ("Between $5,000,000 and $10,000,000 in addition have been provided", [5e6, 1e7]),
])
def test_currency_ranges_share_their_scale(text, expected):
    assert [a for a, _, _ in _found(text)] == [pytest.approx(a) for a in expected]


@pytest.mark.parametrize(("text", "expected"), [
    ("The 400 series is the latest model of the Boeing 747", []),  # Reuters
    ("under Section 301 of the General Agreement on Tariffs and Trade", []),  # Reuters
    ("the SEC, including the Form 10-K for fiscal 2001 and its recent 10-Qs.", []),  # e-mail
    # SpamAssassin e-mails: a price next to a version name; phone numbers after "$$"
    ("* Optional IBM 1GB Microdrive required for Windows 2000 ($499) or Windows Me($399).",
     [499, 399]),
    ("$$DON'T WAIT!!! CALL NOW $$ 1-800-896-6568", []),
    ("FAX BACK TO: 1-800-421-6318 OR Call 1-800-896-6568", []),
    # Reuters 13120: a year before "sterling" is not an amount of sterling
    ("assuming an average 1987 sterling exchange rate of 1.55 dlrs.", [1.55]),
])
def test_currency_hard_negatives_are_not_money(text, expected):
    assert [a for a, _, _ in _found(text)] == [pytest.approx(a) for a in expected]


def test_currency_pounds_of_copper_stay_weight_in_a_british_context():
    # Reuters 12862 (a mine's output): pounds are weight whatever the document's country
    text = "Myra Falls 1986 production was 44,000 ounces of gold, 45.5 mln pounds of copper"
    assert find_currency(text, Context("GB", "GBP")) == []


@pytest.mark.parametrize(("metadata", "text", "expected"), [
    ({"places": ["australia"], "date": "13-APR-1987 01:25:00.00"}, "", Context("AU", "AUD")),
    ({"places": "west-germany", "date": "8-APR-1987 10:00:00.00"}, "", Context("DE", "DEM")),
    ({"places": ["hong-kong", "japan"]}, "", Context("HK", "HKD")),
    # a sender's country domain counts only when the text names that country too
    ({"from": "Nick <nick@netability.ie>", "date": "2002-08-14"}, "linux users in Ireland",
     Context("IE", "EUR")),
    ({"from": "deals@offers.ca", "date": "2002-08-14"}, "Try GeoCities for $8.95", NO_CONTEXT),
    # SOTU: the text names its country most
    ({"date": "1896"}, "the United States and Spain ... the United States", Context("US", "USD")),
    ({}, "no country at all", NO_CONTEXT),
])
def test_currency_document_context(metadata, text, expected):
    assert document_context(metadata, text) == expected


REUTERS = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "reuters-21578.jsonl.gz"


@pytest.mark.skipif(not REUTERS.exists(), reason="needs ../shared/corpora/reuters-21578")
def test_currency_in_a_real_hong_kong_wire():
    """Reuters wire 16980 ("NEWS CORP UNIT LOAN TO RISE TO 888 MLN H.K. DLRS")."""
    with gzip.open(REUTERS, "rt", encoding="utf-8") as fh:
        record = next(r for r in map(json.loads, fh)
                      if r.get("title", "").startswith("NEWS CORP UNIT LOAN TO RISE"))
    text = " ".join(record["body"].split())  # as the clean stage's line_wraps step joins it
    context = document_context(record, text)
    found = find_currency(text, context)
    assert {m["currency"] for m in found} == {"HKD"}
    assert [m["amount"] for m in found][:2] == [500e6, 888e6]
    assert [m["inferred"] for m in found][:2] == [False, True]


@pytest.mark.skipif(not REUTERS.exists(), reason="needs ../shared/corpora/reuters-21578")
def test_currency_context_reaches_the_clean_stage_from_a_jsonl_record():
    """The same wire as the pipeline reads it: its `places` label survives parsing (a list
    field) and decides the bare "dlrs" in the clean stage."""
    from sluice.clean import clean_documents
    from sluice.config import CleanConfig
    from sluice.parse import parse_documents
    from sluice.records import RawDocument, SourceRef

    with gzip.open(REUTERS, "rt", encoding="utf-8") as fh:
        line = next(raw for raw in fh if "NEWS CORP UNIT LOAN TO RISE" in raw)
    ref = SourceRef(uri="in/reuters.jsonl", format="jsonl", part=1)
    docs, failures = parse_documents([RawDocument(id="r", ref=ref, data=line.encode())],
                                     text_field="body")
    assert failures == [] and docs[0].metadata["places"] == ["hong-kong"]
    [doc] = clean_documents(docs, CleanConfig())
    found = doc.metadata["currency"]
    assert {m["currency"] for m in found} == {"HKD"}
    assert [m["inferred"] for m in found][:2] == [False, True]
