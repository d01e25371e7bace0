"""Recorded text edits: apply word-altering replacements and keep every offset valid.

An edit is planned against the current text; applying a batch of them yields
`Correction`s in the new text's coordinates and moves everything else that points into
the text (entities, earlier corrections, metadata mentions) by the same amounts.
Undo: put each correction's `before` back, last first.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any, NamedTuple

from sluice.records import Correction, Document

# metadata lists whose items carry "start"/"end" offsets into Document.text
MENTION_KEYS = ("currency", "units", "dates")


class Edit(NamedTuple):
    start: int  # offsets into the text the edit was planned on
    end: int
    after: str
    kind: str = "spelling"
    score: float | None = None


class OffsetMap:
    """Maps offsets of the old text onto the new one; edits are sorted, non-overlapping."""

    def __init__(self, edits: Sequence[Edit]) -> None:
        self._ends: list[int] = []
        self._deltas: list[int] = []
        total = 0
        for e in edits:
            total += len(e.after) - (e.end - e.start)
            self._ends.append(e.end)
            self._deltas.append(total)

    def __call__(self, pos: int) -> int:
        i = bisect.bisect_right(self._ends, pos)
        return pos + (self._deltas[i - 1] if i else 0)


def apply_to_text(text: str, edits: Sequence[Edit]) -> tuple[str, list[Correction]]:
    edits = sorted(edits)
    pieces, corrections, pos, delta = [], [], 0, 0
    for e in edits:
        if e.start < pos:
            raise ValueError(f"overlapping edits at offset {e.start}")
        pieces += [text[pos:e.start], e.after]
        start = e.start + delta
        corrections.append(Correction(start=start, end=start + len(e.after),
                                      before=text[e.start:e.end], after=e.after, kind=e.kind,
                                      score=e.score))
        delta += len(e.after) - (e.end - e.start)
        pos = e.end
    pieces.append(text[pos:])
    return "".join(pieces), corrections


def apply_edits(doc: Document, edits: Sequence[Edit]) -> Document:
    """New text, new corrections appended, entities/corrections/mentions moved."""
    if not edits:
        return doc
    text, corrections = apply_to_text(doc.text, edits)
    move = OffsetMap(sorted(edits))
    old = [_moved(c, move) for c in doc.corrections]
    entities = tuple(_moved(e, move) for e in doc.entities)
    merged = tuple(sorted(old + corrections, key=lambda c: c.start))
    return doc.model_copy(update={"text": text, "entities": entities, "corrections": merged,
                                  "metadata": move_mentions(doc.metadata, move)})


def protected_spans(doc: Document) -> list[tuple[int, int]]:
    """Spans no new edit may touch: entities, what was rewritten, metadata mentions."""
    spans = [(e.start, e.end) for e in doc.entities]
    spans += [(c.start, c.end) for c in doc.corrections]
    spans += [(m["start"], m["end"]) for key in MENTION_KEYS for m in doc.metadata.get(key, [])]
    return sorted(spans)


def overlaps(spans: list[tuple[int, int]], starts: list[int], start: int, end: int) -> bool:
    i = bisect.bisect_right(starts, start)
    if i and spans[i - 1][1] > start:
        return True
    return i < len(spans) and spans[i][0] < end


def move_mentions(metadata: dict[str, Any], move: OffsetMap) -> dict[str, Any]:
    moved = dict(metadata)
    for key in MENTION_KEYS:
        if key in metadata:
            moved[key] = [{**m, "start": move(m["start"]), "end": move(m["end"])}
                          for m in metadata[key]]
    return moved


def _moved(record, move: OffsetMap):
    return record.model_copy(update={"start": move(record.start), "end": move(record.end)})
