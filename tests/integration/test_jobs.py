"""Jobs on a real local stack (server, process worker, deployments): submit, status, pause,
resume, cancel, and a worker killed mid-run, with exactly-once checks on the store and JSONL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from deployments import stack
from deployments.stack import flow_run_pids, wait_for
from flows import jobs
from scripts.make_corpus import write_corpus
from sluice.io import jsonl, store
from tasks.progress import read_progress
from tasks.shards import SHARD_TAG

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(900)


def sluice(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=180)


class Job:
    """A corpus, its store and JSONL folder, and the job that processes them."""

    def __init__(self, root: Path, docs: int, store_url: str | None = None) -> None:
        self.docs = docs
        self.source = root / "corpus"
        write_corpus(self.source, docs)
        self.url = store_url or f"sqlite:///{root}/store.db"
        self.out = root / "out"
        self.id = ""

    def args(self, batch_size: int = 10) -> list[str]:
        return [str(self.source), "--store", self.url, "--out", str(self.out),
                "--batch-size", str(batch_size)]

    def ledger(self) -> int:
        return len(store.done_ids(store.open_store(self.url), self.id))

    def state(self) -> str:
        return jobs.status(self.id).state

    def check_consistent(self) -> set[str]:
        """Rows, ledger and JSONL lines name the same documents, each once."""
        engine = store.open_store(self.url)
        rows = {doc.id for doc in store.read_documents(engine)}
        lines = [doc.id for doc in jsonl.read_documents(self.out)] if self.out.exists() else []
        assert len(lines) == len(set(lines)), "a JSONL line written twice"
        assert set(lines) == rows == store.done_ids(engine, self.id)
        return rows

    def check_exactly_once(self) -> None:
        assert len(self.check_consistent()) == self.docs
        progress = jobs.status(self.id).progress
        assert progress is not None and progress.done == self.docs and progress.failed == 0
        # Every attempt counted: what the job reports is what the store holds.
        counts = store.counts(store.open_store(self.url))
        assert (progress.processed, progress.entities, progress.chunks) == (
            self.docs, counts["entities"], counts["chunks"])


def submit(env: dict[str, str], job: Job, batch_size: int = 10) -> str:
    done = sluice(env, "submit", *job.args(batch_size))
    assert done.returncode == 0, done.stderr
    job.id = done.stdout.split()[0]
    return job.id


def stop_mid_run(env: dict[str, str], job: Job, command: str, state: str,
                 *options: str) -> int:
    """Submit the job, `sluice pause|cancel` it once 30 documents are stored, wait until it
    is in `state` and its process has exited; returns the documents stored at the request."""
    submit(env, job)
    wait_for(job.ledger, lambda n: n >= 30, "first batches committed", every_s=0.3)
    done = sluice(env, command, *options, job.id)
    assert done.returncode == 0, done.stderr
    at_request = job.ledger()
    wait_for(job.state, lambda s: s == state, f"run {state}")
    wait_for(lambda: flow_run_pids(job.id), lambda pids: not pids, "flow-run process exiting")
    return at_request


def test_jobs_submitted_by_cli_and_rest_api_run_at_once_exactly_once(jobs_api, tmp_path):
    env = jobs_api.env
    by_cli, by_api = Job(tmp_path / "a", 120), Job(tmp_path / "b", 120)
    submit(env, by_cli)
    deployment = httpx.get(f"{jobs_api.api}/deployments/name/{jobs.DEPLOYMENT}").json()
    params = {"source": str(by_api.source), "store": by_api.url, "out": str(by_api.out),
              "overrides": {"batch_size": 10}}
    created = _post_retrying(f"{jobs_api.api}/deployments/{deployment['id']}/create_flow_run",
                             {"parameters": {"params": params}})
    assert created.status_code == 201, created.text
    by_api.id = created.json()["id"]

    first = wait_for(lambda: jobs.status(by_cli.id).progress, lambda p: p is not None,
                 "first progress report")
    wait_for(lambda: jobs.status(by_cli.id).progress, lambda p: p.done > first.done,
         "progress moving")
    shown = sluice(env, "status", by_cli.id)
    assert shown.returncode == 0 and "documents:  120 total" in shown.stdout, shown.stdout
    for job in (by_cli, by_api):
        wait_for(job.state, lambda s: s == "Completed", f"job {job.id} completing")
        job.check_exactly_once()
    listed = sluice(env, "jobs")
    assert by_cli.id in listed.stdout and by_api.id in listed.stdout
    rows = {line.split()[0]: line for line in listed.stdout.splitlines()[1:]}
    assert rows[by_cli.id].endswith(str(by_cli.source))  # what each job reads
    assert rows[by_api.id].endswith(str(by_api.source))
    with httpx.Client(base_url=jobs_api.api) as api:
        runs = [api.get(f"/flow_runs/{job.id}").json() for job in (by_cli, by_api)]
    starts, ends = [r["start_time"] for r in runs], [r["end_time"] for r in runs]
    assert starts[0] < ends[1] and starts[1] < ends[0], "the two jobs did not overlap"


def test_run_form_shows_no_internal_fields_and_no_relative_defaults(jobs_api, tmp_path):
    """The UI's custom-run form is drawn from the deployment's parameter schema: which shard
    of which job a run is stays out of it (it travels as the flow's hidden `shard`
    parameter), and no default is a path relative to the worker's folder."""
    deployment = httpx.get(f"{jobs_api.api}/deployments/name/{jobs.DEPLOYMENT}").json()
    schema = deployment["parameter_openapi_schema"]
    assert list(schema["properties"]) == ["params"] and schema["required"] == ["params"]
    form = schema["definitions"]["RunParams"]
    assert {"source", "store", "out", "shards"} <= set(form["properties"])
    assert not {"shard", "shard_queue", "job"} & set(form["properties"])
    assert "Shard" not in schema["definitions"]
    assert form["required"] == ["source"]
    defaults = {name: field["default"] for name, field in form["properties"].items()
                if isinstance(field.get("default"), str)}
    assert all(Path(value.removeprefix("sqlite:///")).is_absolute()
               for value in defaults.values()), defaults
    assert "folder the run runs in" in form["properties"]["store"]["description"]
    # A user cannot slip an internal field in through the form or the REST API either.
    job = Job(tmp_path, 3)
    refused = _post_retrying(f"{jobs_api.api}/deployments/{deployment['id']}/create_flow_run",
                             {"parameters": {"params": {"source": str(job.source),
                                                        "job": "someone-else"}}})
    assert refused.status_code == 409 and "job" in refused.text, refused.text


def test_bad_parameters_and_unreachable_server_fail_before_any_run(jobs_api, tmp_path):
    env, job = jobs_api.env, Job(tmp_path, 3)
    runs_before = httpx.post(f"{jobs_api.api}/flow_runs/count", json={}).json()
    for args, field in ((["submit", str(tmp_path / "missing")], "source"),
                        (["submit", str(job.source), "--store", "redis://x"], "store"),
                        (["submit", str(job.source), "--set", "batch_size=0"], "batch_size")):
        done = sluice(env, *args)
        assert done.returncode != 0 and field in done.stderr and not done.stdout, done
    closed = {**env, "PREFECT_API_URL": f"http://127.0.0.1:{_closed_port()}/api"}
    done = sluice(closed, "submit", str(job.source))
    assert done.returncode != 0 and "cannot reach the Prefect API" in done.stderr
    assert not done.stdout, "a job id printed for a job that does not exist"
    assert httpx.post(f"{jobs_api.api}/flow_runs/count", json={}).json() == runs_before


def test_pause_frees_the_worker_and_resume_finishes_exactly_once(jobs_api, tmp_path):
    """`sluice pause --warm-for 0`: Prefect's suspend at once (a warm pause holds its
    process: tests/integration/test_job_pause_cancel.py)."""
    env, job = jobs_api.env, Job(tmp_path, 200)
    at_request = stop_mid_run(env, job, "pause", "Suspended", "--warm-for", "0")
    landed = job.ledger()
    assert landed - at_request <= 10, "pause took longer than one batch"  # batch_size 10
    # No batch commits while paused, and a paused run, which sends no heartbeats, is not taken
    # for a dead one by the stack's crash detector (it waits CRASH_AFTER_S for a heartbeat).
    deadline = time.monotonic() + stack.CRASH_AFTER_S + 20
    while time.monotonic() < deadline:
        assert job.ledger() == landed and job.state() == "Suspended"
        time.sleep(0.5)
    assert landed < job.docs
    paused = jobs.status(job.id).progress
    assert paused is not None and paused.docs_per_min == 0 and paused.eta_s is None
    # The first file is in batch 1, stored: a resume that read it again would store this text
    # as a document of its own (one too many).
    (job.source / "doc-00000.txt").write_text("Changed after the pause: Lisbon, May 2021.\n")

    resumed = sluice(env, "resume", job.id)
    assert resumed.returncode == 0 and "resumed" in resumed.stdout, resumed.stderr
    wait_for(job.state, lambda s: s == "Completed", "resumed job completing")
    job.check_exactly_once()
    keys = [f"job-{job.id}", f"job-{job.id}-bar"]
    cards = httpx.post(f"{jobs_api.api}/artifacts/filter",
                       json={"artifacts": {"key": {"any_": keys}}}).json()
    assert len(cards) == 2, "one table and one bar, updated in place over both attempts"
    assert {card["flow_run_id"] for card in cards} == {job.id}  # the UI's "Flow run" link


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_cancel_stops_within_a_batch_leaving_rows_and_jsonl_in_agreement(
        jobs_api, tmp_path, backend, request):
    url = request.getfixturevalue("pg_url") if backend == "postgresql" else None
    env, job = jobs_api.env, Job(tmp_path, 200, store_url=url)
    at_request = stop_mid_run(env, job, "cancel", "Cancelled")
    stored = job.check_consistent()
    assert len(stored) - at_request <= 10 and len(stored) < job.docs


def test_job_whose_worker_was_killed_is_rerun_exactly_once(jobs_api, tmp_path):
    env, job = jobs_api.env, Job(tmp_path, 200)
    submit(env, job)
    wait_for(job.ledger, lambda n: n >= 30, "first batches committed", every_s=0.3)
    worker = jobs_api.worker
    for pid in [worker.pid, *flow_run_pids(job.id)]:  # the machine dies: all of it
        os.kill(pid, signal.SIGKILL)
    worker.wait(30)
    wait_for(lambda: flow_run_pids(job.id), lambda pids: not pids, "flow-run process gone")
    assert job.ledger() < job.docs and job.state() == "Running"  # nobody told the server

    jobs_api.start_worker()
    refused = sluice(env, "resume", job.id)
    assert refused.returncode != 0 and "--force" in refused.stderr
    rerun = sluice(env, "resume", "--force", job.id)
    assert rerun.returncode == 0, rerun.stderr
    wait_for(job.state, lambda s: s == "Completed", "re-run job completing")
    job.check_exactly_once()


def test_dead_worker_run_is_marked_crashed_then_resumed_exactly_once(jobs_api, tmp_path):
    """The machine is lost (worker and flow-run process killed together): the stack's
    automation marks the run Crashed once its heartbeats stop, and a plain `sluice resume`
    (no --force) re-runs it exactly once."""
    env, job = jobs_api.env, Job(tmp_path, 200)
    submit(env, job)
    wait_for(job.ledger, lambda n: n >= 30, "first batches committed", every_s=0.3)
    worker = jobs_api.worker
    for pid in [worker.pid, *flow_run_pids(job.id)]:
        os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    worker.wait(30)
    wait_for(job.state, lambda s: s == "Crashed", "the automation marking the run Crashed",
             timeout_s=stack.CRASH_AFTER_S + 150, every_s=1)
    detected_s = time.monotonic() - killed
    print(f"dead run marked Crashed {detected_s:.0f} s after the kill")
    assert detected_s >= stack.CRASH_AFTER_S - int(stack.HEARTBEAT_S)  # not before it was due
    crashed = jobs.status(job.id)
    assert "no heartbeat" in (crashed.message or "")
    assert crashed.progress is not None and crashed.progress.docs_per_min == 0
    assert crashed.progress.eta_s is None  # a dead job shows no rate, no ETA

    jobs_api.start_worker()
    rerun = sluice(env, "resume", job.id)
    assert rerun.returncode == 0, rerun.stderr
    wait_for(job.state, lambda s: s == "Completed", "resumed job completing")
    job.check_exactly_once()


def shard_runs(api: str, job_id: str) -> list[dict]:
    body = {"flow_runs": {"tags": {"all_": [f"sluice-job:{job_id}", SHARD_TAG]}}}
    return httpx.post(f"{api}/flow_runs/filter", json=body, timeout=30).json()


def polled_shard_runs(api: str, job_id: str) -> list[dict]:
    """`shard_runs` for a wait_for: a request that times out on a loaded test server reads
    as no runs yet, and wait_for asks again until its own deadline."""
    try:
        return shard_runs(api, job_id)
    except httpx.TimeoutException:
        return []


def test_sharded_job_pauses_with_its_shards_and_resumes_exactly_once(jobs_api, tmp_path):
    env, job = jobs_api.env, Job(tmp_path, 200)
    done = sluice(env, "submit", *job.args(10), "--shards", "2")
    assert done.returncode == 0, done.stderr
    job.id = done.stdout.split()[0]
    wait_for(job.ledger, lambda n: n >= 30, "first batches committed", every_s=0.3)
    assert sluice(env, "pause", job.id).returncode == 0
    wait_for(lambda: [r["state_name"] for r in polled_shard_runs(jobs_api.api, job.id)],
             lambda s: s == ["Suspended", "Suspended"], "both shards suspended")
    wait_for(job.state, lambda s: s == "Suspended", "the job suspended")
    for run in [job.id, *(r["id"] for r in shard_runs(jobs_api.api, job.id))]:
        wait_for(lambda run=run: flow_run_pids(run), lambda pids: not pids, "processes exiting")
    landed = job.ledger()
    time.sleep(3)
    assert job.ledger() == landed < job.docs  # nothing runs while paused

    assert sluice(env, "resume", job.id).returncode == 0
    wait_for(job.state, lambda s: s == "Completed", "resumed sharded job completing")
    job.check_exactly_once()  # the job's progress: the sum of its shards'
    shards = shard_runs(jobs_api.api, job.id)
    assert sorted(r["state_name"] for r in shards) == ["Completed", "Completed"]
    with jobs.prefect_api() as client:
        rows = read_progress(client, [r["id"] for r in shards])
    assert sorted(p.done for p in rows.values()) == [100, 100]  # every other batch of 10
    assert job.id in sluice(env, "jobs").stdout
    assert not any(r["id"] in sluice(env, "jobs").stdout for r in shards)


def test_cancelled_sharded_job_cancels_its_shards(jobs_api, tmp_path):
    env, job = jobs_api.env, Job(tmp_path, 200)
    done = sluice(env, "submit", *job.args(10), "--shards", "2")
    job.id = done.stdout.split()[0]
    wait_for(job.ledger, lambda n: n >= 30, "first batches committed", every_s=0.3)
    assert sluice(env, "cancel", job.id).returncode == 0
    wait_for(lambda: sorted(r["state_type"] for r in polled_shard_runs(jobs_api.api, job.id)),
             lambda s: s == ["CANCELLED", "CANCELLED"], "both shards cancelled")
    wait_for(job.state, lambda s: s == "Cancelled", "the job cancelled")
    assert len(job.check_consistent()) < job.docs


def test_job_cancelled_through_the_rest_api_runs_its_hooks(jobs_api, tmp_path):
    """What the UI's Cancel does: the job's state set to Cancelling over REST. The worker's
    runner then calls the flow's on_cancellation hooks with keywords (flow=, flow_run=,
    state=): the shards are cancelled, the job.cancelled event is sent, and no hook error is
    logged."""
    env, job = jobs_api.env, Job(tmp_path, 200)
    done = sluice(env, "submit", *job.args(10), "--shards", "2")
    assert done.returncode == 0, done.stderr
    job.id = done.stdout.split()[0]
    wait_for(job.ledger, lambda n: n >= 30, "first batches committed", every_s=0.3)
    answer = _post_retrying(f"{jobs_api.api}/flow_runs/{job.id}/set_state",
                            {"state": {"type": "CANCELLING"}, "force": True})
    assert answer.status_code in (200, 201), answer.text
    wait_for(job.state, lambda s: s == "Cancelled", "the job cancelled")
    wait_for(lambda: sorted(r["state_type"] for r in polled_shard_runs(jobs_api.api, job.id)),
             lambda s: s == ["CANCELLED", "CANCELLED"], "both shards cancelled")
    wait_for(lambda: _events(jobs_api.api, "sluice.job.cancelled", f"sluice.job.{job.id}"),
             lambda found: len(found) == 1, "the job.cancelled event")
    assert _hook_errors(jobs_api.api, job.id) == []
    assert len(job.check_consistent()) < job.docs


def _hook_errors(api: str, job_id: str) -> list[str]:
    logs = httpx.post(f"{api}/logs/filter", timeout=30,
                      json={"logs": {"flow_run_id": {"any_": [job_id]}}}).json()
    return [log["message"] for log in logs if "while running hook" in log["message"]]


def _events(api: str, name: str, resource: str) -> list[dict]:
    found = httpx.post(f"{api}/events/filter", timeout=30, json={
        "filter": {"event": {"name": [name]}, "resource": {"id": [resource]}}, "limit": 50})
    return found.json()["events"] if found.status_code == 200 else []


def _closed_port() -> int:
    from tests.integration.conftest import free_port

    return free_port()  # bound a moment ago and released: nothing listens there


def _post_retrying(url: str, body: dict) -> httpx.Response:
    """As `curl --retry` does: a busy server's SQLite answers 503 for a moment."""
    for _ in range(5):
        response = httpx.post(url, json=body, timeout=30)
        if response.status_code != 503:
            break
        time.sleep(2)
    return response
