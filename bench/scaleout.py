"""Scale-out on Prefect work pools: the same job with 1 and with 2 workers.

Usage: python bench/scaleout.py [--mode shards|ner] [--docs 4000] [--batch 200] [--runs 3]
A real `prefect server start` on a loopback port; one worker for the jobs themselves (queue
`default`), and 1 or 2 workers that do the work, each one flow run at a time (`--limit 1`), as
one machine each:
- shards (default): the job runs with --shards 2; each shard is a run of the whole pipeline
  on every other batch, on queue `shards`.
- ner: the job runs with ner.mode=pool; its NER batches are runs of the sluice-ner/cpu
  deployment on queue `ner`, two in flight at once; parse, clean, embed and store stay in
  the job's own process.
Reports the job's wall time (median) and the 2-vs-1 ratio.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deployments import stack  # noqa: E402

REUTERS = stack.REPO.parent / "shared" / "corpora" / "reuters-21578.jsonl.gz"


def write_corpus(path: Path, n: int) -> None:
    with gzip.open(REUTERS, "rt", encoding="utf-8") as src, path.open("w") as dst:
        kept = 0
        for line in src:
            if json.loads(line).get("body", "").strip():
                dst.write(line)
                kept += 1
            if kept == n:
                break


def worker(env: dict, home: Path, name: str, queue: str, limit: int | None):
    command = [stack.PREFECT, "worker", "start", "--pool", stack.POOL, "--type", "process",
               "--name", name, "--work-queue", queue]
    command += ["--limit", str(limit)] if limit else []
    return stack._spawn(command, env, home / f"{name}.log")


def run_job(env: dict, corpus: Path, work: Path, batch: int, mode: str) -> float:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows import jobs
    from sluice.config import RunParams

    overrides = {"text_field": "body", "batch_size": batch}
    if mode == "ner":
        overrides |= {"ner.mode": "pool", "ner.deployment": "sluice-ner/cpu", "ner.parallel": 2}
    params = RunParams(source=str(corpus), store=f"sqlite:///{work}/s-{time.time_ns()}.db",
                       out=str(work / f"out-{time.time_ns()}"), overrides=overrides,
                       shards=2 if mode == "shards" else 1)
    with temporary_settings(updates={PREFECT_API_URL: env["PREFECT_API_URL"]}):
        job = jobs.submit(params)
        view = jobs.wait(job, timeout_s=1800)
        if view.state != "Completed":
            raise RuntimeError(f"job {job} ended {view.state}: {view.message}")
        with jobs.prefect_api() as client:
            run = client.read_flow_run(job)
    return (run.end_time - run.start_time).total_seconds()


def wait_polling(env: dict, name: str, since: datetime) -> None:
    """Until the worker has polled the server: a job started before would find one worker
    fewer for as long as the new one takes to start (5-10 s here), and measure that."""
    url = f"{env['PREFECT_API_URL']}/work_pools/{stack.POOL}/workers/filter"

    def polled() -> bool:
        found = httpx.post(url, json={}, timeout=30).json()
        return any(w["name"] == name and w["last_heartbeat_time"]
                   and datetime.fromisoformat(w["last_heartbeat_time"]) > since for w in found)

    stack.wait_for(polled, bool, f"worker {name} polling", timeout_s=120)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=("shards", "ner"), default="shards")
    ap.add_argument("--docs", type=int, default=4000)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        corpus = home / "reuters.jsonl"
        write_corpus(corpus, args.docs)
        env = stack.stack_env(stack.free_port(), home, ui=False)
        env.update(stack.roots_env([home], [home]))  # the jobs read and write under home
        server = stack.start_server(env, home / "server.log")
        procs = [server]
        try:
            stack.wait_healthy(env["PREFECT_API_URL"])
            stack.create_pool(env)
            stack.size_ner_limit(env, 2)
            stack.deploy(env)
            procs.append(worker(env, home, "jobs", "default", None))
            times = measure(env, home, corpus, args, procs)
        finally:
            for proc in reversed(procs):
                stack.stop(proc)
    report(times, args)


def measure(env, home, corpus, args, procs) -> dict[int, list[float]]:
    times: dict[int, list[float]] = {1: [], 2: []}
    queue = "shards" if args.mode == "shards" else "ner"
    workers = [worker(env, home, f"{queue}-1", queue, 1)]
    procs.append(workers[0])
    run_job(env, corpus, home, args.batch, args.mode)  # warm-up: first runs, OS caches
    for _ in range(args.runs):
        for count in (1, 2):  # alternate, so that machine noise falls on both
            while len(workers) < count:
                name, since = f"{queue}-{len(workers) + 1}", datetime.now(UTC)
                workers.append(worker(env, home, name, queue, 1))
                procs.append(workers[-1])
                wait_polling(env, name, since)
            while len(workers) > count:
                stack.stop(workers.pop())
            times[count].append(run_job(env, corpus, home, args.batch, args.mode))
            print(f"{count} {queue} worker(s): {times[count][-1]:.1f} s", flush=True)
    return times


def report(times: dict[int, list[float]], args) -> None:
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"\nmode {args.mode}: {args.docs} Reuters bodies, batches of {args.batch}, "
          f"medians of {args.runs} runs\n")
    print("| workers | job wall time (s) | docs/min | runs (s) |")
    print("|---:|---:|---:|---|")
    for k, v in times.items():
        print(f"| {k} | {med[k]:.1f} | {60 * args.docs / med[k]:,.0f} | "
              f"{', '.join(f'{x:.1f}' for x in v)} |")
    print(f"\nscaling, 2 workers vs 1: {med[1] / med[2]:.2f}x")


if __name__ == "__main__":
    main()
