"""The correction bench's bookkeeping: contexts, judgments, negations, gazetteer, pair set."""

from __future__ import annotations

import json
import re

import pytest

from bench import correction as bench
from sluice.edits import Edit, apply_edits
from sluice.records import Document

# A real Reuters wire sentence (held-out record 17933) with two real misspellings put back.
WIRE = ("\"But to enact such far-reaching measures they need a stable economy, contenpted "
        "workers and surpluses, to give them manoeuvring roon.\"")


def _corrected(text: str, fixes: dict[str, str]) -> tuple[Document, Document]:
    clean = Document(id="reuters-21578:17933", source="reuters", format="jsonl", text=text)
    edits = [Edit(m.start(), m.end(), fixes[m.group()], "spelling", 1.0)
             for m in re.finditer("|".join(fixes), text)]
    return clean, apply_edits(clean, edits)


def test_bench_correction_context_is_taken_before_correction():
    clean, done = _corrected(WIRE, {"contenpted": "contented", "roon": "room"})
    rows = bench.changes("reuters", [(clean, done)])
    assert [(r["before"], r["after"]) for r in rows] == [("contenpted", "contented"),
                                                          ("roon", "room")]
    assert bench._pre_correction(clean, done) == WIRE
    for row in rows:
        assert WIRE[row["start"]:row["start"] + len(row["before"])] == row["before"]
        assert f"[[{row['before']}]]" in row["context"]
    assert rows[0]["context_hash"] != rows[1]["context_hash"]


def test_bench_correction_precision_uses_judged_changes_only(tmp_path, monkeypatch):
    clean, done = _corrected(WIRE, {"contenpted": "contented", "roon": "room"})
    rows = bench.changes("reuters", [(clean, done)])
    judged_file = tmp_path / "judged.jsonl"
    monkeypatch.setattr(bench, "JUDGED", judged_file)
    todo = tmp_path / "todo.jsonl"
    assert bench.write_unjudged(bench.apply_judgments(rows, {}), todo) == 2
    lines = [json.loads(line) for line in todo.read_text().splitlines()]
    lines[0].update(verdict="fix", reason="misspelling of contented")
    todo.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert bench.accept(todo) == 1  # the line without a verdict is not taken
    assert bench.accept(todo) == 0  # nor is a judgment twice
    result = bench.precision(bench.apply_judgments(rows, bench.load_judgments()))
    assert (result["fix"], result["false"], result["unjudged"]) == (1, 0, 1)
    assert result["precision"] == 1.0


def test_bench_correction_negation_flip_is_any_change_but_the_apostrophe():
    rows = [{"before": b, "after": a} for b, a in
            (("didnt", "did"), ("didnt", "didn't"), ("cant", "can't"), ("wont", "want"),
             ("dont", "done"), ("tommorow", "tomorrow"))]
    assert [(r["before"], r["after"]) for r in bench.negation_flips(rows)] == [
        ("didnt", "did"), ("wont", "want"), ("dont", "done")]


def test_bench_correction_gazetteer_names_of_several_words():
    text = "Oil prices in new york rose after the sao paulo market closed."
    names = {"new york", "sao paulo", "paris"}
    york = {"start": text.index("york")}
    sao = {"start": text.index("sao")}
    market = {"start": text.index("market")}
    assert bench.touches_gazetteer(york, text, names) == "new york"
    assert bench.touches_gazetteer(sao, text, names) == "sao paulo"
    assert bench.touches_gazetteer(market, text, names) is None


def test_bench_correction_outcomes():
    row = {"correct": "received", "misspelling": "recieved"}
    assert bench._outcome(row, "received") == "fixed"
    assert bench._outcome(row, "relieved") == "wrong"
    assert bench._outcome(row, None) == "left"
    assert bench._outcome(row, "recieved") == "left"
    british = {"correct": "organization", "misspelling": "oranisation"}
    assert bench._outcome(british, "organisation") == "fixed"  # either spelling is meant
    assert bench._outcome({"correct": "centrally", "misspelling": "centraly"},
                          "central") == "wrong"


def test_bench_correction_pair_set_is_held_out_and_hides_the_answer():
    rows = [json.loads(line) for line in bench.PAIRS_SET.read_text().splitlines()]
    assert len(rows) >= 500
    for row in rows:
        words = re.findall(r"[A-Za-z]+", row["sentence"])
        assert row["misspelling"] in words
        assert row["correct"] not in words and row["correct"].capitalize() not in words
        corpus, _, where = row["source"].partition(":")
        if corpus == "reuters-21578":
            assert int(where) % 2 == 1  # odd line numbers only: even ones tune the corrector


def test_bench_correction_sentences_from_real_wire():
    if not bench.REUTERS.exists():
        pytest.skip(f"{bench.REUTERS} is absent (../shared corpora)")
    number, line = next(bench.held_out_lines(bench.REUTERS, 1))
    assert number == 1
    sentences = bench._sentences(json.loads(line)["body"])
    assert sentences and all(8 <= len(s.split()) <= 45 for s in sentences)


def test_bench_correction_exposure_counts_untagged_names():
    clean, done = _corrected(WIRE, {"contenpted": "contented"})
    assert bench.exposure([(clean, done)], {"but", "stable economy"}) == {
        "untagged_capitalised": 1, "untagged_gazetteer": 2}  # "But"; "But", "stable economy"


def test_bench_correction_emails_are_parsed_as_the_pipeline_does():
    if not bench.SPAM.exists():
        pytest.skip(f"{bench.SPAM} is absent (../shared corpora)")
    docs = bench.parsed(bench.SPAM, 3, "raw_message", "eml")
    assert [d.id for d in docs] == ["spamassassin:1", "spamassassin:3", "spamassassin:5"]
    for doc in docs:
        assert "Received:" not in doc.text and "Return-Path:" not in doc.text
        assert doc.title  # the Subject header


def test_bench_correction_tuning_mode_reads_even_documents_and_other_pairs(monkeypatch):
    for name in ("PARITY", "JUDGED", "PAIRS_SET"):
        monkeypatch.setattr(bench, name, getattr(bench, name))
    held = [json.loads(line) for line in
            bench.PAIRS_SET.read_text(encoding="utf-8").splitlines()]
    bench.tuning_mode()
    assert bench.PARITY == 0 and bench.JUDGED == bench.TUNING_JUDGED
    pairs = bench.testset_pairs()
    words = {w for row in held for w in (row["correct"], row["misspelling"])}
    assert len(pairs) > 400
    assert not any(right in words or wrong in words for right, wrong in pairs)
    assert ("accommodate", "accomadate") in pairs  # a line of the Aspell list, as written
