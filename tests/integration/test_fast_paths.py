"""The clean stage's fast paths give what the plain calls give, over real text: ftfy line by
line (sluice.clean.fix_text), and one date scan for the document date and the dates
(sluice.dates.dated)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import ftfy
import pytest

from sluice.clean import fix_text
from sluice.dates import dated, document_date, find_dates

SHARED = Path(__file__).resolve().parents[2].parent / "shared"

pytestmark = pytest.mark.skipif(
    not SHARED.is_dir(), reason=f"no {SHARED} next to this checkout, so no texts to compare on")


def jsonl(name: str, field: str, n: int) -> list[dict]:
    rows = []
    with gzip.open(SHARED / "corpora" / name, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row.get(field):
                rows.append(row)
            if len(rows) == n:
                break
    return rows


def texts() -> list[str]:
    cases = json.loads((SHARED / "eval" / "ftfy-test-cases.json").read_text(encoding="utf-8"))
    found = [c[k] for c in cases for k in ("original", "fixed") if isinstance(c.get(k), str)]
    found += [r["body"] for r in jsonl("reuters-21578.jsonl.gz", "body", 1500)]
    mails = jsonl("spamassassin.jsonl.gz", "raw_message", 300)
    found += [r["raw_message"][:30_000] for r in mails]
    speeches = sorted((SHARED / "corpora" / "sotu").iterdir())[:20]
    found += [p.read_text(errors="replace") for p in speeches]
    return found


def test_fix_text_is_ftfy_fix_text():
    changed = 0
    for text in texts():
        expected = ftfy.fix_text(text, normalization=None, fix_line_breaks=False)
        assert fix_text(text) == expected, text[:200]
        changed += expected != text
    assert changed > 50  # the comparison covered texts that ftfy does change


def test_dated_is_document_date_then_find_dates():
    rows = jsonl("reuters-21578.jsonl.gz", "body", 1500)
    cases = [({"date": r.get("date")}, r["body"]) for r in rows[:300]]
    cases += [({}, r["body"]) for r in rows]  # the date from the text, short and long ones
    cases += [({}, t) for t in texts()[-320:]]
    assert sum(len(t) > 1000 for _, t in cases) > 100
    for metadata, text in cases:
        anchor = document_date(metadata, text)
        assert dated(metadata, text, "US") == (anchor, find_dates(text, anchor, "US")), text[:200]
