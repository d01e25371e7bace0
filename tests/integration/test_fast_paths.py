"""The clean stage's fast paths give what the plain calls give, over real text: ftfy line by
line (sluice.clean.fix_text), and one date scan for the document date and the dates
(sluice.dates.dated)."""

from __future__ import annotations

import gzip
import json
from itertools import islice
from pathlib import Path

import ftfy
import pytest

from bench.peers_corpus import reuters_bodies
from sluice.clean import fix_text
from sluice.dates import dated, document_date, find_dates

SHARED = Path(__file__).resolve().parents[2].parent / "shared"

pytestmark = pytest.mark.skipif(
    not SHARED.is_dir(), reason=f"no {SHARED} next to this checkout, so no texts to compare on")


def mails(n: int) -> list[str]:
    with gzip.open(SHARED / "corpora" / "spamassassin.jsonl.gz", "rt", encoding="utf-8") as fh:
        return [json.loads(line)["raw_message"][:30_000] for line in islice(fh, n)]


@pytest.fixture(scope="module")
def bodies() -> list[str]:
    return reuters_bodies(1500)


@pytest.fixture(scope="module")
def texts(bodies) -> list[str]:
    cases = json.loads((SHARED / "eval" / "ftfy-test-cases.json").read_text(encoding="utf-8"))
    found = [c[k] for c in cases for k in ("original", "fixed") if isinstance(c.get(k), str)]
    speeches = sorted((SHARED / "corpora" / "sotu").iterdir())[:20]
    return found + bodies + mails(300) + [p.read_text(errors="replace") for p in speeches]


def test_fix_text_is_ftfy_fix_text(texts):
    changed = 0
    for text in texts:
        expected = ftfy.fix_text(text, normalization=None, fix_line_breaks=False)
        assert fix_text(text) == expected, text[:200]
        changed += expected != text
    assert changed > 50  # the comparison covered texts that ftfy does change


def test_dated_is_document_date_then_find_dates(bodies, texts):
    wire = {"date": "26-FEB-1987 15:02:20.00"}  # the document date from the metadata
    cases = [(wire, b) for b in bodies[:300]] + [({}, b) for b in bodies]  # or from the text
    cases += [({}, t) for t in texts[-320:]]
    assert sum(len(t) > 1000 for _, t in cases) > 100
    for metadata, text in cases:
        anchor = document_date(metadata, text)
        assert dated(metadata, text, "US") == (anchor, find_dates(text, anchor, "US")), text[:200]
