"""NER and correction in long-lived worker processes: every core at work, and a per-document
wall-time budget (`budgets.ner_seconds`) that a stuck spaCy call cannot escape.

Each worker is a sandbox worker (sluice.sandbox: a fresh interpreter, an address-space limit,
a parent-death signal) that loads the NER model and the speller once, at its start. A batch is
split by characters into one contiguous share per worker; a share goes as spaCy's own
char-bounded parts (`ner.batch_size`, `ner.batch_chars`), one timed item each. A part over its
seconds, or one that exhausts the worker's memory, has its worker killed and restarted and is
replayed document by document, so only the culprit becomes an `OverBudget` row. The corrector's
batch vocabulary comes from the whole batch's word counts, so the output is the same as the
in-process path's, whatever the split.
"""

from __future__ import annotations

import atexit
import os
import threading
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from sluice.budgets import out_of_memory, overran
from sluice.config import BudgetConfig, CorrectConfig, NerConfig, PipelineConfig
from sluice.errors import failure_from
from sluice.isolate import isolate
from sluice.ner import annotate_documents, char_bounded
from sluice.records import Document, Failure
from sluice.sandbox import MESSAGE_SIZE, Outcome, Worker

Part = list[Document]
Result = tuple[list[Document], list[Failure]]
PRELOAD = ("sluice.ner", "sluice.correct")  # not parse and clean's lxml, pypdf, ftfy
MAX_DEFAULT = 4  # past it the job's own stages (parse, clean, embed, store) set the pace


def default_processes() -> int:
    """One worker per core but one, which the job's own process keeps busy with the next
    batch's parse and clean meanwhile (`ner.overlap`), and at most MAX_DEFAULT: with NER and
    correction about 60 % of a batch's work, a few workers are as fast as the rest of the
    flow, and each holds its own models (about 200 MB). On 2 cores, 2 workers: one worker
    was busy 94 % of a run while the other core idled half the time, and a second worker
    made the run 20-22 % faster (README, Throughput)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(min(cores, 2), min(cores - 1, MAX_DEFAULT))


def processes_for(cfg: PipelineConfig) -> int:
    """Workers for NER on the CPU; 0 (in the job's process) for a GPU or GPU-probing device,
    whose model must live where CuPy was set up."""
    if cfg.ner.device != "cpu":
        return 0
    return default_processes() if cfg.ner.processes is None else cfg.ner.processes


# --- in the worker ------------------------------------------------------------------------

def warm(model: str, correct: bool) -> None:
    from sluice.correct import load_speller
    from sluice.ner import load_ner

    load_ner(model)
    if correct:
        load_speller()


_VOCAB: dict[str, frozenset[str]] = {}  # the latest batch's, by its token


def annotate_part(part: Part, token: str, counts: dict[str, int], ner_cfg: NerConfig,
                  correct_cfg: CorrectConfig) -> Result:
    """One part in a worker: the models are the process's (loaded by `warm`); a document that
    raises fails alone, as in the job's process (sluice.isolate)."""
    from sluice.correct import load_speller
    from sluice.ner import ner_model

    speller = load_speller() if correct_cfg.enabled else None
    vocab = None
    if speller is not None:
        if token not in _VOCAB:
            _VOCAB.clear()
            _VOCAB[token] = speller.frequent_unknown(counts, correct_cfg.corpus_min_count,
                                                     correct_cfg.corpus_dwarf_ratio)
        vocab = _VOCAB[token]
    annotate = partial(annotate_documents, nlp=ner_model(ner_cfg.model), speller=speller,
                       ner_cfg=ner_cfg, correct_cfg=correct_cfg, vocab=vocab)
    return isolate("ner", annotate, part)


# --- in the job's process -----------------------------------------------------------------

class NerPool:
    """`processes` workers for one model and corrector setting; one batch at a time."""

    def __init__(self, processes: int, model: str, correct: bool, memory_mb: int) -> None:
        self.workers = [Worker(memory_mb, partial(warm, model, correct), PRELOAD)
                        for _ in range(processes)]
        for worker in self.workers:
            worker.role, worker.fallback = "NER", "ner.processes=0 runs NER in the job's process"
        self.lock = threading.Lock()
        self.correct, self._caches, self._caches_tried = correct, threading.Lock(), False

    def start(self) -> None:
        """Start the first worker now, without waiting: it loads its models meanwhile. The
        others start with the first batch that has a share for each (`shares_for`): a job of a
        few small documents never pays for them, and on 2 cores their model loads would
        compete with the server's boot and the job's imports (one small document: +1.6 s)."""
        self._caches_built()
        if self.workers:
            self.workers[0].spawn()

    def _caches_built(self) -> None:
        """A missing lexicon is built once, before the workers start, not by each of them."""
        with self._caches:
            if self.correct and self.workers and not self._caches_tried:
                from sluice.caches import build_missing_apart

                build_missing_apart()
                self._caches_tried = True

    def annotate(self, docs: Sequence[Document], cfg: PipelineConfig) -> Result:
        from sluice.correct import word_counts

        self._caches_built()
        counts: dict[str, int] = {}
        if cfg.correct.enabled:
            floor = cfg.correct.corpus_min_count if cfg.correct.corpus_dwarf_ratio >= 1 else 1
            counts = word_counts((doc.text for doc in docs), floor)
        fn = partial(annotate_part, token=uuid.uuid4().hex, counts=counts, ner_cfg=cfg.ner,
                     correct_cfg=cfg.correct)
        workers = self.workers[:shares_for(docs, len(self.workers), cfg.ner)]
        shares = split_by_chars(docs, len(workers), cfg.ner.max_chars)
        with self.lock, ThreadPoolExecutor(len(workers)) as threads:
            results = list(threads.map(partial(run_share, fn=fn, cfg=cfg), workers, shares))
        done = [doc for found, _ in results for doc in found]
        return done, [failure for _, failed in results for failure in failed]

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()


def shares_for(docs: Sequence[Document], workers: int, ner_cfg: NerConfig) -> int:
    """Workers a batch is split over: one per `ner.batch_chars` of its text (spaCy's part),
    at most `workers`, at least 1; a worker that would get less than a part is not woken."""
    chars = sum(min(len(doc.text), ner_cfg.max_chars) for doc in docs)
    return max(1, min(workers, -(-chars // ner_cfg.batch_chars)))


def split_by_chars(docs: Sequence[Document], shares: int, max_chars: int) -> list[Part]:
    """`shares` consecutive runs of the documents with about equal characters (as NER reads
    them): consecutive, so the merged result keeps the batch's order."""
    sizes = [min(len(doc.text), max_chars) + 1 for doc in docs]
    total, out, run, size = sum(sizes), [], [], 0
    for doc, n in zip(docs, sizes, strict=True):
        target = total * (len(out) + 1) / shares
        if run and len(out) < shares - 1 and size + n / 2 > target:
            out.append(run)
            run = []
        run.append(doc)
        size += n
    return [*out, run] + [[] for _ in range(shares - len(out) - 1)]


def run_share(worker: Worker, share: Part, fn: partial, cfg: PipelineConfig) -> Result:
    if not share:
        return [], []
    parts = char_bounded(share, cfg.ner.batch_size, cfg.ner.batch_chars,
                         size=lambda doc: min(len(doc.text), cfg.ner.max_chars))
    done: list[Document] = []
    failures: list[Failure] = []
    for message in _messages(parts):
        outcomes = worker.map(fn, message, [cfg.budgets.ner_seconds] * len(message))
        for part, outcome in zip(message, outcomes, strict=True):
            found, failed = _settle(worker, fn, part, outcome, cfg.budgets)
            done += found
            failures += failed
    return done, failures


def _messages(parts: list[Part]) -> list[list[Part]]:
    """Parts grouped so that one message stays under the sandbox's MESSAGE_SIZE."""
    out: list[list[Part]] = []
    size = MESSAGE_SIZE
    for part in parts:
        chars = sum(len(doc.text) for doc in part)
        if size + chars > MESSAGE_SIZE and (not out or out[-1]):
            out.append([])
            size = 0
        out[-1].append(part)
        size += chars
    return out


def _settle(worker: Worker, fn: partial, part: Part, outcome: Outcome,
            budgets: BudgetConfig) -> Result:
    """A part's result; a stopped or dead part replayed alone per document (the worker was
    restarted), and a single document that overran or ran out of memory as a failure row."""
    if outcome.status == "ok":
        return outcome.value
    if len(part) > 1:
        singles = [[doc] for doc in part]
        outcomes = worker.map(fn, singles, [budgets.ner_seconds] * len(singles))
        results = [_settle(worker, fn, one, found, budgets)
                   for one, found in zip(singles, outcomes, strict=True)]
        return ([d for found, _ in results for d in found],
                [f for _, failed in results for f in failed])
    doc = part[0]
    if outcome.status == "time":
        exc: Exception = overran("ner", budgets.ner_seconds)
    elif outcome.status == "memory":
        exc = out_of_memory("ner", budgets)
    else:
        exc = RuntimeError(str(outcome.value))
    return [], [failure_from(exc, "ner", doc.source, doc.id)]


_POOLS: dict[tuple[int, str, bool, int], NerPool] = {}
_POOLS_LOCK = threading.Lock()


def pool_for(cfg: PipelineConfig) -> NerPool:
    """This process's pool for the config's model and workers, made on first use."""
    key = (processes_for(cfg), cfg.ner.model, cfg.correct.enabled, cfg.budgets.memory_mb)
    with _POOLS_LOCK:
        if key not in _POOLS:
            _POOLS[key] = NerPool(*key)
        return _POOLS[key]


@atexit.register
def _stop_pools() -> None:
    for pool in _POOLS.values():
        pool.stop()
