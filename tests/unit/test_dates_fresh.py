"""Date rules added after the second fresh set's misses, each on the real sentence it came
from (bench/data/unseen/dates_fresh2.jsonl and dates_negatives2.jsonl) or on a real sentence
that must stay as it was."""

from datetime import date

import pytest

from sluice.dates import find_dates


def _found(sentence: str, anchor: date) -> list[tuple[str, str]]:
    return [(m["text"], m["iso"]) for m in find_dates(sentence, anchor)]


@pytest.mark.parametrize(("sentence", "anchor", "expected"), [
    # a year list written without spaces: each year its own mention
    ("Copyright (c) 1997,1998,2002,2007 Adobe Systems Incorporated", date(2000, 1, 1),
     [("1997", "1997"), ("1998", "1998"), ("2002", "2002"), ("2007", "2007")]),
    # a standard's edition year
    ("the aio_* APIs come from the POSIX spec IEEE Std 1003.1-1990, section 6.7.9",
     date(2002, 9, 3), [("Std 1003.1-1990", "1990")]),
    # month ranges joined by words
    ("Egypt is expected to tender April 22 for 500,000 tonnes of corn for May through "
     "September shipments, private export sources said.", date(1987, 4, 9),
     [("April 22", "1987-04-22"), ("May through September", "1987-05/1987-09")]),
    ("IS OFFERING DURING THE MONTHS OF AUGUST AND SEPTEMBER 2002, A PERSONAL INVITATION.",
     date(2002, 8, 5), [("AUGUST AND SEPTEMBER 2002", "2002-08/2002-09")]),
    # a month range with "this year" takes that year, whatever the clause's tense
    ("But an average dollar rate of only 2.07 guilders against the 2.69 guilders in the first "
     "quarter of 1986 would take turnover for January to March this year in guilder terms to "
     "less than the 13.06 billion guilders posted in the comparable 1986 period.",
     date(1987, 4, 8), [("1986", "1986"), ("January to March this year", "1987-01/1987-03"),
                        ("1986", "1986")]),
    # a day number in words where no noun follows it
    ("The plants will be closed for a week starting August six for inventory adjustment.",
     date(1987, 4, 1), [("August six", "1987-08-06")]),
])
def test_dates_fresh2_forms(sentence, anchor, expected):
    assert _found(sentence, anchor) == expected


@pytest.mark.parametrize(("sentence", "anchor", "iso"), [
    # a timetable in the present tense, in a Sunday's mail: the coming Saturday
    ("David Seaman to carry on as England goalkeeper when their European Championship "
     "qualifying programme begins in Slovakia on Saturday.", date(2002, 10, 6), "2002-10-12"),
    # the document's own weekday in a past clause is that day
    ("Meanwhile, the Amsterdam head office of the Dutch news agency ANP was evacuated on "
     "Wednesday, after police warned that a bomb might have been planted in the building.",
     date(2002, 12, 4), "2002-12-04"),
    # the crash wires of 19 October 1987 (a Monday): "Monday" is that day
    ("Brazil in February stopped interest payments on about 68 billion dlrs owed to private "
     "banks, and the Ministry statement issued on Monday said this would only be lifted",
     date(1987, 10, 19), "1987-10-19"),
    # a past weekday that is not the document's stays the week's last one
    ("The board met on Monday", date(1987, 2, 26), "1987-02-23"),
])
def test_dates_weekday_side(sentence, anchor, iso):
    days = [m["iso"] for m in find_dates(sentence, anchor)
            if m["text"].endswith("day")]
    assert days == [iso]


@pytest.mark.parametrize(("sentence", "anchor"), [
    ("SPD farm policy spokesman Jan Oostergetelo said his party would support the bill, even "
     "though it would further swell massive government spending on agriculture.",
     date(1987, 6, 15)),
    ("Jan Yager, a sociologist at the University of Connecticut at Stamford, advises "
     "deliberately leaving bad friends by the wayside.", date(2002, 9, 10)),
    ("Norton SystemWorks 2002 Software Suite -Professional Edition-", date(2002, 9, 10)),
    ("USA Today reported that Archer-Daniels-Midland might be seeking a hostile takeover of "
     "International Minerals.", date(1987, 6, 19)),
    ("See the write-up in the USA Today on this program (Friday Edition)", date(2002, 6, 10)),
])
def test_dates_names_products_spans_are_no_dates(sentence, anchor):
    assert find_dates(sentence, anchor) == []


def test_dates_first_name_jan_beside_a_real_date():
    sentence = ("SAS President Jan Carlzon announced the MD-11 order last December, saying the "
                "plane would replace the airline's current fleet of DC10s.")
    assert _found(sentence, date(1987, 3, 20)) == [("last December", "1986-12")]


@pytest.mark.parametrize(("sentence", "anchor", "expected"), [
    ("Jan 5 was the deadline", date(1987, 2, 26), [("Jan 5", "1987-01-05")]),
    ("sales in Jan. 1987 fell", date(1987, 2, 26), [("Jan. 1987", "1987-01")]),
    ("INFO: -=-=-=-=-= v4.0.0. (c) ArgoTech 2001.", date(2002, 7, 24), [("2001", "2001")]),
    ("Get Your FREE Lesson Today!", date(2002, 9, 6), [("Today", "2002-09-06")]),
    # months joined by "and" that do not follow each other are two months
    ("Preparation of the fields for the 1987/88 wheat crop, which will be sown between May and "
     "August or September, has so far not been as intense as in previous years.",
     date(1987, 4, 8), [("1987/88", "1987/1988"), ("May", "1987-05"), ("August", "1987-08"),
                        ("September", "1987-09")]),
    ("Liquidity is expected to remain tight over the next month", date(1987, 4, 2),
     [("next month", "1987-05")]),
])
def test_dates_near_misses_still_read(sentence, anchor, expected):
    assert _found(sentence, anchor) == expected
