"""Pause and cancel on a real local stack (server, process worker, deployments): a paused job
holds in its process, models loaded, and goes on in that process when resumed; a long pause
suspends and frees the worker; a cancel during NER kills the NER workers at once, starts no
other, and leaves no process of the run behind."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest

from deployments.stack import flow_run_pids, wait_for
from tests.flows.test_resume import REUTERS, reuters_jsonl
from tests.integration.test_jobs import Job, sluice, submit

pytestmark = pytest.mark.timeout(900)


def ner_workers(job_id: str) -> set[int]:
    """The run's NER worker processes (sandbox workers that preload spaCy's NER)."""
    found = set()
    for pid in flow_run_pids(job_id):
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"sluice.sandbox" in args and any(b"sluice.ner" in arg for arg in args):
            found.add(pid)
    return found


def engine(job_id: str) -> int:
    """The run's own process (the pool's command, `python -m flows.engine`), which leads a
    session of its own: a kill of its group reaches the run, not the worker."""
    for pid in flow_run_pids(job_id):
        try:
            if b"flows.engine" in Path(f"/proc/{pid}/cmdline").read_bytes():
                assert os.getsid(pid) == pid, f"run process {pid} shares its worker's session"
                return pid
        except OSError:
            continue
    raise AssertionError(f"no process runs job {job_id}")


def cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return -1
    return int(fields[11]) + int(fields[12])


def annotating(job_id: str) -> bool:
    """An NER worker of the run used CPU in the last 0.1 s: a share is in flight."""
    before = {pid: cpu_ticks(pid) for pid in ner_workers(job_id)}
    time.sleep(0.1)
    return any(cpu_ticks(pid) > ticks >= 0 for pid, ticks in before.items())


def paused_events(api: str, job_id: str) -> list[dict]:
    body = {"filter": {"event": {"name": ["sluice.job.paused"]},
                       "resource": {"id": [f"sluice.job.{job_id}"]}}, "limit": 5}
    found = httpx.post(f"{api}/events/filter", json=body, timeout=30)
    return found.json()["events"] if found.status_code == 200 else []


def paused_job(jobs_api, root: Path, *options: str) -> Job:
    """A 200-document job paused (`sluice pause OPTIONS`) once 30 are stored, holding."""
    job = Job(root, 200)
    submit(jobs_api.env, job)
    wait_for(job.ledger, lambda n: n >= 30, "first batches committed", every_s=0.3)
    paused = sluice(jobs_api.env, "pause", *options, job.id)
    assert paused.returncode == 0, paused.stderr
    wait_for(lambda: paused_events(jobs_api.api, job.id), bool, "the run holding")
    return job


@pytest.mark.skipif(not REUTERS.exists(), reason=f"shared corpus missing: {REUTERS}")
def test_cancel_during_ner_kills_its_workers_and_replays_nothing(jobs_api, tmp_path):
    env, job = jobs_api.env, Job(tmp_path, 0)
    job.source, job.docs = reuters_jsonl(tmp_path / "wires.jsonl", 400), 400
    submit(env, job, batch_size=20)
    wait_for(job.ledger, lambda n: n >= 40, "first batches committed", every_s=0.3)
    wait_for(lambda: annotating(job.id), bool, "an NER share in flight", every_s=0.0)
    before = ner_workers(job.id)
    asked = time.monotonic()
    assert sluice(env, "cancel", job.id).returncode == 0
    seen = set(before)
    while pids := flow_run_pids(job.id):
        seen |= ner_workers(job.id)
        assert time.monotonic() - asked < 120, f"run processes {pids} still there"
        time.sleep(0.05)
    took = time.monotonic() - asked
    print(f"cancel during NER: every process of the run gone {took:.1f} s after the request")
    # The SIGTERM killed the workers: no fresh worker replayed the share during shutdown.
    assert seen == before, f"NER workers started after the cancel: {seen - before}"
    wait_for(job.state, lambda s: s == "Cancelled", "run Cancelled")
    assert not flow_run_pids(job.id)  # and none came back, no orphan
    assert len(job.check_consistent()) < job.docs


def test_paused_job_holds_in_its_process_and_goes_on_there(jobs_api, tmp_path):
    env, job = jobs_api.env, paused_job(jobs_api, tmp_path)
    held_by = engine(job.id)  # the process that holds the pause
    landed = job.ledger()
    assert job.state() == "Paused"
    time.sleep(3)
    assert job.ledger() == landed < job.docs  # nothing stored while paused
    view = sluice(env, "status", job.id)
    assert "state:      Paused" in view.stdout and "rate:       -" in view.stdout, view.stdout

    resumed = sluice(env, "resume", job.id)
    assert resumed.returncode == 0 and "resumed" in resumed.stdout, resumed.stderr
    wait_for(job.ledger, lambda n: n > landed, "a batch after the resume", every_s=0.1)
    assert engine(job.id) == held_by  # went on in its process, no restart
    wait_for(job.state, lambda s: s == "Completed", "resumed job completing")
    job.check_exactly_once()


def test_pause_past_its_warm_time_suspends_and_frees_the_worker(jobs_api, tmp_path):
    env, job = jobs_api.env, paused_job(jobs_api, tmp_path, "--warm-for", "3")
    wait_for(job.state, lambda s: s == "Suspended", "the run suspending itself")
    wait_for(lambda: flow_run_pids(job.id), lambda pids: not pids, "its process exiting")
    landed = job.ledger()
    assert landed < job.docs

    assert sluice(env, "resume", job.id).returncode == 0
    wait_for(job.state, lambda s: s == "Completed", "resumed job completing")
    job.check_exactly_once()


def test_cancel_of_a_paused_job_stops_its_waiting_process(jobs_api, tmp_path):
    env, job = jobs_api.env, paused_job(jobs_api, tmp_path)
    assert flow_run_pids(job.id)
    assert sluice(env, "cancel", job.id).returncode == 0
    wait_for(job.state, lambda s: s == "Cancelled", "run Cancelled")
    wait_for(lambda: flow_run_pids(job.id), lambda pids: not pids, "its process exiting")
    assert len(job.check_consistent()) < job.docs
