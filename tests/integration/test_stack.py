"""The one-command stack (`python -m deployments.stack`), run as a user runs it: a server or a
worker that dies is reported with its exit code and restarted, and jobs keep running; the
stack's job worker leaves the `shards` queue to the workers that poll it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from deployments import stack
from scripts.make_corpus import write_corpus
from sluice.io import store
from tasks.shards import SHARD_TAG
from tests.integration.conftest import free_port

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(1200)
JOB_WORKER, SHARD_WORKER = "worker sluice-cpu-1", "worker sluice-shards-1"


class Stack:
    """`python -m deployments.stack` in a process of its own; what it prints goes to a file."""

    def __init__(self, home: Path, roots: Path) -> None:
        self.home, self.port = home, free_port()
        self.output = home / "stack.out"
        self.api = f"http://127.0.0.1:{self.port}/api"
        self.env = {**os.environ, **stack.roots_env([roots], [roots]),
                    "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_API_URL": self.api,
                    "PYTHONPATH": str(REPO)}
        home.mkdir(parents=True)
        with self.output.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "deployments.stack", "--port", str(self.port),
                 "--home", str(home), "--no-auth", "--ner-slots", "1"],
                env=self.env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)

    def printed(self) -> str:
        return self.output.read_text(errors="replace")

    def wait_printed(self, pattern: str, timeout_s: float = 400) -> re.Match[str]:
        def find() -> re.Match[str] | None:
            assert self.process.poll() is None, f"the stack exited:\n{self.printed()}"
            return re.search(pattern, self.printed())

        return stack.wait_for(find, bool, f"the stack printing {pattern!r}", timeout_s)

    def pid(self, name: str) -> int:
        """The pid the stack last reported for its child `name`."""
        found = re.findall(rf"{re.escape(name)}[^,]*?\(pid (\d+)\)", self.printed())
        assert found, self.printed()
        return int(found[-1])


@pytest.fixture(scope="module")
def one_command_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # The tests' corpora, stores and outputs are under pytest's base folder: the jobs' roots.
    running = Stack(tmp_path_factory.mktemp("stack") / "home", tmp_path_factory.getbasetemp())
    try:
        running.wait_printed(r"sluice stack: server \(pid \d+\)")
        yield running
    finally:
        running.process.send_signal(signal.SIGTERM)  # as `kill PID`: the stack stops it all
        running.process.wait(120)
    for name in ("server", JOB_WORKER, SHARD_WORKER):  # nothing of it left running
        pid = running.pid(name)
        assert not Path(f"/proc/{pid}").exists() or _zombie(pid), f"{name} {pid} still runs"


def _zombie(pid: int) -> bool:
    return (Path(f"/proc/{pid}/stat").read_text().split()[2]) == "Z"


def submit_and_wait(running: Stack, root: Path, docs: int, *args: str) -> str:
    """`sluice submit --wait` of a fresh corpus: exit 0 only if the job completed."""
    write_corpus(root / "corpus", docs)
    url = f"sqlite:///{root}/store.db"
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", "submit", str(root / "corpus"), "--store", url,
         "--out", str(root / "out"), "--batch-size", "10", *args, "--wait"],
        env=running.env, cwd=REPO, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}\n{running.printed()}"
    job = done.stdout.split()[0]
    assert len(store.done_ids(store.open_store(url), job)) == docs
    return job


@pytest.mark.parametrize("child", [JOB_WORKER, "server"])
def test_stack_reports_and_restarts_a_killed_child(one_command_stack, tmp_path, child):
    running = one_command_stack
    pid = running.pid(child)
    os.kill(pid, signal.SIGKILL)
    reported = running.wait_printed(
        rf"{re.escape(child)}[^\n]*\(pid {pid}\) exited with exit code -9 "
        rf"\(killed by SIGKILL\); restarting it \(its log: [^)]+\.log\)")
    assert reported
    running.wait_printed(rf"{re.escape(child)}[^\n]*\(pid (?!{pid}\))\d+\) restarted")
    assert running.pid(child) != pid and running.process.poll() is None
    stack.wait_healthy(running.api, timeout_s=120)
    submit_and_wait(running, tmp_path, 20)  # a job submitted afterwards completes


def test_stack_leaves_shard_runs_to_the_workers_on_the_shards_queue(one_command_stack,
                                                                      tmp_path):
    """As the README says: one more worker on the `shards` queue (here on the same host)
    takes the shards the stack's shard worker (one at a time) leaves; the job worker takes
    none, so that the job's run never waits for a slot it holds itself."""
    running = one_command_stack
    extra_log = running.home / "extra-shard-worker.log"
    with extra_log.open("wb") as out:
        extra = subprocess.Popen(
            [stack.PREFECT, "worker", "start", "--pool", stack.POOL, "--work-queue", "shards",
             "--limit", "1", "--name", "extra-shards"],
            # the pool's command, `python -m flows.engine`, needs the venv's python on PATH
            env={**running.env, "PREFECT_WORKER_QUERY_SECONDS": "2",
                 "PATH": stack.run_path(running.env.get("PATH"))},
            cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    def online() -> list[str]:
        try:
            found = httpx.post(f"{running.api}/work_pools/{stack.POOL}/workers/filter",
                               json={}, timeout=30)
        except httpx.TimeoutException:  # the SQLite server's 60 s lock stall: ask again
            return []
        return [w["name"] for w in found.json()] if found.status_code == 200 else []

    try:
        stack.wait_for(online, lambda names: "extra-shards" in names, "the extra worker up")
        job = submit_and_wait(running, tmp_path, 60, "--shards", "2")
    finally:
        stack.stop(extra)
    body = {"flow_runs": {"tags": {"all_": [f"sluice-job:{job}", SHARD_TAG]}}}
    shards = httpx.post(f"{running.api}/flow_runs/filter", json=body, timeout=30).json()
    assert len(shards) == 2 and {r["work_queue_name"] for r in shards} == {"shards"}

    def took(log: Path, run: str) -> bool:
        # Two idle workers may both try a new run: the server lets one set it Pending and
        # the other logs that it aborted its submission.
        text = log.read_text(errors="replace")
        return (f"submitting flow run '{run}'" in text
                and f"Aborted submission of flow run '{run}'" not in text)

    job_log, shard_log = running.home / "worker.log", running.home / "shard-worker.log"
    assert took(job_log, job) and not any(took(job_log, r["id"]) for r in shards)
    by_extra = [r["id"] for r in shards if took(extra_log, r["id"])]
    by_stack = [r["id"] for r in shards if took(shard_log, r["id"])]
    assert len(by_extra) == 1 and len(by_stack) == 1, (by_extra, by_stack)


def test_stack_banner_names_the_sluice_command_and_its_workers(one_command_stack):
    printed = one_command_stack.printed()
    assert re.search(r"/sluice submit \S+/samples --wait", printed), printed
    assert "flows.cli" not in printed
    for name in ("server", JOB_WORKER, SHARD_WORKER):
        assert one_command_stack.pid(name) > 0
