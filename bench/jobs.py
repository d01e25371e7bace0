"""Job-control latencies on a local stack: pause, resume and cancel (medians of several runs).

    PYTHONPATH=. .venv/bin/python bench/jobs.py [--runs 3] [--docs 300] [--batch-size 10]
        [--pause-after DOCS]

Starts its own stack (server on a free loopback port, pool, NER limit, deployments, one worker),
then per run submits a job over a generated corpus, pauses it once `--pause-after` documents
(default three batches) are stored, resumes it, and cancels it later. Times:
- pause: request -> the run's process has exited (Suspended, its worker slot free);
- resume: request -> Running again (a worker picked it up), and -> its next batch stored (the
  resumed run passes the batches stored before by, so this grows little with --pause-after);
- cancel: request -> the run's process has exited (Cancelled).
Prints the medians of the runs, and the machine's load average before and after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import flows  # noqa: F401 - Prefect defaults before Prefect is imported
from deployments import stack
from flows import jobs
from scripts.make_corpus import write_corpus
from sluice.config import RunParams
from sluice.io import store


def measure_once(root: Path, docs: int, batch_size: int, pause_after: int) -> dict[str, float]:
    write_corpus(root / "corpus", docs)
    url = f"sqlite:///{root}/store.db"
    params = RunParams(source=str(root / "corpus"), store=url, out=str(root / "out"),
                       overrides={"batch_size": batch_size})
    job = str(jobs.submit(params))
    engine = store.open_store(url)

    def stored() -> int:
        return len(store.done_ids(engine, job))

    stack.wait_for(stored, lambda n: n >= pause_after, "first batches", every_s=0.2,
                   timeout_s=1800)
    times = {}
    start = time.monotonic()
    jobs.pause(job)
    stack.wait_for(lambda: stack.flow_run_pids(job), lambda pids: not pids, "pause", every_s=0.1)
    times["pause_s"] = time.monotonic() - start
    landed = stored()

    start = time.monotonic()
    jobs.resume(job)
    stack.wait_for(lambda: jobs.status(job).state, lambda s: s == "Running", "resume",
                   every_s=0.1)
    times["resume_running_s"] = time.monotonic() - start
    stack.wait_for(stored, lambda n: n > landed, "first batch after resume", every_s=0.1)
    times["resume_batch_s"] = time.monotonic() - start

    stack.wait_for(stored, lambda n: n >= landed + 3 * batch_size, "batches", every_s=0.2)
    start = time.monotonic()
    jobs.cancel(job)
    stack.wait_for(lambda: stack.flow_run_pids(job), lambda pids: not pids, "cancel",
                   every_s=0.1)
    times["cancel_s"] = time.monotonic() - start
    stack.wait_for(lambda: jobs.status(job).state, lambda s: s == "Cancelled", "Cancelled")
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--pause-after", type=int, default=None,
                        help="documents stored before the pause (default: 3 batches)")
    args = parser.parse_args(argv)
    pause_after = args.pause_after or 3 * args.batch_size
    load_before = os.getloadavg()
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with tempfile.TemporaryDirectory(prefix="sluice-bench-jobs-") as tmp:
        root = Path(tmp)
        port = stack.free_port()
        # The bench's corpora live under its temporary folder: the jobs' roots (sluice.confine).
        os.environ.update(stack.roots_env([root], [root]))
        server, worker = stack.up(port, root / "prefect", ner_slots=2, ui=False, auth=False)
        try:
            with temporary_settings(updates={PREFECT_API_URL: f"http://127.0.0.1:{port}/api"}):
                runs = [measure_once(root / f"run{i}", args.docs, args.batch_size, pause_after)
                        for i in range(args.runs)]
        finally:
            stack.stop(worker)
            stack.stop(server)
    print(f"{args.docs} documents, batch size {args.batch_size}, paused after "
          f"{pause_after} stored")
    print_table(runs)
    print("load average (1, 5, 15 min) before: {:.2f} {:.2f} {:.2f}".format(*load_before)
          + "   after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return 0


def print_table(runs: list[dict[str, float]]) -> None:
    rows = [
        ("pause: request -> process exited (Suspended)", "pause_s"),
        ("resume: request -> Running again", "resume_running_s"),
        ("resume: request -> next batch stored", "resume_batch_s"),
        ("cancel: request -> process exited (Cancelled)", "cancel_s"),
    ]
    print(f"| job control ({len(runs)} runs) | median s | min s | max s |")
    print("|---|---:|---:|---:|")
    for label, key in rows:
        values = [run[key] for run in runs]
        print(f"| {label} | {statistics.median(values):.2f} | {min(values):.2f} | "
              f"{max(values):.2f} |")


if __name__ == "__main__":
    sys.exit(main())
