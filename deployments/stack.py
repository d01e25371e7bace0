"""Bring up the whole local Sluice stack, in the foreground (Ctrl-C stops it):

    python -m deployments.stack              # server on 127.0.0.1:4200, PREFECT_HOME=.prefect
    python -m deployments.stack --port 4300 --home /tmp/prefect --ner-slots 4

It starts `prefect server start` on loopback, creates the `sluice-cpu` process pool from
deployments/sluice-cpu.json and the `sluice-ner` concurrency limit, deploys everything in
prefect.yaml, and starts one process worker. The tests and bench/jobs.py use the same functions.
PostgreSQL for the server: set PREFECT_API_DATABASE_CONNECTION_URL before starting.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

import httpx
import yaml

REPO = Path(__file__).resolve().parents[1]
POOL = "sluice-cpu"
GPU_POOL = "sluice-gpu"
GPU_POOL_TEMPLATE = REPO / "deployments" / "sluice-gpu.json"
POOL_TEMPLATE = REPO / "deployments" / "sluice-cpu.json"
NER_LIMIT = "sluice-ner"  # the name tasks/limits.py acquires
FLOW = "sluice-pipeline"
SHARD_QUEUE = "shards"
PREFECT = str(Path(sys.executable).with_name("prefect"))
T = TypeVar("T")
WORKER_POLL_S = "2"  # Prefect's default, 10 s, would add up to 10 s to every start and resume
HEARTBEAT_S = "30"  # a flow-run process says it is alive this often (Prefect's minimum)
CRASH_AFTER_S = 90  # three heartbeats missed: its process, or its machine, is gone
CRASH_DETECTOR = "sluice: crashed when heartbeats stop"
# The events that may follow a heartbeat: another one, or the run leaving Running on its own.
ALIVE_OR_ENDED = ["prefect.flow-run.heartbeat", *(f"prefect.flow-run.{state}" for state in (
    "Completed", "Failed", "Cancelled", "Cancelling", "Crashed", "Suspended", "Paused"))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stack_env(port: int, home: Path, ui: bool = True,
              base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of every process of a stack whose server listens on 127.0.0.1:`port`."""
    env = dict(os.environ if base is None else base)
    env.update({
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "true" if ui else "false",
        "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "100",
        "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_READ_BATCH_SIZE": "100",
        "PREFECT_WORKER_QUERY_SECONDS": WORKER_POLL_S,
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": HEARTBEAT_S,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
    })  # fmt: skip
    return env


def start_server(env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    port = env["PREFECT_SERVER_API_PORT"]
    return _spawn([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", port], env, log)


def wait_healthy(api_url: str, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{api_url}/health", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"no Prefect server answered at {api_url} within {timeout_s:.0f} s")


def create_pool(env: Mapping[str, str]) -> None:
    """Both pools: the GPU one exists even where no GPU worker polls it yet, so that its
    deployment can be created; its runs wait for a worker on a GPU machine."""
    for pool, template in ((POOL, POOL_TEMPLATE), (GPU_POOL, GPU_POOL_TEMPLATE)):
        prefect(env, "work-pool", "create", pool, "--type", "process",
                "--base-job-template", str(template), "--overwrite")
    # Where a sharded job's shard runs wait for workers (RunParams.shard_queue).
    prefect(env, "work-queue", "create", SHARD_QUEUE, "--pool", POOL, check=False)


def install_crash_detector(api: str, within_s: int = CRASH_AFTER_S) -> dict:
    """Prefect's own dead-run detection: an automation that marks a flow run Crashed when no
    heartbeat and no end of its run follows its last heartbeat within `within_s`. A worker
    killed with its flow-run process (a lost machine) otherwise leaves the run Running for
    ever; Crashed, `sluice resume` re-runs it. Replaces an older one of the same name."""
    found = httpx.post(f"{api}/automations/filter", timeout=30,
                       json={"automations": {"name": {"any_": [CRASH_DETECTOR]}}})
    found.raise_for_status()
    for old in found.json():
        httpx.delete(f"{api}/automations/{old['id']}", timeout=30).raise_for_status()
    body = {
        "name": CRASH_DETECTOR,
        "description": f"No heartbeat for {within_s} s: the run's process or machine is gone. "
                       "Installed by deployments/stack.py; `sluice resume JOB` re-runs it.",
        "enabled": True,
        "trigger": {
            "type": "event", "posture": "Proactive",
            "match": {"prefect.resource.id": "prefect.flow-run.*"},
            "after": ["prefect.flow-run.heartbeat"], "expect": ALIVE_OR_ENDED,
            "for_each": ["prefect.resource.id"], "threshold": 1, "within": within_s,
        },
        "actions": [{"type": "change-flow-run-state", "state": "CRASHED",
                     "message": f"no heartbeat for {within_s} s: its process or machine is "
                                "gone (sluice resume JOB re-runs it)"}],
    }  # fmt: skip
    created = httpx.post(f"{api}/automations/", json=body, timeout=30)
    created.raise_for_status()
    return created.json()


def size_ner_limit(env: Mapping[str, str], slots: int) -> None:
    """Create the NER limit, or give an existing one `slots` slots."""
    created = prefect(env, "gcl", "create", NER_LIMIT, "--limit", str(slots), check=False)
    if created.returncode != 0:
        prefect(env, "gcl", "update", NER_LIMIT, "--limit", str(slots))


def deploy(env: Mapping[str, str]) -> None:
    """`prefect deploy` each deployment of prefect.yaml, judged by the server, not the exit code:
    with fastapi 0.154, Prefect 3.8.8's deploy fails *after* creating a deployment (it sends
    limit=null to /workers/filter, answered 422), and `--all` would stop at the first one.

    A redeploy keeps each schedule switched on or off as the user left it (prefect.yaml ships
    them off), and the path parameters become absolute under this checkout, which is where the
    worker runs them and what a user of the UI's run form needs to see."""
    for flow, name in deployment_names():
        url = f"{env['PREFECT_API_URL']}/deployments/name/{flow}/{name}"
        before = httpx.get(url, timeout=30)
        flags = schedule_flags(before.json()) if before.status_code == 200 else {}
        done = prefect(env, "--no-prompt", "deploy", "--name", name, check=False)
        after = httpx.get(url, timeout=30)
        if after.status_code != 200:
            raise RuntimeError(f"prefect deploy --name {name} failed:\n{done.stdout}{done.stderr}")
        restore_schedule_flags(env["PREFECT_API_URL"], after.json(), flags)
        make_paths_absolute(env["PREFECT_API_URL"], after.json())


def _schedule_key(schedule: Mapping) -> str:
    # Schedules get new ids on every deploy: they are matched by what they say.
    return json.dumps(schedule["schedule"], sort_keys=True)


def schedule_flags(deployment: Mapping) -> dict[str, bool]:
    return {_schedule_key(s): bool(s["active"]) for s in deployment.get("schedules") or []}


def restore_schedule_flags(api: str, deployment: Mapping, flags: Mapping[str, bool]) -> None:
    for schedule in deployment.get("schedules") or []:
        wanted = flags.get(_schedule_key(schedule))
        if wanted is not None and wanted != schedule["active"]:
            answer = httpx.patch(f"{api}/deployments/{deployment['id']}/schedules/"
                                 f"{schedule['id']}", json={"active": wanted}, timeout=30)
            answer.raise_for_status()


PATH_PARAMETERS = ("source", "out")


def make_paths_absolute(api: str, deployment: Mapping) -> None:
    """Relative `source`/`out` (and a sqlite store's file) of the deployment's default
    parameters resolved under the checkout; a missing local source folder is created,
    so that the first scheduled run finds it (empty) instead of failing."""
    params = dict((deployment.get("parameters") or {}).get("params") or {})
    if not params:
        return
    for key in PATH_PARAMETERS:
        value = params.get(key)
        if value and "://" not in value and not Path(value).is_absolute():
            params[key] = str(REPO / value)
    store = params.get("store", "")
    if store.startswith("sqlite:///") and not store.startswith("sqlite:////"):
        params["store"] = f"sqlite:///{REPO / store.removeprefix('sqlite:///')}"
    inbox = Path(params.get("source", "s3://"))
    if "://" not in str(inbox) and not inbox.exists() and not inbox.suffix:  # a folder, not a file
        inbox.mkdir(parents=True)
    if params != deployment["parameters"]["params"]:
        answer = httpx.patch(f"{api}/deployments/{deployment['id']}",
                             json={"parameters": {**deployment["parameters"], "params": params}},
                             timeout=30)
        answer.raise_for_status()


FLOWS = {"flows/pipeline.py:pipeline": FLOW, "flows/ner_pool.py:ner_on_pool": "sluice-ner"}


def deployment_names() -> list[tuple[str, str]]:
    """(flow name, deployment name) of each deployment in prefect.yaml."""
    config = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
    return [(FLOWS[d["entrypoint"]], d["name"]) for d in config["deployments"]]


def start_worker(env: Mapping[str, str], log: Path, name: str = "sluice-cpu-1",
                 limit: int | None = None) -> subprocess.Popen[bytes]:
    command = [PREFECT, "worker", "start", "--pool", POOL, "--type", "process", "--name", name]
    if limit:
        command += ["--limit", str(limit)]
    return _spawn(command, env, log)


def prefect(env: Mapping[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([PREFECT, *args], env=dict(env), cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    if check and done.returncode != 0:
        raise RuntimeError(f"prefect {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, wait_s: float = 30) -> None:
    """Signal the process and its children (it leads its own session), then wait for it."""
    try:
        os.killpg(process.pid, sig)
        process.wait(wait_s)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_for(read: Callable[[], T], until: Callable[[T], bool], what: str,
             timeout_s: float = 240, every_s: float = 0.5) -> T:
    """The first value of `read()` that satisfies `until`; generous, for a loaded machine."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = read()
        if until(value):
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: still {value!r} after {timeout_s:.0f} s")
        time.sleep(every_s)


def flow_run_pids(flow_run_id: str) -> list[int]:
    """Pids of the local processes running this flow run: a worker passes them its id."""
    wanted = f"PREFECT__FLOW_RUN_ID={flow_run_id}".encode()
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and wanted in (proc / "environ").read_bytes().split(b"\0"):
                pids.append(int(proc.name))
        except OSError:
            continue  # gone meanwhile, or not ours
    return pids


def _spawn(command: list[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    # Its own session, so that stop() reaches its children; flow-run processes that a worker
    # starts lead sessions of their own.
    with log.open("ab") as out:
        return subprocess.Popen(command, env=dict(env), cwd=REPO, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def up(port: int, home: Path, ner_slots: int, ui: bool = True) -> tuple[subprocess.Popen, ...]:
    """Server, pool, limit, deployments and one worker; returns (server, worker)."""
    home.mkdir(parents=True, exist_ok=True)
    env = stack_env(port, home, ui=ui)
    server = start_server(env, home / "server.log")
    try:
        wait_healthy(env["PREFECT_API_URL"])
        create_pool(env)
        size_ner_limit(env, ner_slots)
        install_crash_detector(env["PREFECT_API_URL"])
        deploy(env)
        return server, start_worker(env, home / "worker.log")
    except BaseException:
        stop(server)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deployments.stack", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=4200)
    parser.add_argument("--home", type=Path, default=REPO / ".prefect", help="PREFECT_HOME")
    parser.add_argument("--ner-slots", type=int, default=os.cpu_count() or 1,
                        help="NER batches running at once, over all jobs (default: cores)")
    args = parser.parse_args(argv)
    server, worker = up(args.port, args.home.resolve(), args.ner_slots)
    api = f"http://127.0.0.1:{args.port}/api"
    print(f"Sluice stack up. UI: http://127.0.0.1:{args.port}   logs: {args.home}/*.log\n"
          f"In another shell:  export PREFECT_API_URL={api}\n"
          f"                   {Path(sys.executable).with_name('sluice')} submit "
          f"{REPO / 'samples'} --wait")
    try:
        while server.poll() is None and worker.poll() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        stop(worker)
        stop(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
