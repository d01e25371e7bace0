"""The sandbox worker started ahead of a job's first batch (sluice.sandbox.start_idle_worker)."""

from __future__ import annotations

import ctypes.util
import sys

import pytest

from sluice import sandbox


def test_sandbox_idle_worker_is_started_and_taken_by_the_first_batch() -> None:
    memory_mb = 777  # a limit no other test's worker has
    started = sandbox.start_idle_worker(memory_mb)
    try:
        assert started._proc is not None and started._proc.poll() is None  # running already
        assert sandbox.start_idle_worker(memory_mb) is started  # not a second process
        with sandbox.worker(memory_mb) as found:
            assert found is started
            [outcome] = found.map(abs, [-3], [30.0])
            assert outcome.status == "ok" and outcome.value == 3
            # taken: a new idle worker is another process
            other = sandbox.start_idle_worker(memory_mb)
            assert other is not started
            other.stop()
    finally:
        started.stop()


def _fragment(_: object) -> int:
    """Frees 200 MB of 2 KB blocks but every 64th, which pins glibc's heap pages (no
    automatic trim can give them back)."""
    blocks = [bytearray(2048) for _ in range(100_000)]
    kept = blocks[::64]
    del blocks
    _fragment.kept = kept  # lives on in the worker, as a long job's state would
    return len(kept)


def _rss_mb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return int(status.read().split("VmRSS:")[1].split()[0]) // 1024


@pytest.mark.skipif(not sys.platform.startswith("linux") or not ctypes.util.find_library("c"),
                    reason="malloc_trim is glibc's")
def test_sandbox_worker_returns_freed_memory_after_each_batch() -> None:
    memory_mb = 779
    with sandbox.worker(memory_mb) as found:
        [outcome] = found.map(abs, [-1], [30.0])
        before = _rss_mb(found._proc.pid)
        [outcome] = found.map(_fragment, [None], [60.0])
        assert outcome.status == "ok", outcome.value
        found.map(abs, [-2], [30.0])  # the trim follows a batch's answer: one more batch
        # without the trim the worker keeps about 200 MB; the kept blocks are 3 MB
        assert _rss_mb(found._proc.pid) - before < 60
