"""Accounting for bench/hostile.py: each input matched to its outcome in the job's SQLite store,
and the stage task runs' durations from the temporary Prefect server's database."""

from __future__ import annotations

import os
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sluice.errors
from bench.hostile_inputs import Input

try:  # how the product writes a name of any bytes as valid Unicode (issue 15)
    from sluice.names import unescape_path
except ImportError:  # a product before it: names as they were
    def unescape_path(uri: str) -> str:
        return uri

# What a ledger may have made of bytes that are not UTF-8: surrogate escapes or U+FFFD.
_UNREPRESENTABLE = re.compile(r"[\udc80-\udcff\ufffd]")
_LINE = re.compile(r"#L(\d+)\Z")
STAGE_TASKS = ("ingest_batch", "parse_batch", "clean_batch", "ner_batch", "embed_batch")


@dataclass
class Outcome:
    stored: bool = False
    failures: list[tuple[str, str]] = field(default_factory=list)  # (stage, error class)
    skip: str | None = None
    note: str = ""

    def summary(self) -> str:
        if self.stored:
            return "stored" + (f" ({self.note})" if self.note else "")
        if self.failures:
            return "failure row: " + ", ".join(
                f"{stage}/{cls}{'' if sluice_class(cls) else ' [raw class]'}"
                for stage, cls in self.failures)
        if self.skip:
            return f"skipped: {self.skip}"
        return "UNACCOUNTED" + (f" ({self.note})" if self.note else "")


@dataclass
class TaskTime:
    name: str
    seconds: float
    budget_failures: int = 0

    @property
    def stage(self) -> str:
        return self.name.rsplit("-", 1)[0].removesuffix("_batch")


@dataclass
class Report:
    outcomes: list[Outcome]
    total: int = 0
    stored: int = 0
    failed: int = 0
    skipped: int = 0
    unaccounted: int = 0
    good_stored: int = 0
    raw_classes: int = 0
    orphans: list[str] = field(default_factory=list)
    slow_tasks: list[TaskTime] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)


def sluice_class(name: str) -> bool:
    cls = getattr(sluice.errors, name, None)
    return isinstance(cls, type) and issubclass(cls, sluice.errors.SluiceError)


Key = tuple[str, int | None]  # a path and a JSONL line: two fields, so no name can pose as a line
Rows = dict[Key, list[tuple[str, object]]]


def canon(path: str | bytes, line: int | None = None) -> Key:
    """An input's path (and JSONL line) as a comparable key."""
    text = os.fsdecode(path) if isinstance(path, bytes) else path
    return _UNREPRESENTABLE.sub("?", text), line


def stored_key(source: str) -> Key:
    """A ledger source as the same key: the line suffix split off, the name unescaped."""
    line = _LINE.search(source)
    uri = source[: line.start()] if line else source
    return canon(unescape_path(uri), int(line.group(1)) if line else None)


def shown(key: Key) -> str:
    return key[0] if key[1] is None else f"{key[0]}#L{key[1]}"


def read_store(work: Path) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    path = work / "store.db"
    if not path.exists():
        return [], []
    with sqlite3.connect(path) as db:
        docs = db.execute("SELECT source, text, coalesce(title, '') FROM documents").fetchall()
        fails = db.execute("SELECT source, stage, error_class FROM failures").fetchall()
    return docs, fails


def account(inputs: list[Input], work: Path, canary: str, tasks: list[TaskTime]) -> Report:
    docs, fails = read_store(work)
    by_label: Rows = {}
    for source, text, title in docs:
        by_label.setdefault(stored_key(source), []).append(("doc", (text, title)))
    for source, stage, cls in fails:
        by_label.setdefault(stored_key(source), []).append(("fail", (stage, cls)))
    claimed: set[Key] = set()
    outcomes = [_outcome(inp, by_label, claimed) for inp in inputs]
    report = Report(outcomes, total=len(inputs))
    for inp, out in zip(inputs, outcomes, strict=True):
        report.stored += out.stored
        report.failed += bool(out.failures) and not out.stored
        report.skipped += bool(out.skip) and not (out.stored or out.failures)
        report.unaccounted += out.summary().startswith("UNACCOUNTED")
        report.good_stored += bool(inp.good and out.stored and out.note != "empty text")
        report.raw_classes += sum(not sluice_class(cls) for _, cls in out.failures)
    report.orphans = sorted(shown(key) for key in set(by_label) - claimed)
    budget = {stage for stage, cls in (f[1:] for f in fails) if "budget" in cls.lower()}
    report.slow_tasks = sorted(
        (TaskTime(t.name, t.seconds, sum(1 for s, c in (f[1:] for f in fails)
                                         if s == t.stage and "budget" in c.lower()))
         for t in tasks), key=lambda t: -t.seconds)
    report.extra = _extra_checks(docs, work, canary, budget)
    return report


def _outcome(inp: Input, by_label: Rows, claimed: set[Key]) -> Outcome:
    out = Outcome(skip=inp.skip)
    for key in _keys(inp, by_label):
        if key in claimed:  # two inputs, one label: the ledger cannot tell them apart
            out.note = f"its ledger source {shown(key)[-80:]!r} is another input's too"
            continue
        claimed.add(key)
        for what, value in by_label[key]:
            if what == "doc":
                out.stored = True
                if not str(value[0]).strip():  # type: ignore[index]
                    out.note = "empty text"
            elif value not in out.failures:
                out.failures.append(value)  # type: ignore[arg-type]
    return out


def _keys(inp: Input, by_label: Rows) -> list[Key]:
    """The ledger sources of this input: its first label found, or for a file of unknown lines
    every line's, or for a file the job cannot reach the nearest folder above it with a row."""
    own = canon(inp.labels[0], inp.line)
    if inp.lines:
        return [key for key in by_label if key[0] == own[0]]
    found = [key for key in (canon(label, inp.line) for label in inp.labels) if key in by_label]
    if found or not inp.within:
        return found[:1]
    above = [key for key in by_label
             if key[1] is None and own[0].startswith(key[0].rstrip("/") + "/")]
    return sorted(above, key=len)[-1:]


def _extra_checks(docs: list[tuple[str, str, str]], work: Path, canary: str,
                  budget: set[str]) -> dict[str, str]:
    live = sum(bool(re.search(r"<\s*(script|img)\b", text + title, re.I))
               for _, text, title in docs)
    leaked = sum(canary in text or "root:x:0:0" in text for _, text, _ in docs)
    out_leaks = sum(canary in p.read_text(errors="replace")
                    for p in (work / "out").glob("*.jsonl")) if (work / "out").is_dir() else 0
    empty = sum(not text.strip() for _, text, _ in docs)
    return {
        "stored documents with live <script>/<img> markup": str(live),
        "stored documents with content from outside the folder (canary, /etc/passwd)":
            f"{leaked} (JSONL files with the canary: {out_leaks})",
        "stored documents with empty text": str(empty),
        "stages with budget failure rows": ", ".join(sorted(budget)) or "none",
    }


def task_times(work: Path) -> list[TaskTime]:
    """Durations of the stage task runs (one per stage per batch); a run still running when the
    job stopped counts until the job's log was last written (when the job ended)."""
    path = work / "prefect-home" / "prefect.db"
    if not path.exists():
        return []
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT name, start_time, end_time FROM task_run "
                          "WHERE start_time IS NOT NULL").fetchall()
    ended = datetime.fromtimestamp((work / "job.log").stat().st_mtime, UTC).replace(tzinfo=None)
    times = []
    for name, start, end in rows:
        if name.rsplit("-", 1)[0] in STAGE_TASKS:
            finish = datetime.fromisoformat(end) if end else ended
            times.append(TaskTime(name, (finish - datetime.fromisoformat(start)).total_seconds()))
    return times
