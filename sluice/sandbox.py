"""Per-document work in a worker process that can be stopped: the way to bound wall time and
memory for libraries that cannot be interrupted in-process (a regex, pypdf, lxml, ftfy).

A worker is a long-lived child Python (with the models its `warm` loads: none for parse and
clean, spaCy and the speller for NER, see sluice.ner_workers) with an
address-space limit. A whole batch goes over in one message and its results come back in
one (or a few, on a long batch), so normal input costs one round trip per batch, not per
document. Which document is running, and since when, the worker writes into a small shared
map: the parent reads it while it waits, kills and restarts the worker when a document overruns
its seconds, and the rest of the batch goes on in the new worker.

A fresh interpreter (`python -m sluice.sandbox`), not a fork: the flow's process has threads
(Prefect's) whose locks a fork would copy, and not multiprocessing's spawn, which re-runs the
parent's main module (a script without a `__main__` guard would start jobs in the worker).
"""

from __future__ import annotations

import atexit
import mmap
import os
import resource
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from sluice.memory import release_free_memory
from sluice.spawn import child_env, die_with, spawn

PRELOAD = ("sluice.parse", "sluice.clean", "sluice.html")
SANDBOX_OFF = "budgets.sandbox=false runs parse and clean in the job's process, without limits"
_START_SECONDS = 120.0  # a cold worker imports lxml, trafilatura, pypdf and ftfy
_FLUSH_SECONDS = 1.0  # results go back at least this often, so a kill loses little work
_RUNNING = struct.Struct("<qd")  # index of the item running (-1: none), when it started


@dataclass(frozen=True)
class Outcome:
    """One item's result: `value` when `status` is "ok"; "time" or "memory" when the worker
    was stopped or died on it. `seconds`: how long the item ran."""

    status: str
    value: Any = None
    seconds: float = 0.0


class Worker:
    """One child process; `map` runs a function over items in it, one item at a time."""

    def __init__(self, memory_mb: int, warm: Callable[[], Any] | None = None,
                 preload: Sequence[str] = PRELOAD) -> None:
        """`warm`: called in the worker once at its start, before its memory limit (loads
        the models it serves, so each restart has them and no item pays for them);
        `preload`: the modules it imports first (parse and clean's by default)."""
        self.memory_mb = memory_mb
        self.warm = warm
        self.preload = ",".join(preload)
        self.role, self.fallback = "sandbox", SANDBOX_OFF
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn: _Duplex | None = None
        self._ready = False
        self._state = tempfile.TemporaryFile(dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
        self._state.write(b"\0" * _RUNNING.size)
        self._state.flush()
        self._running = mmap.mmap(self._state.fileno(), _RUNNING.size)

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any],
            seconds: Sequence[float]) -> list[Outcome]:
        results: dict[int, Outcome] = {}
        while len(results) < len(items):
            pending = [i for i in range(len(items)) if i not in results]
            conn = self._started()
            _RUNNING.pack_into(self._running, 0, -1, 0.0)
            conn.send((fn, [items[i] for i in pending]))
            self._collect(conn, pending, [seconds[i] for i in pending], results)
        return [results[i] for i in range(len(items))]

    def _collect(self, conn: _Duplex, pending: list[int], seconds: list[float],
                 results: dict[int, Outcome]) -> None:
        """Results as they come, until all are in or an item kills or outlasts the worker
        (then the items done but not yet sent back are left to run again)."""
        done = 0
        while done < len(pending):
            if conn.poll(_tick(seconds)):
                try:
                    batch = conn.recv()
                except (EOFError, OSError):  # killed by the kernel (memory) or crashed in C
                    self._lost(pending, done, "memory", results)
                    return
                for status, value, took in batch:
                    results[pending[done]] = Outcome(status, value, took)
                    done += 1
                continue
            index, started = _RUNNING.unpack_from(self._running)
            if index >= 0 and time.monotonic() - started > seconds[index]:
                self._lost(pending, done, "time", results)
                return

    def _lost(self, pending: list[int], done: int, status: str,
              results: dict[int, Outcome]) -> None:
        index, started = _RUNNING.unpack_from(self._running)
        self.stop()
        # Died while sending results (index -1): the first item not back is the likely cause.
        blamed = pending[index if index >= 0 else done]
        results[blamed] = Outcome(status, seconds=time.monotonic() - started)

    def ready(self) -> None:
        """Start the process if it is not running, and wait until it has loaded its models."""
        self._started()

    def _started(self) -> _Duplex:
        conn = self.spawn()
        if self._ready:
            return conn
        try:
            self._ready = conn.poll(_START_SECONDS) and conn.recv() == "ready"
        except (EOFError, OSError):  # it died on start: its traceback is on stderr
            self._ready = False
        if not self._ready:
            self.stop()
            raise RuntimeError(f"the {self.role} worker did not start ({self.fallback})")
        return conn

    def spawn(self) -> _Duplex:
        """Start the process unless it runs, without waiting for it to be ready: a caller
        may start workers ahead of their first batch and let them load meanwhile."""
        if self._proc is not None and self._conn is not None and self._proc.poll() is None:
            return self._conn
        self.stop()
        down_r, down_w = os.pipe()  # parent -> worker
        up_r, up_w = os.pipe()  # worker -> parent
        args = [str(n) for n in (down_r, up_w, self._state.fileno(), self.memory_mb,
                                 os.getpid())] + [self.preload]
        self._proc = spawn(
            [sys.executable, "-m", "sluice.sandbox", *args], env=child_env(),
            stdin=subprocess.DEVNULL, pass_fds=(down_r, up_w, self._state.fileno()))
        os.close(down_r)
        os.close(up_w)
        self._conn = _Duplex(up_r, down_w)
        self._conn.send(self.warm)
        return self._conn

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait(5)
        if self._conn is not None:
            self._conn.close()
        self._proc = self._conn = None
        self._ready = False


def _tick(seconds: Sequence[float]) -> float:
    # how often the parent looks at the running item: a fraction of the tightest budget
    return min(1.0, max(0.01, min(seconds, default=1.0) / 10))


class _Duplex:
    """Two one-way pipes as one connection: receive on one, send on the other."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        self._reader = Connection(read_fd, writable=False)
        self._writer = Connection(write_fd, readable=False)
        self.poll, self.recv, self.send = self._reader.poll, self._reader.recv, self._writer.send

    def close(self) -> None:
        self._reader.close()
        self._writer.close()


def _serve(conn: _Duplex, running: mmap.mmap, memory_mb: int, preload: list[str]) -> None:
    """The worker's loop: import what documents need (and warm up), then cap memory and
    serve batches."""
    import importlib

    for module in preload:
        importlib.import_module(module)
    warm = conn.recv()
    if warm is not None:
        warm()
    _limit_memory(memory_mb)
    conn.send("ready")
    while True:
        try:
            fn, items = conn.recv()
        except EOFError:  # the parent is gone
            return
        _serve_batch(conn, running, fn, items)
        # a long document's working memory (spaCy's activations, lxml's tree) is freed but
        # kept by glibc: returned here, or two NER workers each sit on their largest batch
        release_free_memory()


def _serve_batch(conn: _Duplex, running: mmap.mmap, fn: Callable[[Any], Any],
                 items: list[Any]) -> None:
    out: list[tuple[str, Any, float]] = []
    flushed = time.monotonic()
    for index, item in enumerate(items):
        started = time.monotonic()
        _RUNNING.pack_into(running, 0, index, started)
        try:
            out.append(("ok", fn(item), 0.0))
        except MemoryError:
            out.append(("memory", None, 0.0))
        except Exception as exc:  # noqa: BLE001 -- fn is meant to return its failures
            out.append(("error", f"{type(exc).__name__}: {exc}", 0.0))
        now = time.monotonic()
        out[-1] = (*out[-1][:2], now - started)
        if now - flushed > _FLUSH_SECONDS or index == len(items) - 1:
            _RUNNING.pack_into(running, 0, -1, now)  # sending is not the next item's time
            conn.send(out)
            out, flushed = [], time.monotonic()


def _limit_memory(memory_mb: int) -> None:
    # The limit is on address space, which starts at what the imports already mapped.
    with open(f"/proc/{os.getpid()}/statm") as statm:
        mapped = int(statm.read().split()[0]) * resource.getpagesize()
    limit = mapped + memory_mb * 2**20
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:  # a stricter limit around the whole job still holds
        limit = min(limit, soft)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def run_each(fn: Callable[[Any], Any], items: Sequence[Any], seconds: Sequence[float],
             memory_mb: int, isolated: bool = True,
             sizes: Sequence[int] | None = None) -> list[Outcome]:
    """`fn` over the items in a worker (`isolated`), or in this process without limits.

    `sizes` (bytes or characters per item) split a batch into messages of at most
    `MESSAGE_SIZE`: a message is pickled whole, so a batch of 20 MB inputs sent at once would
    hold a second copy of all of them in this process.
    """
    if not isolated:
        return [_timed(fn, item) for item in items]
    outcomes: list[Outcome] = []
    with worker(memory_mb) as found:
        for start, end in _chunks(sizes or [0] * len(items)):
            outcomes += found.map(fn, items[start:end], seconds[start:end])
    return outcomes


MESSAGE_SIZE = 32 * 2**20


def _chunks(sizes: Sequence[int]) -> list[tuple[int, int]]:
    bounds, start, total = [], 0, 0
    for end, size in enumerate(sizes):
        if end > start and total + size > MESSAGE_SIZE:
            bounds.append((start, end))
            start, total = end, 0
        total += size
    return [*bounds, (start, len(sizes))] if sizes else []


def _timed(fn: Callable[[Any], Any], item: Any) -> Outcome:
    began = time.monotonic()
    value = fn(item)
    return Outcome("ok", value, time.monotonic() - began)


_IDLE: list[Worker] = []
_ALL: list[Worker] = []
_LOCK = threading.Lock()


@contextmanager
def worker(memory_mb: int) -> Iterator[Worker]:
    """An idle worker of this process, or a new one: concurrent tasks each get their own."""
    with _LOCK:
        found = _take(memory_mb)
    try:
        yield found
    finally:
        with _LOCK:
            _IDLE.append(found)


def start_idle_worker(memory_mb: int) -> Worker:
    """Start a worker now, without waiting, and leave it idle for the first batch: a resumed
    job's first parse then finds its imports done (lxml, trafilatura, pypdf, ftfy). None
    started twice: an idle one of that limit is returned as it is."""
    with _LOCK:
        found = _take(memory_mb)
        found.spawn()  # under the lock: no task takes it while it starts
        _IDLE.append(found)
    return found


def _take(memory_mb: int) -> Worker:
    """An idle worker of this limit, taken off the idle list, or a new one. Under _LOCK."""
    found = next((w for w in _IDLE if w.memory_mb == memory_mb), None)
    if found is None:
        found = Worker(memory_mb)
        _ALL.append(found)
    else:
        _IDLE.remove(found)
    return found


@atexit.register
def _stop_all() -> None:
    for each in _ALL:
        each.stop()


if __name__ == "__main__":
    _down, _up, _state, _memory, _parent = (int(arg) for arg in sys.argv[1:6])
    die_with(_parent)
    _preload = sys.argv[6].split(",") if len(sys.argv) > 6 else PRELOAD
    _serve(_Duplex(_down, _up), mmap.mmap(_state, _RUNNING.size), _memory,
           [name for name in _preload if name])
