"""Cleaning quality on real data: the issue-3 table (measure | result | target).

Usage: python bench/quality.py [--docs 2000] [--runs 3] [--skip-throughput]
Reads ../shared (Reuters-21578, codespell pairs, ftfy cases) and the labelled sets in
bench/data/. Typos are injected with a fixed seed, so a run is repeatable.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sluice.clean import STEPS, clean_documents  # noqa: E402
from sluice.config import PipelineConfig  # noqa: E402
from sluice.correct import load_speller  # noqa: E402
from sluice.ner import annotate_documents, find_entities, load_ner  # noqa: E402
from sluice.records import Correction, Document, Entity  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared"
DATA = Path(__file__).resolve().parent / "data"
REUTERS = SHARED / "corpora" / "reuters-21578.jsonl.gz"
CODESPELL = SHARED / "eval" / "codespell-dictionary.txt"
FTFY_CASES = SHARED / "eval" / "ftfy-test-cases.json"
SEED = 20240603
TYPO_RATE = 0.05  # share of eligible words (lowercase, outside entities) given a typo
_PLAIN = re.compile(r"[a-z]+")
_WORD = re.compile(r"(?<![\w@/.\-'])[a-z]+(?![\w@/\-']|\.\w)")


def reuters_documents(n: int) -> list[Document]:
    docs = []
    with gzip.open(REUTERS, "rt", encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            if record.get("body", "").strip():
                docs.append(Document(id=str(len(docs)), source="reuters", format="jsonl",
                                     text=record["body"], metadata={"date": record["date"]}))
            if len(docs) == n:
                break
    return docs


def batched(docs: Sequence[Document], fn: Callable, size: int = 200) -> list[Document]:
    """Stage calls per batch of `size`, as the flow makes them (the corpus vocabulary is
    per batch)."""
    return [d for i in range(0, len(docs), size) for d in fn(docs[i:i + size])]


def typo_pairs() -> dict[str, list[str]]:
    """fix -> typos, for pairs whose fix is one plain lowercase word."""
    pairs: dict[str, list[str]] = {}
    for line in CODESPELL.read_text(encoding="utf-8").splitlines():
        typo, _, fix = line.partition("->")
        if _PLAIN.fullmatch(typo) and _PLAIN.fullmatch(fix):
            pairs.setdefault(fix, []).append(typo)
    return pairs


def inject(doc: Document, entities: list[Entity], pairs: dict[str, list[str]],
           rng: random.Random) -> tuple[Document, list[tuple[int, str, str]]]:
    """Typos into non-entity lowercase words; returns (offset, typo, word) per injection."""
    pieces, injected, pos, delta = [], [], 0, 0
    for m in _WORD.finditer(doc.text):
        word = m.group()
        if word not in pairs or any(e.start < m.end() and m.start() < e.end for e in entities):
            continue
        if rng.random() >= TYPO_RATE:
            continue
        typo = rng.choice(pairs[word])
        pieces += [doc.text[pos:m.start()], typo]
        injected.append((m.start() + delta, typo, word))
        delta += len(typo) - len(word)
        pos = m.end()
    pieces.append(doc.text[pos:])
    return doc.model_copy(update={"text": "".join(pieces)}), injected


def original_starts(corrections: Sequence[Correction]) -> dict[int, Correction]:
    """Corrections keyed by their offset in the text before correction."""
    out, delta = {}, 0
    for c in sorted(corrections, key=lambda c: c.start):
        out[c.start - delta] = c
        delta += len(c.after) - len(c.before)
    return out


def entities_preserved(before: list[Entity], doc: Document) -> bool:
    same = [(e.label, e.text) for e in before] == [(e.label, e.text) for e in doc.entities]
    return same and all(doc.text[e.start:e.end] == e.text for e in doc.entities)


def non_entity_words(doc: Document) -> int:
    spans = [(e.start, e.end) for e in doc.entities]
    return sum(1 for m in re.finditer(r"[A-Za-z]+", doc.text)
               if not any(s < m.end() and m.start() < e for s, e in spans))


def correction_rows(clean: list[Document], cfg: PipelineConfig) -> list[tuple[str, str, str]]:
    nlp, speller = load_ner(cfg.ner.model), load_speller()

    def annotate(batch):
        return annotate_documents(batch, nlp, speller, cfg.ner, cfg.correct)

    before = find_entities([d.text for d in clean], nlp, cfg.ner.batch_size)
    plain = batched(clean, annotate)
    kept = sum(entities_preserved(b, d) for b, d in zip(before, plain))
    changed = sum(len(d.corrections) for d in plain)
    words = sum(non_entity_words(d) for d in plain)
    rng, pairs = random.Random(SEED), typo_pairs()
    injected = [inject(d, b, pairs, rng) for d, b in zip(clean, before)]
    typo_docs = [d for d, _ in injected]
    before_t = find_entities([d.text for d in typo_docs], nlp, cfg.ner.batch_size)
    fixed_docs = batched(typo_docs, annotate)
    kept_t = sum(entities_preserved(b, d) for b, d in zip(before_t, fixed_docs))
    fixed = total = 0
    for (_, spots), out in zip(injected, fixed_docs):
        by_start = original_starts(out.corrections)
        total += len(spots)
        fixed += sum(1 for at, _, word in spots
                     if at in by_start and by_start[at].after == word)
    n = len(clean)
    return [
        (f"entity preservation ({n} Reuters docs, with and without typos)",
         f"{(kept + kept_t) / (2 * n):.2%}", "100%"),
        (f"typos fixed ({total} codespell typos injected)", f"{fixed / total:.1%}", ">= 85%"),
        (f"false corrections ({changed} of {words} non-entity words changed)",
         f"{changed / words:.3%}", "<= 0.3%"),
    ]
