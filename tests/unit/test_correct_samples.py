"""The corrector on the project's own samples (samples/), as `make run` processes them:
read, parse, clean, then NER with correction, with the default configuration. The changes
must be exactly the real misspellings the sample writers left, nothing else: a false
change here is the first thing a new user sees."""

from pathlib import Path

import pytest

from sluice.clean import clean_documents
from sluice.config import PipelineConfig
from sluice.correct import load_speller
from sluice.io.files import discover, read_raw
from sluice.ner import annotate_documents, load_ner
from sluice.parse import parse_documents

SAMPLES = Path(__file__).resolve().parents[2] / "samples"

# (document source, before, after), each read in its sample and a real misspelling
TRUE_FIXES = {
    ("eml/summer_party_mislabelled_charset.eml", "accomodate", "accommodate"),
    ("jsonl/newswire_briefs.jsonl#L5", "goverment", "government"),
    ("md/q3_planning_meeting.md", "wich", "which"),
    ("pdf/sotu_1863_lincoln_excerpt.pdf", "intrusted", "entrusted"),
    ("txt/field_report_san_francisco.txt", "goverment", "government"),
    ("txt/sotu_1861_lincoln_excerpt.txt", "intrusted", "entrusted"),
    ("txt/sotu_1962_kennedy_excerpt.txt", "responsiblity", "responsibility"),
    ("txt/sotu_1962_kennedy_excerpt.txt", "thier", "their"),
    ("txt/staff_newsletter_mojibake.txt", "definately", "definitely"),
}


@pytest.fixture(scope="module")
def sample_changes() -> set[tuple[str, str, str]]:
    cfg = PipelineConfig()
    raws, _ = read_raw(discover(str(SAMPLES)), str(SAMPLES))
    docs, _ = parse_documents(raws)
    clean = clean_documents(docs, cfg.clean)
    done = annotate_documents(clean, load_ner(cfg.ner.model), load_speller(), cfg.ner,
                              cfg.correct)
    return {(_relative(d.source), c.before, c.after)
            for d in done for c in d.corrections if c.kind == "spelling"}


def _relative(source: str) -> str:
    return source.split("samples/", 1)[-1]


def test_correct_samples_changes_exactly_the_real_misspellings(sample_changes):
    assert sample_changes == TRUE_FIXES


def test_correct_samples_leave_the_lowercase_trade_fair_name(sample_changes):
    # newswire_briefs.jsonl line 13 and munich_trade_fair_latin1.html write the fair as
    # "bauma"; a fix that changes the first letter ("obama") is no human slip
    assert not [c for c in sample_changes if c[1] == "bauma"]
