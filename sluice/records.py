"""Frozen records passed between stages. Stages return new records, never mutate."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sluice.names import line_label
from sluice.redact import redact_url


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceRef(Record):
    """Where one raw document lives. `part` addresses a line of a JSONL file or an S3 key.

    `uri` is the path as sluice.names.escape_path writes it: valid Unicode whatever bytes the
    file name holds, and never ending like a line label, so no two inputs share a `label`."""

    uri: str
    format: str  # txt | md | html | pdf | eml | jsonl
    part: int | None = None  # 1-based line number inside a JSONL file

    @property
    def label(self) -> str:
        return line_label(self.uri, self.part)


class RawDocument(Record):
    """Bytes as read by ingest; the id is the content hash, so it is stable across runs."""

    id: str
    ref: SourceRef
    data: bytes
    metadata: dict[str, Any] = Field(default_factory=dict)


class Entity(Record):
    start: int  # offsets into Document.text (the cleaned, corrected text)
    end: int
    label: str
    text: str
    iso_date: str | None = None  # DATE entities resolved against the document date


class Correction(Record):
    """One word-altering change. text[start:end] == after; put `before` back to undo."""

    start: int
    end: int
    before: str
    after: str
    kind: str = "spelling"  # spelling | currency | unit
    score: float | None = None


class Document(Record):
    id: str
    source: str
    format: str
    text: str
    content_type: str = "text/plain"  # text/html until the html step has run
    title: str | None = None
    language: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    entities: tuple[Entity, ...] = ()
    corrections: tuple[Correction, ...] = ()


class Chunk(Record):
    doc_id: str
    index: int
    start: int
    end: int
    text: str
    model: str
    dim: int
    vector: tuple[float, ...]


class Failure(Record):
    """One document that could not pass a stage; the job goes on without it."""

    source: str
    stage: str  # ingest | parse | clean | ner | embed | store
    error_class: str
    message: str
    doc_id: str | None = None


class BatchResult(Record):
    documents: tuple[Document, ...] = ()
    failures: tuple[Failure, ...] = ()


class BatchReport(Record):
    """What one batch did; the flow adds these up into the run summary."""

    documents: int = 0  # inputs seen (files, JSONL lines)
    processed: int = 0
    skipped: int = 0  # unchanged since a previous run (same content hash)
    failed: int = 0
    entities: int = 0
    corrections: int = 0
    chunks: int = 0
    parked: int = 0  # processed, but their batch waits in the outbox for `sluice replay`

    def __add__(self, other: BatchReport) -> BatchReport:
        return BatchReport(**{k: getattr(self, k) + getattr(other, k)
                              for k in BatchReport.model_fields})


class RunSummary(Record):
    job_id: str
    totals: BatchReport
    wall_s: float
    store: str  # password masked: the summary is printed, logged and kept as the run's result
    out: str
    hidden: int = 0  # names with a leading dot, skipped by design (their names are logged)
    earlier: int = 0  # inputs of the totals that earlier attempts of the job worked through

    @field_validator("store", "out")
    @classmethod
    def _masked(cls, url: str) -> str:
        return redact_url(url)

    @property
    def docs_per_min(self) -> float:
        done = self.totals.processed + self.totals.failed - self.earlier  # this attempt's
        return 60.0 * max(done, 0) / self.wall_s if self.wall_s else 0.0

    def lines(self) -> list[str]:
        t = self.totals
        return [
            f"job {self.job_id}",
            f"documents in: {t.documents}   processed: {t.processed}   skipped (unchanged): "
            f"{t.skipped}   failed: {t.failed}"
            + (f"   parked: {t.parked} (run `sluice replay`)" if t.parked else "")
            + (f"   skipped (hidden): {self.hidden}" if self.hidden else ""),
            f"entities: {t.entities}   corrections: {t.corrections}   chunks embedded: {t.chunks}",
            f"wall time: {self.wall_s:.1f} s   throughput: {self.docs_per_min:.0f} docs/min",
            f"store: {self.store}",
            f"jsonl: {self.out}",
        ]
