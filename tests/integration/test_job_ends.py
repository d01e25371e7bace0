"""How a job ends on a real stack (server, process worker, deployments), and what follows:
"Run now" of the scheduled deployment, a failed and a crashed run (their hooks and events,
then a clean resume), and a store that is down when the job starts."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import httpx
import pytest

from deployments.stack import flow_run_pids, wait_for
from flows import jobs
from sluice.io import jsonl
from tests.integration.test_jobs import Job, _events, _hook_errors, _post_retrying, sluice, submit

pytestmark = pytest.mark.timeout(900)


def test_nightly_deployment_run_now_completes_with_its_own_defaults(jobs_api):
    """The UI's "Run now" on the scheduled deployment: no parameters but its defaults, which
    the stack made absolute in this checkout, with the inbox folder created."""
    nightly = httpx.get(f"{jobs_api.api}/deployments/name/{jobs.FLOW}/nightly-ingest").json()
    assert Path(nightly["parameters"]["params"]["source"]).is_dir()
    created = _post_retrying(f"{jobs_api.api}/deployments/{nightly['id']}/create_flow_run", {})
    assert created.status_code == 201, created.text
    run = created.json()["id"]
    wait_for(lambda: jobs.status(run).state, lambda s: s in ("Completed", "Failed", "Crashed"),
             "the nightly run ending")
    assert jobs.status(run).state == "Completed", jobs.status(run).message


def test_job_whose_store_is_down_at_start_goes_on_on_jsonl_and_replays(jobs_api, tmp_path,
                                                                       private_pg):
    """The store is down when the job starts: the job, which has its id, is not failed for
    it; it goes on on JSONL alone with its store writes parked in the outbox (the worker's,
    data/outbox.db of the checkout), and `sluice replay JOB` stores them once the store is
    back."""
    env, job = jobs_api.env, Job(tmp_path, 20, store_url=private_pg.url)
    private_pg.stop()
    try:
        submit(env, job)
        wait_for(job.state, lambda s: s in ("Completed", "Failed", "Crashed"), "the job ending")
    finally:
        private_pg.start()
    view = jobs.status(job.id)
    assert view.state == "Completed", view.message
    assert view.progress is not None and view.progress.parked > 0
    lines = [doc.id for doc in jsonl.read_documents(job.out)]
    assert len(lines) == len(set(lines)) == job.docs
    replayed = sluice(env, "replay", job.id)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert len(job.check_consistent()) == job.docs  # rows, ledger and JSONL: each doc once


def _resume_clean(env: dict[str, str], job: Job) -> None:
    """`sluice resume` to Completed, exactly once, and no error left from the attempt before."""
    assert sluice(env, "resume", job.id).returncode == 0
    wait_for(job.state, lambda s: s == "Completed", "resumed job completing")
    job.check_exactly_once()
    assert jobs.status(job.id).last_error is None
    assert "last error: -" in sluice(env, "status", job.id).stdout


def test_failed_job_sends_job_failed_and_a_clean_resume_clears_its_last_error(jobs_api,
                                                                               tmp_path):
    """A run driven into Failed on the worker (an input that cannot be parsed, with no
    failure allowed): the on_failure hook runs with Prefect's keywords and sends job.failed;
    once the input is gone, `sluice resume` completes it and the last error is cleared."""
    env, job = jobs_api.env, Job(tmp_path, 20)
    broken = job.source / "zz-broken.pdf"
    broken.write_bytes(b"%PDF-1.4\nnot a PDF body at all\n")
    done = sluice(env, "submit", *job.args(10), "--set", "max_error_rate=0")
    assert done.returncode == 0, done.stderr
    job.id = done.stdout.split()[0]
    wait_for(job.state, lambda s: s == "Failed", "the job failing")
    wait_for(lambda: _events(jobs_api.api, "sluice.job.failed", f"sluice.job.{job.id}"),
             lambda found: len(found) == 1, "the job.failed event")
    assert jobs.status(job.id).last_error, "the failure is the job's last error"
    assert _hook_errors(jobs_api.api, job.id) == []
    broken.unlink()
    _resume_clean(env, job)


def test_crashed_job_sends_job_failed_and_resumes_exactly_once(jobs_api, tmp_path):
    """The flow-run process is terminated by something other than a cancel (SIGTERM, as an
    OOM killer's warning or a host shutdown sends): the run is Crashed, the on_crashed hook
    sends job.failed, and a plain `sluice resume` finishes it exactly once."""
    env, job = jobs_api.env, Job(tmp_path, 200)
    submit(env, job)
    wait_for(job.ledger, lambda n: n >= 30, "first batches committed", every_s=0.3)
    os.kill(_engine_pid(job.id), signal.SIGTERM)
    wait_for(job.state, lambda s: s == "Crashed", "the run crashed")
    wait_for(lambda: _events(jobs_api.api, "sluice.job.failed", f"sluice.job.{job.id}"),
             lambda found: len(found) == 1, "the job.failed event of the crash")
    assert _hook_errors(jobs_api.api, job.id) == []
    assert job.ledger() < job.docs
    _resume_clean(env, job)


def _engine_pid(run_id: str) -> int:
    """The process running the flow's code: under the worker's `prefect flow-run execute`
    supervisor where there is one, never a parse sandbox (all share the run's id)."""
    pids = flow_run_pids(run_id)
    flows = [pid for pid in pids
             if b"sluice.sandbox" not in Path(f"/proc/{pid}/cmdline").read_bytes()]
    inner = [pid for pid in flows if _parent(pid) in pids]
    return (inner or flows)[0]


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
