"""Run a batch stage so one bad document never sinks the batch.

The batch call is the fast path (spaCy and the embedder want batches); only when it
raises is the batch replayed document by document to find and ledger the culprits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from sluice.errors import failure_from
from sluice.records import Document, Failure

T = TypeVar("T")


def isolate(stage: str, fn: Callable[[Sequence[Document]], list[T]],
            docs: Sequence[Document]) -> tuple[list[T], list[Failure]]:
    try:
        return fn(docs), []
    except Exception:  # noqa: BLE001 - replay one by one to find the bad document
        if len(docs) <= 1:
            return _one(stage, fn, docs[0]) if docs else ([], [])
    results: list[T] = []
    failures: list[Failure] = []
    for doc in docs:
        ok, bad = _one(stage, fn, doc)
        results += ok
        failures += bad
    return results, failures


def _one(stage: str, fn: Callable[[Sequence[Document]], list[T]],
         doc: Document) -> tuple[list[T], list[Failure]]:
    try:
        return fn([doc]), []
    except Exception as exc:  # noqa: BLE001 - any error of one document goes to the ledger
        return [], [failure_from(exc, stage, doc.source, doc.id)]
