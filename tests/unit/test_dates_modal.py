"""Rules added after the third set's hard negatives (bench/data/unseen/dates_negatives3.jsonl,
now tuning data): "May" the modal and the company, and years after a product's capitals. Each
on the real sentence it came from, or a real sentence that must stay a date."""

from datetime import date

import pytest

from sluice.dates import find_dates


def _found(sentence: str, anchor: date) -> list[tuple[str, str]]:
    return [(m["text"], m["iso"]) for m in find_dates(sentence, anchor)]


@pytest.mark.parametrize(("sentence", "anchor", "expected"), [
    # the capital after "U.S." is the modal, not the month
    ("The Departnment said exports to the U.S. May be benefiting from fluctuations in the mark "
     "and yen exchange rates.", date(1987, 3, 26), []),
    ("But the New York Times today quoted administration sources as saying that the U.S. May "
     "be able to lift trade sanctions against Japan by the end of June.", date(1987, 4, 27),
     [("today", "1987-04-27"), ("June", "1987-06")]),
    # the company, also after "of" and "by", and "May and Allied said"
    ("Energy Development Partners Ltd said it has completed the acquisition of May Energy "
     "Partners Ltd for 1,817,697 depositary units following approval yesterday by May Energy "
     "unitholders.", date(1987, 4, 1), [("yesterday", "1987-03-31")]),
    ("May Department Stores Co said it terminated an agreement with Allied Stores Corp to buy "
     "from Allied the four Dey Brothers Stores in Syracuse, N.Y. May and Allied said conditions "
     "necessary for the closing were not met.", date(1987, 6, 18), []),
    # a year after a product's capitals: after its brand, after another model number, or as
    # the thing a noun names
    ("This discussion is based on Tiburon's experiences in writing and rewriting the memory "
     "manager for Madden NFL 97 to Madden NFL 2002.", date(2002, 9, 26), []),
    ("The company said its new VGS 2518 communications gateway server provides a high capacity "
     "pathway for high speed asynchronous data transfer between Unibus systems and Gandalf's "
     "PACX 200 and PACX 2000 systems.", date(1987, 3, 19), []),
    ("Gandalf said its other new product is the MUX 2000 multiplexing system, which offers a mix "
     "of voice and data capabilities.", date(1987, 3, 19), []),
])
def test_dates_modal_company_product_are_no_dates(sentence, anchor, expected):
    assert _found(sentence, anchor) == expected


@pytest.mark.parametrize(("sentence", "anchor", "expected"), [
    # after a month lead, "May" + verb stays the month
    ("Permits for single-family homes in May were down 5.", date(1987, 6, 16),
     [("May", "1987-05")]),
    # a table's header in capitals and an event's acronym keep their years
    ("It gave this breakdown for OPEC crude output, in mln bpd FOURTH QTR 1986 JANUARY 1987 "
     "FEBRUARY 1987", date(1987, 3, 5),
     [("1986", "1986"), ("JANUARY 1987", "1987-01"), ("FEBRUARY 1987", "1987-02")]),
    ("WSE 2002 is co-located with the IEEE International Conference on Software Maintenance "
     "(ICSM 2002)", date(2002, 8, 29), [("2002", "2002"), ("2002", "2002")]),
])
def test_dates_near_modal_and_caps_still_read(sentence, anchor, expected):
    assert _found(sentence, anchor) == expected
