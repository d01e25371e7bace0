"""Job-control latencies on a local stack: pause, resume, cancel and a dead worker (medians).

    PYTHONPATH=. .venv/bin/python bench/jobs.py [--runs 3] [--docs 300] [--batch-size 10]
        [--pause-after DOCS] [--warm-for SECONDS] [--no-dead-worker] [--corpus reuters]

Starts its own stack (server on a free loopback port, pool, NER limit, deployments, the job
worker and the shard worker, the crash-detecting automation, heartbeats every 30 s), then per
run submits a job over a corpus (generated: two short paragraphs per file; `--corpus reuters`:
the Reuters bodies of ../shared as .txt files), pauses it once `--pause-after` documents
(default three batches) are stored, resumes it, and cancels it later. Times:
- pause: request -> the run holds after the batch it was storing, its models loaded (its
  `job.paused` event; `--warm-for 0`: the run's process has exited, Suspended, its worker
  slot free);
- resume: request -> Running again, and -> its next batch stored (warm: the held run goes on;
  cold: a worker starts it again, and the resumed run passes the batches stored before by;
  there also the steps between: Pending, its process started, Running, its flow body entered);
- cancel: request -> the run's process has exited (Cancelled).
Then a second job loses its machine: once `--pause-after` documents are stored, its worker and
its flow-run process are killed together (SIGKILL both). Timed: kill -> the run shown Crashed
by the stack's automation (no heartbeat for 90 s). A new worker starts, `sluice resume JOB`
re-runs it, and the store, its ledger and the JSONL must hold every document exactly once.
Prints the medians of the runs, and the machine's load average before and after.
"""

from __future__ import annotations

import argparse
import itertools
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx

import flows  # noqa: F401 - Prefect defaults before Prefect is imported
from deployments import stack
from deployments.supervisor import Child
from flows import jobs
from scripts.make_corpus import write_corpus
from sluice.config import RunParams
from sluice.io import jsonl, store

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers_corpus import corpus_texts, reuters_bodies, write_folder  # noqa: E402

CRASH_WAIT_S = stack.CRASH_AFTER_S + 4 * int(stack.HEARTBEAT_S)


def start_job(root: Path, docs: int, batch_size: int, corpus: str = "generated"
              ) -> tuple[str, str]:
    """A job over a fresh corpus of `docs` documents: (job id, store URL)."""
    if corpus == "reuters":
        write_folder(corpus_texts(docs, reuters_bodies(docs)), root / "corpus")
    else:
        write_corpus(root / "corpus", docs)
    url = f"sqlite:///{root}/store.db"
    params = RunParams(source=str(root / "corpus"), store=url, out=str(root / "out"),
                       overrides={"batch_size": batch_size})
    return str(jobs.submit(params)), url


def stored_count(url: str, job: str) -> int:
    return len(store.done_ids(store.open_store(url), job))


def measure_control(root: Path, docs: int, batch_size: int, pause_after: int, api: str,
                    warm_s: float, corpus: str = "generated") -> dict:
    job, url = start_job(root, docs, batch_size, corpus)

    def stored() -> int:
        return stored_count(url, job)

    times = {"batch_s": batch_time(stored, pause_after)}
    start, wall = time.monotonic(), time.time()
    jobs.pause(job, warm_s=warm_s)
    if warm_s > 0:  # the run holds in its process: it says when, with an event
        held = stack.wait_for(lambda: paused_events(api, job), bool, "warm pause", every_s=0.1)
        times["pause_s"] = held[0] - wall
    else:  # suspended: its process exits
        stack.wait_for(lambda: stack.flow_run_pids(job), lambda pids: not pids, "pause",
                       every_s=0.1)
        times["pause_s"] = time.monotonic() - start
    landed = stored()
    time.sleep(1.0)  # paused: nothing more is stored
    if stored() != landed:
        raise AssertionError(f"job {job}: a batch stored while it was paused")

    start, wall = time.monotonic(), time.time()
    jobs.resume(job)
    stack.wait_for(lambda: jobs.status(job).state, lambda s: s == "Running", "resume",
                   every_s=0.1)
    times["resume_running_s"] = time.monotonic() - start
    stack.wait_for(stored, lambda n: n > landed, "first batch after resume", every_s=0.1)
    times["resume_batch_s"] = time.monotonic() - start
    if warm_s <= 0:  # where a cold resume's time goes
        times |= resume_steps(api, job, wall)

    stack.wait_for(stored, lambda n: n >= landed + 3 * batch_size, "batches", every_s=0.2)
    start = time.monotonic()
    jobs.cancel(job)
    stack.wait_for(lambda: stack.flow_run_pids(job), lambda pids: not pids, "cancel",
                   every_s=0.1)
    times["cancel_s"] = time.monotonic() - start
    stack.wait_for(lambda: jobs.status(job).state, lambda s: s == "Cancelled", "Cancelled")
    return times


def resume_steps(api: str, job: str, wall: float) -> dict[str, float]:
    """Seconds from the resume request (Unix time `wall`) to: the run Pending (a worker took
    it), its process started, Running (the engine has the flow loaded), the flow body entered
    (its `job.resumed` event)."""
    steps = {}
    with jobs.prefect_api() as client:
        for state in client.read_flow_run_states(job):
            moment = state.timestamp.timestamp() - wall
            if moment > 0 and state.type.value in ("PENDING", "RUNNING"):
                steps.setdefault(f"step_{state.type.value.lower()}_s", moment)
    started = [process_start(pid) for pid in stack.flow_run_pids(job)]
    if started:
        steps["step_process_s"] = min(started) - wall
    resumed = [t for t in job_events(api, job, "sluice.job.resumed") if t > wall]
    if resumed:
        steps["step_body_s"] = resumed[0] - wall
    return steps


def process_start(pid: int) -> float:
    """When process `pid` started, as a Unix time (from /proc: clock ticks since boot)."""
    ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    boot = time.time() - time.clock_gettime(time.CLOCK_BOOTTIME)  # /proc's btime is whole s
    return boot + ticks / os.sysconf("SC_CLK_TCK")


def paused_events(api: str, job: str) -> list[float]:
    return job_events(api, job, "sluice.job.paused")


def job_events(api: str, job: str, name: str) -> list[float]:
    """When the job's events `name` occurred (`job.paused`: the run said it holds), as Unix
    times."""
    body = {"filter": {"event": {"name": [name]},
                       "resource": {"id": [f"sluice.job.{job}"]}}, "limit": 5}
    found = httpx.post(f"{api}/events/filter", json=body, timeout=30)
    if found.status_code != 200:
        return []
    return sorted(datetime.fromisoformat(event["occurred"].replace("Z", "+00:00")).timestamp()
                  for event in found.json()["events"])


def batch_time(stored, pause_after: int) -> float:
    """Wait for `pause_after` stored documents; the median time between two batches stored
    in that stretch (the first batch, with the run's start, left out): one batch's time."""
    seen, stamps = stored(), []
    deadline = time.monotonic() + 1800
    while seen < pause_after:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{pause_after} documents not stored in 1800 s")
        time.sleep(0.1)
        now = stored()
        if now > seen:
            seen = now
            stamps.append(time.monotonic())
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    return statistics.median(gaps) if gaps else float("nan")


def model_load_s(env: dict[str, str]) -> float:
    """Loading a job's models in a fresh process as a resumed run does (the NER worker
    process with spaCy and the speller, the embedder), imports excluded."""
    code = ("import time; from sluice.config import load_config; "
            "from sluice.models import model_loaders; "
            "from sluice.ner_workers import pool_for, processes_for; "
            "from sluice.records import Document; cfg = load_config(None, {}); "
            "loads = model_loaders(cfg); t = time.monotonic(); "
            "[load() for load in loads]; "
            # the NER workers load in their own processes: ready when they answer
            "doc = Document(id='x', source='x', format='txt', text='IBM sold it.'); "
            "processes_for(cfg) and pool_for(cfg).annotate([doc], cfg); "
            "print(time.monotonic() - t)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=300, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def measure_dead_worker(root: Path, docs: int, batch_size: int, pause_after: int,
                        worker: Child, env: dict[str, str], corpus: str = "generated") -> dict:
    """Kill the job's worker and its flow-run process together; time until Crashed; then
    a new worker, `sluice resume`, and the exactly-once check."""
    job, url = start_job(root, docs, batch_size, corpus)
    stack.wait_for(lambda: stored_count(url, job), lambda n: n >= pause_after, "first batches",
                   every_s=0.2, timeout_s=1800)
    for pid in [worker.process.pid, *stack.flow_run_pids(job)]:  # the machine is lost
        os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    worker.process.wait(30)
    stack.wait_for(lambda: jobs.status(job).state, lambda s: s == "Crashed",
                   "the automation marking the run Crashed", timeout_s=CRASH_WAIT_S, every_s=0.5)
    crashed_s = time.monotonic() - killed
    worker.restart()  # the machine is back (or another one took its place)
    start = time.monotonic()
    resumed = subprocess.run([sys.executable, "-m", "flows.cli", "resume", job], env=env,
                             capture_output=True, text=True, timeout=180)
    if resumed.returncode != 0:
        raise RuntimeError(f"sluice resume {job} failed: {resumed.stderr}")
    stack.wait_for(lambda: jobs.status(job).state, lambda s: s == "Completed",
                   "resumed job completing", timeout_s=1800, every_s=0.5)
    completed_s = time.monotonic() - start
    check_exactly_once(url, root / "out", job, docs)
    return {"dead_crashed_s": crashed_s, "dead_resume_done_s": completed_s}


def check_exactly_once(url: str, out: Path, job: str, docs: int) -> None:
    engine = store.open_store(url)
    rows = [doc.id for doc in store.read_documents(engine)]
    lines = [doc.id for doc in jsonl.read_documents(out)]
    ledger = store.done_ids(engine, job)
    if not (len(rows) == len(set(rows)) == len(lines) == len(set(lines)) == docs
            and set(rows) == set(lines) == ledger):
        raise AssertionError(f"job {job}: {len(rows)} rows ({len(set(rows))} distinct), "
                             f"{len(lines)} JSONL lines, {len(ledger)} in the ledger; "
                             f"expected {docs} of each, once")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--pause-after", type=int, default=None,
                        help="documents stored before the pause or kill (default: 3 batches)")
    parser.add_argument("--warm-for", type=float, default=jobs.WARM_PAUSE_S,
                        help="`sluice pause --warm-for`: 0 suspends at once (the process "
                             "exits, and resume starts a new one)")
    parser.add_argument("--no-dead-worker", action="store_true",
                        help="skip the dead-worker measurement (2-3 minutes a run)")
    parser.add_argument("--corpus", choices=["generated", "reuters"], default="generated",
                        help="reuters: the first --docs Reuters bodies of ../shared")
    args = parser.parse_args(argv)
    pause_after = args.pause_after or 3 * args.batch_size
    load_before = os.getloadavg()
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with tempfile.TemporaryDirectory(prefix="sluice-bench-jobs-") as tmp:
        root = Path(tmp)
        port = stack.free_port()
        # The bench's corpora live under its temporary folder: the jobs' roots (sluice.confine).
        os.environ.update(stack.roots_env([root], [root]))
        children = stack.up(port, root / "prefect", ner_slots=2, ui=False, auth=False)
        api = f"http://127.0.0.1:{port}/api"
        env = {**os.environ, "PREFECT_API_URL": api, "PYTHONPATH": str(stack.REPO)}
        runs = []
        try:
            with temporary_settings(updates={PREFECT_API_URL: api}):
                for i in range(args.runs):
                    run = measure_control(root / f"run{i}", args.docs, args.batch_size,
                                          pause_after, api, args.warm_for, args.corpus)
                    run["models_s"] = model_load_s(env)
                    if not args.no_dead_worker:
                        run |= measure_dead_worker(root / f"dead{i}", args.docs,
                                                   args.batch_size, pause_after, children[1],
                                                   env, args.corpus)
                    print(f"run {i + 1}: " + ", ".join(f"{k} {v:.2f}" for k, v in run.items()),
                          flush=True)
                    runs.append(run)
        finally:
            for child in reversed(children):
                stack.stop(child.process)
    how = f"warm for {args.warm_for:g} s" if args.warm_for > 0 else "suspended (cold)"
    print(f"{args.docs} documents ({args.corpus}), batch size {args.batch_size}, paused "
          f"({how}) or killed after {pause_after} stored")
    print_table(runs)
    print_resume_target(runs)
    print("load average (1, 5, 15 min) before: {:.2f} {:.2f} {:.2f}".format(*load_before)
          + "   after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return 0


ROWS = [
    ("pause: request -> held after its batch (warm) or process exited (cold)", "pause_s"),
    ("resume: request -> Running again", "resume_running_s"),
    ("resume: request -> next batch stored", "resume_batch_s"),
    ("  cold resume: request -> Pending (a worker took the run)", "step_pending_s"),
    ("  cold resume: request -> flow-run process started", "step_process_s"),
    ("  cold resume: request -> Running (engine up, flow loaded)", "step_running_s"),
    ("  cold resume: request -> flow body entered (`job.resumed`)", "step_body_s"),
    ("cancel: request -> process exited (Cancelled)", "cancel_s"),
    ("one batch stored -> the next, before the pause", "batch_s"),
    ("a job's models loaded in a fresh process (imports excluded)", "models_s"),
    ("dead worker: kill -> run marked Crashed", "dead_crashed_s"),
    ("dead worker: `sluice resume` -> Completed, exactly once", "dead_resume_done_s"),
]


def print_table(runs: list[dict[str, float]]) -> None:
    print(f"| job control ({len(runs)} runs) | median s | min s | max s |")
    print("|---|---:|---:|---:|")
    for label, key in ROWS:
        values = [run[key] for run in runs if key in run]
        if values:
            print(f"| {label} | {statistics.median(values):.2f} | {min(values):.2f} | "
                  f"{max(values):.2f} |")


def print_resume_target(runs: list[dict[str, float]]) -> None:
    """Issue 12's target: resume -> next batch stored <= 2 x one batch's time + model load."""
    resume = statistics.median(run["resume_batch_s"] for run in runs)
    bound = statistics.median(2 * run["batch_s"] + run["models_s"] for run in runs)
    print(f"resume -> next batch stored {resume:.2f} s; 2 x one batch + model load "
          f"{bound:.2f} s: {'met' if resume <= bound else 'not met'} (medians)")


if __name__ == "__main__":
    sys.exit(main())
