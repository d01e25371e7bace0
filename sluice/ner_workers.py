"""NER and correction in long-lived worker processes: every core at work, and a per-document
wall-time budget (`budgets.ner_seconds`) that a stuck spaCy call cannot escape.

Each worker is a sandbox worker (sluice.sandbox: a fresh interpreter, an address-space limit,
a parent-death signal) that loads the NER model and the speller once, at its start. A batch is
cut into spaCy's own char-bounded parts (`ner.batch_size`, `ner.batch_chars`), and each worker
takes the next part as soon as it is free, the largest first: a worker that is still loading
its model, or was given shorter texts, leaves none of its share waiting while the other idles
(fixed shares of equal characters left one core idle 0.8 s in the first batch of a job and up
to 0.2 s in later ones). A part over its seconds, or one that exhausts the worker's memory,
has its worker killed and restarted and is replayed document by document, so only the culprit
becomes an `OverBudget` row. The corrector's batch vocabulary comes from the whole batch's word
counts, so the output is the same as the in-process path's, whatever the split; the parts'
results are put back in the batch's order.
"""

from __future__ import annotations

import atexit
import itertools
import os
import queue
import threading
import uuid
from collections.abc import Sequence
from functools import partial

from sluice.budgets import out_of_memory, overran
from sluice.config import BudgetConfig, CorrectConfig, NerConfig, PipelineConfig
from sluice.errors import failure_from
from sluice.isolate import isolate
from sluice.ner import annotate_documents, char_bounded
from sluice.records import Document, Failure
from sluice.sandbox import Outcome, Worker

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
    """`processes` workers for one model and corrector setting. Each woken worker has a
    thread here that feeds it parts from one queue for the pool. Batches may be given from
    several threads at once: the next batch's parts wait in the queue behind the current
    one's, so a worker that finished its last part of a batch goes on with the next batch
    instead of idling until the other workers are done too (0.13-0.29 s at each of a 2,000
    document job's batch ends, 1.6 s of a core in all)."""

    def __init__(self, processes: int, model: str, correct: bool, memory_mb: int) -> None:
        self.workers = [Worker(memory_mb, partial(warm, model, correct), PRELOAD)
                        for _ in range(processes)]
        for worker in self.workers:
            worker.role, worker.fallback = "NER", "ner.processes=0 runs NER in the job's process"
        self.correct, self._caches, self._caches_tried = correct, threading.Lock(), False
        self._queue: queue.PriorityQueue[tuple] = queue.PriorityQueue()
        self._feeders: dict[int, threading.Thread] = {}
        self._feeders_lock = threading.Lock()
        self._batches = itertools.count()

    def start(self) -> None:
        """Start the first worker now, without waiting: it loads its models meanwhile. The
        others start with the first batch that has a share for each (`shares_for`): a job of a
        few small documents never pays for them, and on 2 cores their model loads would
        compete with the server's boot and the job's imports (one small document: +1.6 s)."""
        self._caches_built()
        if self.workers:
            self.workers[0].spawn()

    def wake(self, chars: int, ner_cfg: NerConfig) -> None:
        """Start the workers past the first that a job of about `chars` characters will have
        a part for, once the first has loaded its models: one load at a time, so that they
        take the core the server's boot leaves idle, not the one it runs on. Blocks until the
        first worker is ready (or failed, which its first batch reports)."""
        more = self.workers[1:_workers_for(chars, len(self.workers), ner_cfg)]
        if not more:
            return
        self.start()
        self.workers[0].ready()
        for worker in more:
            worker.spawn()

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
        parts = Parts(char_bounded(docs, cfg.ner.batch_size, cfg.ner.batch_chars,
                                   size=partial(ner_chars, ner_cfg=cfg.ner)),
                      fn, cfg.budgets)
        self._feed(shares_for(docs, len(self.workers), cfg.ner))
        number = next(self._batches)  # earlier batches' parts go first
        for index, chars in parts.order(cfg.ner):
            self._queue.put((number, -chars, index, parts))
        return parts.merged()

    def _feed(self, workers: int) -> None:
        """A feeding thread for each of the first `workers` workers that has none yet."""
        with self._feeders_lock:
            for number in range(workers):
                if number not in self._feeders:
                    thread = threading.Thread(target=self._feeder, args=(self.workers[number],),
                                              name=f"sluice-ner-{number}", daemon=True)
                    self._feeders[number] = thread
                    thread.start()

    def _feeder(self, worker: Worker) -> None:
        """Parts through one worker, from the pool's queue, until the pool stops. A worker
        takes a part only once it is ready (started, its models loaded): no part waits on a
        load while another worker is free. A worker that cannot start fails the batch of the
        next part it takes, with the reason, and is tried again for the part after."""
        while True:
            error = _readied(worker)
            index, parts = (item := self._queue.get())[2], item[3]
            if parts is None:  # the pool stops
                return
            if parts.failed():
                continue
            if error is not None:
                parts.fail(error)
                continue
            try:
                parts.run(index, worker)
            except Exception as exc:  # noqa: BLE001 -- the batch's caller raises it
                parts.fail(exc)

    def stop(self) -> None:
        with self._feeders_lock:
            for number in self._feeders:  # before any part: each feeder ends
                self._queue.put((-1, 0, number, None))
            self._feeders.clear()
        for worker in self.workers:
            worker.stop()


def shares_for(docs: Sequence[Document], workers: int, ner_cfg: NerConfig) -> int:
    """Workers a batch is split over: one per `ner.batch_chars` of its text (spaCy's part),
    at most `workers`, at least 1; a worker that would get less than a part is not woken."""
    return _workers_for(sum(ner_chars(doc, ner_cfg) for doc in docs), workers, ner_cfg)


def ner_chars(doc: Document, ner_cfg: NerConfig) -> int:
    """The characters of a document that NER reads (it stops at `ner.max_chars`)."""
    return min(len(doc.text), ner_cfg.max_chars)


def _workers_for(chars: int, workers: int, ner_cfg: NerConfig) -> int:
    return max(1, min(workers, -(-chars // ner_cfg.batch_chars)))


def _readied(worker: Worker) -> Exception | None:
    """None once the worker is ready; else why it is not (it did not start, or this process
    is stopping: sluice.spawn.Stopping)."""
    try:
        worker.ready()
    except Exception as exc:  # noqa: BLE001 -- given to the batch that needed the worker
        return exc
    return None


class Parts:
    """One batch's parts, taken by the workers the largest first (the last one taken is then
    short, and so is the wait for it); `merged` waits for every result and returns them in
    the batch's order, or raises the first error a worker met."""

    def __init__(self, parts: list[Part], fn: partial, budgets: BudgetConfig) -> None:
        self._parts, self._fn, self._budgets = parts, fn, budgets
        self._results: dict[int, Result] = {}
        self._error: Exception | None = None
        self._lock = threading.Lock()
        self._done = threading.Event()
        if not parts:
            self._done.set()

    def order(self, ner_cfg: NerConfig) -> list[tuple[int, int]]:
        """(index, characters NER reads) of each part, the largest first."""
        sizes = [(index, sum(ner_chars(doc, ner_cfg) for doc in part))
                 for index, part in enumerate(self._parts)]
        return sorted(sizes, key=lambda pair: -pair[1])

    def run(self, index: int, worker: Worker) -> None:
        part = self._parts[index]
        [outcome] = worker.map(self._fn, [part], [self._budgets.ner_seconds])
        self.put(index, _settle(worker, self._fn, part, outcome, self._budgets))

    def put(self, index: int, result: Result) -> None:
        with self._lock:
            self._results[index] = result
            if len(self._results) == len(self._parts):
                self._done.set()

    def fail(self, error: Exception) -> None:
        with self._lock:
            self._error = self._error or error
            self._done.set()

    def failed(self) -> bool:
        return self._error is not None

    def merged(self) -> Result:
        self._done.wait()
        if self._error is not None:
            raise self._error
        results = [self._results[i] for i in range(len(self._parts))]
        return ([doc for found, _ in results for doc in found],
                [failure for _, failed in results for failure in failed])


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
