"""Bring up the whole local Sluice stack, in the foreground (Ctrl-C stops it):

    python -m deployments.stack              # server on 127.0.0.1:4200, PREFECT_HOME=.prefect
    python -m deployments.stack --port 4300 --home /tmp/prefect --ner-slots 4
    python -m deployments.stack --host 0.0.0.0   # reachable from other machines

It starts `prefect server start` on loopback, creates the `sluice-cpu` process pool from
deployments/sluice-cpu.json and the `sluice-ner` concurrency limit, deploys everything in
prefect.yaml, and starts two process workers: `sluice-cpu-1` on the pool's `default` and `ner`
queues (jobs, NER runs), `sluice-shards-1` on its `shards` queue, one shard at a time (more
workers on `shards`, on any host, take the other shards of a job). A child that dies (server or
worker) is reported with its exit code and restarted. The tests and bench/jobs.py use the same
functions.
PostgreSQL for the server: set PREFECT_API_DATABASE_CONNECTION_URL before starting.

The server asks for Prefect's basic auth and a CSRF token: the stack generates the secret once
(HOME/api-auth, mode 0600) and gives it to its worker; `sluice` commands need it in
PREFECT_API_AUTH_STRING. Jobs read only under SLUICE_SOURCE_ROOTS (default data/ and samples/
of this checkout) and write SQLite stores and JSONL only under SLUICE_OUTPUT_ROOTS (data/).
"""

from __future__ import annotations

import argparse
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

from deployments.access import AUTH_FILE as AUTH_FILE
from deployments.access import LOOPBACK, auth_env, auth_secret, roots_env
from deployments.access import api_client as api_client
from deployments.automations import CRASH_AFTER_S as CRASH_AFTER_S
from deployments.automations import install_crash_detector
from deployments.schedules import make_paths_absolute, restore_schedule_flags, schedule_flags
from deployments.supervisor import Child, supervise
from deployments.supervisor import stop as stop

REPO = Path(__file__).resolve().parents[1]
POOL = "sluice-cpu"
GPU_POOL = "sluice-gpu"
GPU_POOL_TEMPLATE = REPO / "deployments" / "sluice-gpu.json"
POOL_TEMPLATE = REPO / "deployments" / "sluice-cpu.json"
NER_LIMIT = "sluice-ner"  # the name tasks/limits.py acquires
FLOW = "sluice-pipeline"
SHARD_QUEUE = "shards"  # tasks/shards.py sends shard runs there
JOB_QUEUES = ("default", "ner")  # job runs, and NER runs of the `cpu` deployment
PREFECT = str(Path(sys.executable).with_name("prefect"))
T = TypeVar("T")
# Prefect's default, 10 s, would add up to 10 s to every start and resume; 1 s costs the idle
# server 6.7 % of a core (2 s: 4.6 %, 0.5 s: 11.4 %)
WORKER_POLL_S = "1"
HEARTBEAT_S = "30"  # a flow-run process says it is alive this often (Prefect's minimum)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def stack_env(port: int, home: Path, ui: bool = True,
              base: Mapping[str, str] | None = None, host: str = "127.0.0.1") -> dict[str, str]:
    """The environment of every process of a stack whose server listens on `host`:`port`
    (loopback unless told otherwise); no auth and no path roots: see auth_env, roots_env."""
    env = dict(os.environ if base is None else base)
    client_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    env.update({
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": f"http://{client_host}:{port}/api",
        "PREFECT_SERVER_API_HOST": host,
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "true" if ui else "false",
        "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "100",
        "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_READ_BATCH_SIZE": "100",
        "PREFECT_WORKER_QUERY_SECONDS": WORKER_POLL_S,
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": HEARTBEAT_S,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
        "PATH": run_path(env.get("PATH")),
    })  # fmt: skip
    return env


def run_path(path: str | None) -> str:
    """`path` with this interpreter's folder first: the pool's command, `python -m
    flows.engine`, is found on the worker's PATH and must be the Python that has Sluice."""
    here = str(Path(sys.executable).parent)
    return os.pathsep.join([here, *(p for p in (path or os.defpath).split(os.pathsep)
                                    if p and p != here)])


def default_roots() -> dict[str, str]:
    return roots_env([REPO / "data", REPO / "samples"], [REPO / "data"])


def start_server(env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    port, host = env["PREFECT_SERVER_API_PORT"], env.get("PREFECT_SERVER_API_HOST", "127.0.0.1")
    if host not in LOOPBACK and not env.get("PREFECT_SERVER_API_AUTH_STRING"):
        raise ValueError(f"refusing to bind the server to {host} without authentication")
    return _spawn([PREFECT, "server", "start", "--host", host, "--port", port], env, log)


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
    # Where a sharded job's shard runs wait for workers (tasks/shards.py), and where the `cpu`
    # NER deployment's runs do: every queue a worker of the stack polls exists before it polls.
    for queue in (SHARD_QUEUE, *JOB_QUEUES[1:]):
        prefect(env, "work-queue", "create", queue, "--pool", POOL, check=False)


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
    with api_client(env) as client:
        for flow, name in deployment_names():
            url = f"deployments/name/{flow}/{name}"
            before = client.get(url)
            flags = schedule_flags(before.json()) if before.status_code == 200 else {}
            done = prefect(env, "--no-prompt", "deploy", "--name", name, check=False)
            after = client.get(url)
            if after.status_code != 200:
                raise RuntimeError(f"prefect deploy --name {name} failed:\n{done.stdout}"
                                   f"{done.stderr}")
            restore_schedule_flags(client, after.json(), flags)
            make_paths_absolute(client, after.json(), REPO)


FLOWS = {"flows/pipeline.py:pipeline": FLOW, "flows/ner_pool.py:ner_on_pool": "sluice-ner"}


def deployment_names() -> list[tuple[str, str]]:
    """(flow name, deployment name) of each deployment in prefect.yaml."""
    config = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
    return [(FLOWS[d["entrypoint"]], d["name"]) for d in config["deployments"]]


def start_worker(env: Mapping[str, str], log: Path, name: str = "sluice-cpu-1",
                 limit: int | None = None,
                 queues: tuple[str, ...] = JOB_QUEUES) -> subprocess.Popen[bytes]:
    """A process worker polling `queues` of the pool (not every queue: a job's run, which
    waits for its shards, must not take the slot a shard needs, and workers on the `shards`
    queue must get the shards); its flow runs inherit its environment (the pool's job
    template lets no run set one), with numpy/BLAS kept to one thread per run unless `env`
    says otherwise, so that several jobs share the cores."""
    command = [PREFECT, "worker", "start", "--pool", POOL, "--type", "process", "--name", name]
    for queue in queues:
        command += ["--work-queue", queue]
    if limit:
        command += ["--limit", str(limit)]
    return _spawn(command, {**THREAD_ENV, **env}, log)


def prefect(env: Mapping[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([PREFECT, *args], env=dict(env), cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    if check and done.returncode != 0:
        raise RuntimeError(f"prefect {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


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


def up(port: int, home: Path, ner_slots: int, ui: bool = True, host: str = "127.0.0.1",
       auth: bool = True, shard_slots: int = 1) -> list[Child]:
    """Server, pools, limit, deployments, and the workers: the job worker on JOB_QUEUES and
    a shard worker on SHARD_QUEUE running `shard_slots` shards at once; returns the children
    (server first). With `auth` (the default) the server asks for the secret of
    `auth_secret(home)` and a CSRF token. Roots: SLUICE_SOURCE_ROOTS / SLUICE_OUTPUT_ROOTS
    as set, else `default_roots()`."""
    home.mkdir(parents=True, exist_ok=True)
    env = {**default_roots(), **stack_env(port, home, ui=ui, host=host)}
    if auth:
        env.update(auth_env(auth_secret(home)))
    server = Child("server", lambda: start_server(env, home / "server.log"),
                   str(home / "server.log"), ready=lambda: wait_healthy(env["PREFECT_API_URL"]))
    try:
        wait_healthy(env["PREFECT_API_URL"])
        create_pool(env)
        size_ner_limit(env, ner_slots)
        install_crash_detector(env)
        deploy(env)
        return [server, *workers(env, home, shard_slots)]
    except BaseException:
        stop(server.process)
        raise


def workers(env: Mapping[str, str], home: Path, shard_slots: int) -> list[Child]:
    jobs_log, shards_log = home / "worker.log", home / "shard-worker.log"
    return [Child("worker sluice-cpu-1 on queues default and ner",
                  lambda: start_worker(env, jobs_log), str(jobs_log)),
            Child("worker sluice-shards-1 on queue shards",
                  lambda: start_worker(env, shards_log, "sluice-shards-1", limit=shard_slots,
                                       queues=(SHARD_QUEUE,)), str(shards_log))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deployments.stack", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=4200)
    parser.add_argument("--home", type=Path, default=REPO / ".prefect", help="PREFECT_HOME")
    parser.add_argument("--ner-slots", type=int, default=os.cpu_count() or 1,
                        help="NER batches running at once, over all jobs (default: cores)")
    parser.add_argument("--shard-slots", type=int, default=1,
                        help="shards of sharded jobs the stack's shard worker runs at once "
                             "(default 1; more workers on the `shards` queue take the others)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address the server binds (default loopback; 0.0.0.0: every "
                             "interface, which needs the auth that is on by default)")
    parser.add_argument("--no-auth", action="store_true",
                        help="no basic auth and no CSRF check: refused unless bound to loopback")
    args = parser.parse_args(argv)
    if args.no_auth and args.host not in LOOPBACK:
        parser.error(f"--no-auth with --host {args.host}: anyone who reaches the port could "
                     "run commands on the worker")
    home = args.home.resolve()
    # `kill PID` stops the stack as Ctrl-C does, children included.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    children = up(args.port, home, args.ner_slots, host=args.host, auth=not args.no_auth,
                  shard_slots=args.shard_slots)
    say(banner(args.port, home, auth=not args.no_auth))
    say("sluice stack: " + ", ".join(child.describe() for child in children))
    code = 0
    try:
        code = supervise(children, say)
    except KeyboardInterrupt:
        pass
    finally:
        for child in reversed(children):
            stop(child.process)
    return code


def say(line: str) -> None:
    print(line, flush=True)


def banner(port: int, home: Path, auth: bool) -> str:
    exports = [f"export PREFECT_API_URL=http://127.0.0.1:{port}/api"]
    if auth:
        exports.append(f'export PREFECT_API_AUTH_STRING="$(cat {home / AUTH_FILE})"')
    shell = "\n                   ".join(exports)
    roots = {**default_roots(), **{k: v for k, v in os.environ.items() if k.endswith("_ROOTS")}}
    return (f"Sluice stack up. UI: http://127.0.0.1:{port}   logs: {home}/*.log\n"
            + (f"UI login: the contents of {home / AUTH_FILE} (user:password)\n" if auth else "")
            + f"In another shell:  {shell}\n"
            f"                   {Path(sys.executable).with_name('sluice')} submit "
            f"{REPO / 'samples'} --wait\n"
            f"Jobs read under {roots['SLUICE_SOURCE_ROOTS']} and write under "
            f"{roots['SLUICE_OUTPUT_ROOTS']}")


if __name__ == "__main__":
    sys.exit(main())
