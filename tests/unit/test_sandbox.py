"""The sandbox worker started ahead of a job's first batch (sluice.sandbox.start_idle_worker)."""

from __future__ import annotations

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
