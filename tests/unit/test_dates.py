import json
import re
from datetime import date

import pytest

from sluice.date_words import _calendar, document_country, named_day
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

    # a range of two yearless days in a document without a date (a .txt file) is no date,
    # not a crash (reuters bodies 1140 and 1213, as .txt files)
    assert find_dates("the First Equipment reverse takeover offer has been changed from "
                      "March 12 to March 16.", None) == []
    assert find_dates("The ICO executive board meets here March 30 to April 1 but", None) == []


# Issue 11: each cause on real sentences, cited as corpus and document (Reuters-21578 index,
# State of the Union file, SpamAssassin id/group); the anchor is the document's own date.
@pytest.mark.parametrize(("anchor", "sentence", "expected"), [
    # past tense: the last May, not the coming one (sotu 2014_barack_obama_d)
    ("2014-01-28", "In May, she and her husband used their life savings to buy their first "
     "home.", [("May", "2013-05")]),
    # each phrase takes its own clause's tense (reuters 19508)
    ("1987-06-29", "The cuts, originally brought in from February 1, would probably be "
     "officially approved on July 10 by parliament, Helle said.",
     [("February 1", "1987-02-01"), ("July 10", "1987-07-10")]),
    # a reported future stays ahead (reuters 2634)
    ("1987-03-06", "Limited shipping restrictions due to high water remain in force on parts of "
     "the West German stretch of the Rhine river between the Dutch border and the city of "
     "Mainz but most are expected to be lifted this weekend.",
     [("this weekend", "1987-03-07/1987-03-08")]),
    # the last cue near the phrase decides; an adjective month is the nearest (reuters 2519;
    # 2389; 2651; 2724; 2924, all read for the tense rules)
    ("1987-03-05", "The ICC had rejected in July, on grounds it would reduce competition, the "
     "merger.", [("July", "1986-07")]),
    ("1987-03-05", "The Commerce Department on Monday will set final dumping duties on frozen "
     "orange juice.", [("Monday", "1987-03-09")]),
    ("1987-03-06", "Fermenta is due to hold an extraordinary shareholders' meeting on Tuesday to "
     "approve the planned equity issue.", [("Tuesday", "1987-03-10")]),
    ("1987-03-06", "Today's peak at 72.0 pct was its highest since August 19.",
     [("Today", "1987-03-06"), ("August 19", "1986-08-19")]),
    ("1987-03-06", "The report sparked selling in Treasury bond futures that drove the June "
     "contract through key technical support.", [("June", "1987-06")]),
    # "June last year" is one mention (reuters 12442; 17240)
    ("1987-04-02", "The UCPB rejected an original offer of 100 pesos per share made by SMC for 33 "
     "mln shares, which grew to 38 mln after a 15 pct stock dividend declared in June last "
     "year.", [("June last year", "1986-06")]),
    ("1987-04-27", "The crush in the Mackay-Burdekin is likely to start later this year, in late "
     "June or early July against mid-June last year, to allow the cane to grow and sweeten "
     "further, he said.", [("this year", "1987"), ("late June", "1987-06"),
                           ("early July", "1987-07"), ("mid-June last year", "1986-06")]),
    ("1987-03-16", "formerly the British Airports Authority - is to be privatised in June or "
     "July of this year, Transport Secretary John Moore told Parliament.",  # reuters 5478
     [("June", "1987-06"), ("July of this year", "1987-07")]),
    # "since" is behind, however far (spamassassin 00244/easy-ham-1; sotu 2002)
    ("2002-09-06", "Most are thrown away or recycled after being seized as part of security "
     "measures since September 11.", [("September 11", "2001-09-11")]),
    ("2002-01-29", "Some of these regimes have been pretty quiet since September the 11th, but we "
     "know their true nature.", [("September the 11th", "2001-09-11")]),
    # "September the 11th, 2001" is one date (sotu 2006_george_w_bush_r)
    ("2006-01-31", "On September the 11th, 2001, we found that problems originating in a failed "
     "and oppressive state 7,000 miles away could bring murder and destruction to our country.",
     [("September the 11th, 2001", "2001-09-11")]),
    # parts of a day are the day (reuters 15090; 3046; 949)
    ("1987-04-08", "Burlington's stock rose sharply this morning on the report.",
     [("this morning", "1987-04-08")]),
    ("1987-03-09", "The second blizzard to hit Istanbul in a week stopped yesterday afternoon and "
     "the international airport reopened today after a two-day closure.",
     [("yesterday afternoon", "1987-03-08"), ("today", "1987-03-09")]),
    ("1987-03-03", "Diplomatic sources in Bonn said Funaro would leave early tomorrow morning for "
     "Zurich after meeting Stoltenberg this evening.",
     [("tomorrow morning", "1987-03-04"), ("this evening", "1987-03-03")]),
    # decades as year intervals (reuters 1864; 12135; sotu 1990_george_bush_r)
    ("1987-03-04", "The Army later expanded the division air defense concept, announcing it "
     "would divide the system into five different components for the 1990s.",
     [("the 1990s", "1990/1999")]),
    ("1987-04-01", "They saw the futility of it in the seventies.",
     [("the seventies", "1970/1979")]),
    ("1990-01-31", "And we know that we can succeed in the global economic arena of the nineties.",
     [("the nineties", "1990/1999")]),
    # weekends: "this weekend" said on a Monday in the past tense (reuters 362; 655; 17256)
    ("1987-03-02", "Spanish farmers demanding a better deal from the European Community blocked "
     "roads and staged protest rallies this weekend before their leaders announced a truce.",
     [("this weekend", "1987-02-28/1987-03-01")]),
    ("1987-03-02", "tin disposals should have little effect on an agreement reached last weekend "
     "by tin producing countries.", [("last weekend", "1987-02-28/1987-03-01")]),
    ("1987-04-27", "The radio report, monitored in Bangkok on April 20 but only translated here "
     "over the weekend, said the threatened damage was spread over twice as large an area as "
     "last year.", [("April 20", "1987-04-20"), ("the weekend", "1987-04-25/1987-04-26"),
                    ("last year", "1986")]),
    # named days (sotu 1992_george_bush_r; reuters 53; reuters 1905 for "the first week of")
    ("1992-01-28", "And soon after that, at Christmas, the last American hostages came home.",
     [("Christmas", "1991-12-25")]),
    ("1987-02-26", "Sullivan predicted the Fed will ease by Easter.", [("Easter", "1987-04-19")]),
    ("1987-03-04", "A 350 mln dlr commercial loan signed in Tokyo in December was followed in the "
     "first week of February with a 300 mln dlr loan from the World Bank.",
     [("December", "1986-12"), ("the first week of February", "1987-02-01/1987-02-07")]),
    # "ago" with number words, after a dash used as a dash (sotu 2016; 2000)
    ("2016-01-12", "Sixty years ago, when the Russians beat us into space, we didn't deny Sputnik "
     "was up there.", [("Sixty years ago", "1956")]),
    ("2000-01-27", "Now, 2 years ago-let me try to balance the seesaw here-[laughter]-2 years ago, "
     "as we reached across party lines", [("2 years ago", "1998"), ("2 years ago", "1998")]),
    # ISO timestamps in mail (spamassassin 02366/easy-ham-2)
    ("2002-10-08", "URL: http://www.newsisfree.com/click/-2,8655716,215/ Date: "
     "2002-10-08T03:30:50+01:00", [("2002-10-08T03:30:50+01:00", "2002-10-08")]),
])
def test_dates_issue_11_causes_on_real_sentences(anchor, sentence, expected):
    found = find_dates(sentence, date.fromisoformat(anchor))
    assert [(m["text"], m["iso"]) for m in found] == expected


# Hard negatives: none of these is a date (sources cited; the last four are written).
@pytest.mark.parametrize("sentence", [
    "The 400 series is the latest model of the Boeing 747 family, he said.",  # reuters 263
    "Current law requires USDA to donate at least 750,000 tonnes of surplus grains and dairy "
    "products under the Section 416 food donation program.",  # reuters 9405
    "Before I worked with Windows 2000 Pro.",  # spamassassin 00398/easy-ham-1
    "They said they may buy more stock or sell some or all of their stake.",  # reuters 152
    "\"(Fairchild) simply doesn't have key technology -- that's a thing of the past,\" May "
    "said.",  # reuters 5807
    "Scores of Syrian troops marched into the battered Shatila Palestinian refugee camp in "
    "Beirut.",  # reuters 14418
    "Dreyer said physicians can call 1-800-843-9388 for information about distribution of the "
    "drug.",  # reuters 8383
    "-- Steve Kann - Chief Engineer - 520 8th Ave #2300 NY 10018 - (212) 533-1775",  # 00282
    "Marc Baaden - Oxford University - Tel: +44 1865 275380 or +33 609 843217",  # 00760
    "A good link is: http://www.techcentralstation.be/2051/wrapper.jsp?PID=2051-100",  # 00726
    "Theresa May will put her Brexit deal to a second vote in Parliament.",
    "She may go to Mar-a-Lago.",
    "More than 2000 people were evacuated as the river rose.",
    "Thousands will march on Parliament to demand a second vote.",
])
def test_dates_hard_negatives_are_not_dates(sentence):
    assert find_dates(sentence, date(2019, 3, 12)) == []


def test_dates_named_days_follow_the_documents_country():
    assert named_day("Thanksgiving", 1987, "US") == date(1987, 11, 26)
    assert named_day("Thanksgiving", 1987, "CA") == date(1987, 10, 12)
    assert named_day("Boxing Day", 1987, "US") == date(1987, 12, 26)  # from the UK calendar
    assert named_day("New Year's Eve", 1987) == date(1987, 12, 31)
    assert find_dates("Markets close for Thanksgiving.", date(1987, 10, 1), "CA")[0]["iso"] == \
        "1987-10-12"
    assert document_country({"places": ["canada", "usa"]}) == "CA"
    assert document_country({"places": "uk"}) == "GB"
    assert document_country({"date": "1-MAR-1987"}) is None


def test_dates_holiday_calendars_are_cached():
    _calendar.cache_clear()
    named_day("Easter", 1991, "US")
    named_day("Christmas", 1991, "US")
    assert _calendar.cache_info().hits >= 1


def _unseen_rows(pattern):
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "bench" / "data" / "unseen"
    return [json.loads(line) for path in sorted(folder.glob(pattern))
            for line in path.read_text(encoding="utf-8").splitlines()]


def test_dates_unseen_set_is_well_formed_and_resolved():
    """bench/data/unseen: the hand-labelled spans lie in their sentences, and Sluice keeps
    its held-out exact share (bench/unseen_dates.py scores the same way, with dateparser)."""
    rows = [r for r in _unseen_rows("dates_*.jsonl") if "negative" not in r and "set" not in r]
    mentions = [(r, m) for r in rows for m in r["mentions"]]
    assert len(mentions) >= 300 and {r["source"] for r in rows} == {"reuters", "sotu", "mail"}
    assert all(r["sentence"][m["start"]:m["end"]] == m["text"] for r, m in mentions)
    held_out = [(r, m) for r, m in mentions if int(re.sub(r"\D", "", r["doc"])) % 2]
    found = {id(r): find_dates(r["sentence"], date.fromisoformat(r["date"])) for r in rows}
    exact = sum(any(p["start"] < m["end"] and m["start"] < p["end"] and p["iso"] == m["iso"]
                    for p in found[id(r)]) for r, m in held_out)
    assert exact / len(held_out) >= 0.95


def test_dates_unseen_hard_negatives_are_not_read():
    for row in _unseen_rows("dates_negatives.jsonl"):
        neg = row["negative"]
        found = find_dates(row["sentence"], date.fromisoformat(row["date"]))
        assert not [p for p in found if p["start"] < neg["end"] and neg["start"] < p["end"]]
        assert [(p["text"], p["iso"]) for p in found] == [
            (m["text"], m["iso"]) for m in row["mentions"]]


def test_dates_fresh_set_is_well_formed_and_resolved():
    """bench/data/unseen/dates_fresh.jsonl: drawn and labelled after the code was frozen
    (90.8% on its one measurement); its misses were read afterwards, so it is now tuning
    data and this checks that the fixes hold."""
    rows = _unseen_rows("dates_fresh.jsonl")
    mentions = [(r, m) for r in rows for m in r["mentions"]]
    assert len(mentions) >= 200 and len({r["source"] for r in rows}) >= 3
    assert all(r["sentence"][m["start"]:m["end"]] == m["text"] for r, m in mentions)
    found = {id(r): find_dates(r["sentence"], date.fromisoformat(r["date"])) for r in rows}
    exact = sum(any(p["start"] < m["end"] and m["start"] < p["end"] and p["iso"] == m["iso"]
                    for p in found[id(r)]) for r, m in mentions)
    assert exact / len(mentions) >= 0.95


def test_dates_second_fresh_set_is_well_formed_and_holds_its_measure():
    """dates_fresh2.jsonl: labelled after the code was frozen again and measured once (94.5%);
    never tuned on, so this is a floor against regressions, not a target."""
    rows = _unseen_rows("dates_fresh2.jsonl")
    mentions = [(r, m) for r in rows for m in r["mentions"]]
    assert len(mentions) >= 200 and len({r["source"] for r in rows}) >= 3
    assert all(r["sentence"][m["start"]:m["end"]] == m["text"] for r, m in mentions)
    found = {id(r): find_dates(r["sentence"], date.fromisoformat(r["date"])) for r in rows}
    exact = sum(any(p["start"] < m["end"] and m["start"] < p["end"] and p["iso"] == m["iso"]
                    for p in found[id(r)]) for r, m in mentions)
    assert exact / len(mentions) >= 0.94


# Causes found by reading the fresh set's misses, each on real sentences (cited as above;
# SOTU files carry only the year, so those anchors are placeholders in that year).
@pytest.mark.parametrize(("anchor", "sentence", "expected"), [
    # capitals in headers and stamps (reuters 13434; pdf indirect-rotation; reuters 14784)
    ("1987-04-07", "YEAR TO END-DEC 1986 Proposed dividend 45 francs vs 34.50 francs",
     [("END-DEC 1986", "1986-12")]),
    ("2015-01-27", "2015 JAN 27 PH N: i6 D International Council of Containership Operators",
     [("2015 JAN 27", "2015-01-27")]),
    ("1987-04-07", "ITS HIGHEST LEVEL SINCE FEBRUARY 26, 1985, WHEN IT WAS 843.90.",
     [("FEBRUARY 26, 1985", "1985-02-26")]),
    # "the 14th day of July, 1890" (sotu 1895_grover_cleveland_d)
    ("1895-07-01", "the law compelling an increased purchase of silver by the Government was "
     "passed on the 14th day of July, 1890, withdrawals of gold did not begin until October, "
     "1891.", [("the 14th day of July, 1890", "1890-07-14"), ("October, 1891", "1891-10")]),
    # year ranges written out (sotu 1867_andrew_johnson_nu, 1970_richard_nixon_r; spdx gnuplot)
    ("1867-07-01", "From 1849 to 1857, inclusive, the net exports of specie amounted to "
     "$271,000,000", [("1849 to 1857", "1849/1857")]),
    ("1970-07-01", "greater than the entire growth of the American economy from 1790 to 1950.",
     [("1790 to 1950", "1790/1950")]),
    ("2000-01-01", "Copyright 1986 - 1993, 1998, 2004 Thomas Williams, Colin Kelley",
     [("1986 - 1993", "1986/1993"), ("1998", "1998"), ("2004", "2004")]),
    # decades with an apostrophe (spamassassin 01629/easy-ham-1); an age is none (reuters)
    ("2002-09-05", "I seem to recall an article on this (early 80's, Byte magazine, perhaps?)",
     [("early 80's", "1980/1989")]),
    ("1987-03-20", "Kiernan is in his 60's while Fleet's Terrence Murray is in his late 40's.",
     []),
    # old years by their own words (sotu 1800_john_adams_f, 1799_john_adams_f)
    ("1800-07-01", "the product of the revenue during the present year has been more "
     "considerable", [("present year", "1800")]),
    ("1799-07-01", "the appropriations necessary for the service of the ensuing year",
     [("ensuing year", "1800")]),
    # "this Friday" is the one in the document's week (spamassassin 00021/easy-ham-2, a
    # Wednesday; reuters 13072, a Friday: Fox's first Sunday night was 5 April 1987)
    ("2002-08-21", "you'd be running 10.2 before the release this Friday night.",
     [("this Friday night", "2002-08-23")]),
    ("1987-04-03", "Fox Broadcasting is set to launch two prime time television shows this "
     "Sunday on what some have called the fourth television network.",
     [("this Sunday", "1987-04-05")]),
    # day numbers in words after Pay/Record (reuters 19191, 12113)
    ("1987-06-19", "Qtly div 8.5 cts vs 8.5 cts Pay August five Record July 20",
     [("August five", "1987-08-05"), ("July 20", "1987-07-20")]),
    ("1987-04-01", "Unit distribution one dlr vs 1.75 dlrs prior pay June one Record May one",
     [("June one", "1987-06-01"), ("May one", "1987-05-01")]),
    # a modal "May I" (spamassassin 01372/easy-ham-2); a bare "DEC" is Digital Equipment
    ("2002-08-18", "He walked up to the bartender and asked, \"May I please use the "
     "restroom?\"", []),
    ("1987-03-03", "LEADING INDICATORS FELL 1.0 PCT AFTER REVISED 2.3 PCT DEC RISE", []),
])
def test_dates_fresh_set_causes_on_real_sentences(anchor, sentence, expected):
    found = find_dates(sentence, date.fromisoformat(anchor))
    assert [(m["text"], m["iso"]) for m in found] == expected
