"""Parse and clean under the per-document budgets: each document in the sandbox worker with its
stage's seconds and the memory limit, so one input never hangs or exhausts a batch.

Clean has a batch step (boilerplate: lines many documents share). It runs in three parts, so
each document stays timed alone: per-document steps in the worker, the shared lines found here
(only the first and last lines of each text), then per-document steps again in the worker.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from sluice.budgets import check, out_of_memory, overran
from sluice.clean import (
    BATCH_STEPS,
    clean_steps,
    defuse_markup,
    phases,
    shared_lines,
    strip_shared,
)
from sluice.config import BudgetConfig, CleanConfig
from sluice.errors import failure_from
from sluice.parse import parse_or_fail
from sluice.records import Document, Failure, RawDocument
from sluice.sandbox import Outcome, run_each
from sluice.screen import valid_unicode, without_empty


def parse_bounded(raws: Sequence[RawDocument], text_field: str, jsonl_content: str,
                  budgets: BudgetConfig) -> tuple[list[Document], list[Failure]]:
    parse = partial(parse_or_fail, text_field=text_field, jsonl_content=jsonl_content,
                    budgets=budgets)
    # Inputs over max_input_bytes fail here, before they are copied to the worker.
    oversize = [parse(raw) for raw in raws if len(raw.data) > budgets.max_input_bytes]
    raws = [raw for raw in raws if len(raw.data) <= budgets.max_input_bytes]
    seconds = [budgets.parse_seconds] * len(raws)
    outcomes = run_each(parse, raws, seconds, budgets.memory_mb, budgets.sandbox,
                        sizes=[len(raw.data) for raw in raws])
    docs: list[Document] = []
    failures: list[Failure] = list(oversize)
    for raw, outcome in zip(raws, outcomes, strict=True):
        value = _value(outcome, "parse", budgets, raw.ref.label, raw.id)
        (docs if isinstance(value, Document) else failures).append(value)
    # Valid Unicode from here on; a document left without text fails where it lost it.
    docs, empty = without_empty(valid_unicode(docs), "parse")
    return docs, failures + empty


def clean_bounded(docs: Sequence[Document], cfg: CleanConfig,
                  budgets: BudgetConfig) -> tuple[list[Document], list[Failure]]:
    todo, used = list(docs), [0.0] * len(docs)
    failures: list[Failure] = []
    for names in phases(cfg.steps):
        if names[0] in BATCH_STEPS:
            step: Callable[[Document], Any] = partial(strip_shared,
                                                      shared=shared_lines(todo, cfg), cfg=cfg)
        else:
            step = partial(clean_steps, names=names, cfg=cfg)
        left = [budgets.clean_seconds - u for u in used]
        outcomes = run_each(partial(_clean_or_fail, step, budgets), todo, left,
                            budgets.memory_mb, budgets.sandbox, [len(d.text) for d in todo])
        kept: list[tuple[Document, float]] = []
        for doc, spent, outcome in zip(todo, used, outcomes, strict=True):
            value = _value(outcome, "clean", budgets, doc.source, doc.id)
            if isinstance(value, Failure):
                failures.append(value)
            else:
                kept.append((value, spent + outcome.seconds))
        todo, used = [d for d, _ in kept], [s for _, s in kept]
    cleaned, empty = without_empty([defuse_markup(d) for d in todo], "clean")
    return cleaned, failures + empty


def _clean_or_fail(step: Callable[[Document], Document], budgets: BudgetConfig,
                   doc: Document) -> Document | Failure:
    try:
        done = step(doc)
        # HTML is measured here, once its text is extracted (parse measured the rest)
        check("text", len(done.text), "max_chars", budgets, "characters")
        return done
    except Exception as exc:  # noqa: BLE001 -- one bad document must not sink the batch
        return failure_from(exc, "clean", doc.source, doc.id)


def _value(outcome: Outcome, stage: str, budgets: BudgetConfig, source: str,
           doc_id: str) -> Any:
    """The outcome's document or failure; a stopped or dead worker's as an OverBudget row."""
    if outcome.status == "ok":
        return outcome.value
    if outcome.status == "time":
        exc: Exception = overran(stage, getattr(budgets, f"{stage}_seconds"))
    elif outcome.status == "memory":
        exc = out_of_memory(stage, budgets)
    else:
        exc = RuntimeError(str(outcome.value))
    return failure_from(exc, stage, source, doc_id)
