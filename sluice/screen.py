"""Between stages: a document goes on with valid Unicode and some text, or as a failure.

Lone surrogates (a file name's undecodable bytes, a bad JSON escape, a decoder's leftovers)
are valid in a Python str but not in UTF-8: JSON encoders, PostgreSQL and the outbox refuse
them, and one such document used to sink its whole batch. They are replaced by U+FFFD, one
character for one, so entity and correction offsets stay right, and counted per field in
`metadata["unicode_fixes"]`. For the sinks, NUL too: valid Unicode, but PostgreSQL's text and
JSONB refuse it (after parsing it is left alone, for the clean stage to remove).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from sluice.errors import EmptyDocument
from sluice.records import Chunk, Document, Failure, Record

FIXES = "unicode_fixes"
REPLACEMENT = "\ufffd"
_SURROGATES = re.compile("[\ud800-\udfff]")
_UNWRITABLE = re.compile("[\x00\ud800-\udfff]")


def valid_unicode(docs: Sequence[Document], nul: bool = False) -> list[Document]:
    """The documents with every lone surrogate (and with `nul`, every NUL) replaced, in every
    text they hold."""
    return [valid_document(doc, nul) for doc in docs]


def valid_document(doc: Document, nul: bool = False) -> Document:
    bad = _UNWRITABLE if nul else _SURROGATES
    if not any(_needs_fix(text, bad) for text in _texts(doc)):
        return doc  # the common case, checked without rebuilding any record
    fixes: dict[str, int] = {}
    fixed = _fixed(doc, "", fixes, bad)
    if not fixes:
        return doc
    earlier = doc.metadata.get(FIXES)
    counts = dict(earlier) if isinstance(earlier, dict) else {}
    for field, count in fixes.items():
        counts[field] = counts.get(field, 0) + count
    return fixed.model_copy(update={"metadata": {**fixed.metadata, FIXES: counts}})


def valid_record(record: Failure | Chunk) -> Failure | Chunk:
    """A failure or chunk fit for every sink (no note: they have no metadata)."""
    return _fixed(record, "", {}, _UNWRITABLE)


def without_empty(docs: Sequence[Document], stage: str) -> tuple[list[Document], list[Failure]]:
    """Documents that still have text after `stage`; the others as EmptyDocument failures of
    that stage (nested or script-only HTML, NUL-filled or undecodable files end here)."""
    kept: list[Document] = []
    failures: list[Failure] = []
    for doc in docs:
        if _has_text(doc.text):
            kept.append(doc)
            continue
        error = EmptyDocument(f"no text left after {stage} ({len(doc.text)} characters of "
                              "whitespace or replacement characters)")
        failures.append(Failure(source=doc.source, stage=stage, error_class="EmptyDocument",
                                message=str(error), doc_id=doc.id))
    return kept, failures


def _texts(doc: Document) -> Iterator[str]:
    yield from (doc.id, doc.source, doc.format, doc.text, doc.content_type)
    yield from (text for text in (doc.title, doc.language) if text is not None)
    yield from _strings_in(doc.metadata)
    for entity in doc.entities:
        yield from (entity.text, entity.label)
        if entity.iso_date is not None:
            yield entity.iso_date
    for correction in doc.corrections:
        yield from (correction.before, correction.after, correction.kind)


def _strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings_in(key)
            yield from _strings_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings_in(item)


def _needs_fix(text: str, bad: re.Pattern[str]) -> bool:
    if text.isascii():
        return bad is _UNWRITABLE and "\x00" in text
    return bad.search(text) is not None


def _has_text(text: str) -> bool:
    stripped = text.strip()
    return bool(stripped) and (REPLACEMENT not in stripped
                               or bool(stripped.replace(REPLACEMENT, " ").strip()))


def _fixed(value: Any, where: str, fixes: dict[str, int], bad: re.Pattern[str]) -> Any:
    """`value` with no match of `bad` in any string; `fixes` counts replacements by field."""
    if isinstance(value, str):
        if value.isascii() and (bad is _SURROGATES or "\x00" not in value):
            return value
        new, count = bad.subn(REPLACEMENT, value)
        if count:
            fixes[where or "value"] = fixes.get(where or "value", 0) + count
            return new
        return value
    if isinstance(value, Record):
        if isinstance(value, Chunk):  # the vector is floats: skip its thousand items
            return _changed(value, {"text": _fixed(value.text, where or "text", fixes, bad)})
        update = {name: _fixed(getattr(value, name), where or name, fixes, bad)
                  for name in type(value).model_fields}
        return _changed(value, update)
    if isinstance(value, dict):
        items = [(_fixed(k, where, fixes, bad), _fixed(v, where, fixes, bad))
                 for k, v in value.items()]
        same = all(k is old for (k, _), old in zip(items, value, strict=True)) and all(
            v is old for (_, v), old in zip(items, value.values(), strict=True))
        return value if same else dict(items)
    if isinstance(value, list | tuple):
        fixed = [_fixed(item, where, fixes, bad) for item in value]
        same = all(new is old for new, old in zip(fixed, value, strict=True))
        return value if same else type(value)(fixed)
    return value


def _changed(record: Record, update: dict[str, Any]) -> Record:
    same = all(update[name] is getattr(record, name) for name in update)
    return record if same else record.model_copy(update=update)
