"""Rules added after the third set's hard negatives (bench/data/unseen/dates_negatives3.jsonl,
now tuning data): "May" the modal and the company, and years after a product's capitals. Each
on the real sentence it came from, or a real sentence that must stay a date."""

import json
from datetime import date
from pathlib import Path

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


# Round 5: the modal is told by word class (WordNet base-form verbs, as spaCy's English
# lemmatizer ships them), not by a hand list of verbs. The first two are the fourth set's
# misread negatives (bench/data/unseen/dates_negatives4.jsonl, now tuning data).
@pytest.mark.parametrize(("sentence", "anchor"), [
    ("Some Japanese trading houses with offices in the U.S. May ask for letters of credit if "
     "they decide to continue trading with Texaco, oil sources said.", date(1987, 4, 13)),
    ("A further complication is that the more flexible definitions of equity allowed in the "
     "U.S. And the U.K. May put German banks at a competitive disadvantage, the sources said.",
     date(1987, 3, 16)),
    ("But he said Hong Kong's large trade deficit with the U.S. May result in protectionist "
     "measures that will adversely affect the British colony.", date(1987, 3, 2)),
    ("May not all reasonable desires upon this subject be satisfied without encountering any "
     "of these objections?", date(1837, 12, 5)),
])
def test_dates_modal_may_before_a_base_verb(sentence, anchor):
    assert _found(sentence, anchor) == []


@pytest.mark.parametrize(("sentence", "anchor", "expected"), [
    # a word that is a noun as well, with no complement after it, leaves the month
    ("Calls for a May poll were also prompted by Tory concern over a steady advance by the "
     "Alliance, and the possibility that if it continues it could rob the Conservatives of an "
     "overall majority in parliament.", date(1987, 4, 7), [("May", "1987-05")]),
    ("May currency reserves, out today, showed a record 4.8 billion stg rise, pointing to "
     "massive currency intervention.", date(1987, 6, 2),
     [("May", "1987-05"), ("today", "1987-06-02")]),
    ("May last traded at 1,146 francs a tonne after an opening 1,155, a low of 1,145, and a "
     "close last night at 1,164.", date(1987, 4, 7),
     [("May", "1987-05"), ("last night", "1987-04-06")]),
    ("Corn (Barges - Basis Chgo futures) April - 21 ov May bid, 22 offered.", date(1987, 4, 7),
     [("April", "1987-04"), ("May", "1987-05")]),
])
def test_dates_month_may_before_a_noun_stays(sentence, anchor, expected):
    assert _found(sentence, anchor) == expected


def _unseen_rows(name: str) -> list[dict]:
    folder = Path(__file__).resolve().parents[2] / "bench" / "data" / "unseen"
    return [json.loads(line) for line in (folder / name).read_text(encoding="utf-8").splitlines()]


def test_dates_fifth_blind_round_holds_its_measure():
    """The fifth blind round (bench/data/unseen/dates_fresh5.jsonl, dates_may5.jsonl and
    dates_negatives5.jsonl), labelled by reading after the code was frozen and measured once
    (fresh5 98.7%, may5 92.9%, no negative read as date, money or unit). Never tuned on, so
    these are floors against regressions, not targets."""
    from sluice.currency import find_currency
    from sluice.units import find_units

    def exact(rows):
        mentions = [(r, m) for r in rows for m in r["mentions"]]
        assert all(r["sentence"][m["start"]:m["end"]] == m["text"] for r, m in mentions)
        found = {id(r): find_dates(r["sentence"], date.fromisoformat(r["date"])) for r in rows}
        return sum(any(p["start"] < m["end"] and m["start"] < p["end"] and p["iso"] == m["iso"]
                       for p in found[id(r)]) for r, m in mentions) / len(mentions)

    assert exact(_unseen_rows("dates_fresh5.jsonl")) >= 0.98
    assert exact(_unseen_rows("dates_may5.jsonl")) >= 0.92
    negatives = _unseen_rows("dates_negatives5.jsonl")
    assert len(negatives) >= 25
    for row in negatives:
        start, end = row["negative"]["start"], row["negative"]["end"]
        money = find_currency(row["sentence"])
        read = [*find_dates(row["sentence"], date.fromisoformat(row["date"])), *money,
                *find_units(row["sentence"], [(m["start"], m["end"]) for m in money])]
        assert not [p for p in read if p["start"] < end and start < p["end"]], row["doc"]


def test_dates_word_classes_come_from_the_cache_not_spacy(tmp_path: Path) -> None:
    """The parse-and-clean worker reads dates but holds no spaCy (about 95 MB): the word
    classes come from the JSON the first use builds in the cache folder."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "SLUICE_CACHE_DIR": str(tmp_path)}
    script = ("import sys; from datetime import date; from sluice.dates import find_dates; "
              "found = find_dates('the U.S. May ask Japan to open its markets', date(1987, 3, 2)); "
              "print(found == [], 'spacy' in sys.modules)")
    runs = [subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                           text=True, check=True).stdout.split() for _ in range(2)]
    assert runs == [["True", "True"], ["True", "False"]]  # built once with spaCy, then read
    assert list((tmp_path / "sluice").glob("word-classes-*.json"))
