"""Bring up the whole local Sluice stack, in the foreground (Ctrl-C stops it):

    python -m deployments.stack              # server on 127.0.0.1:4200, PREFECT_HOME=.prefect
    python -m deployments.stack --port 4300 --home /tmp/prefect --ner-slots 4
    python -m deployments.stack --host 0.0.0.0   # reachable from other machines

It starts `prefect server start` on loopback, creates the `sluice-cpu` process pool from
deployments/sluice-cpu.json and the `sluice-ner` concurrency limit, deploys everything in
prefect.yaml, and starts one process worker. The tests and bench/jobs.py use the same functions.
PostgreSQL for the server: set PREFECT_API_DATABASE_CONNECTION_URL before starting.

The server asks for Prefect's basic auth and a CSRF token: the stack generates the secret once
(HOME/api-auth, mode 0600) and gives it to its worker; `sluice` commands need it in
PREFECT_API_AUTH_STRING. Jobs read only under SLUICE_SOURCE_ROOTS (default data/ and samples/
of this checkout) and write SQLite stores and JSONL only under SLUICE_OUTPUT_ROOTS (data/).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
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


LOOPBACK = ("127.0.0.1", "localhost", "::1")
AUTH_FILE = "api-auth"  # under the stack's home: user:password for Prefect's basic auth
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
    })  # fmt: skip
    return env


def auth_secret(home: Path) -> str:
    """The stack's `user:password` for Prefect's basic auth: generated once, then read from
    HOME/api-auth, a file only its owner can read."""
    path = home / AUTH_FILE
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(f"sluice:{secrets.token_urlsafe(32)}\n")
    return path.read_text(encoding="utf-8").strip()


def auth_env(secret: str) -> dict[str, str]:
    """Basic auth and CSRF protection on: the server asks, the clients (Prefect's and the
    `sluice` commands, which use Prefect's client) answer."""
    return {"PREFECT_SERVER_API_AUTH_STRING": secret, "PREFECT_API_AUTH_STRING": secret,
            "PREFECT_SERVER_CSRF_PROTECTION_ENABLED": "true",
            "PREFECT_CLIENT_CSRF_SUPPORT_ENABLED": "true"}


def roots_env(source: Sequence[Path], output: Sequence[Path]) -> dict[str, str]:
    """Where the stack's jobs may read and write (sluice.confine)."""
    return {"SLUICE_SOURCE_ROOTS": os.pathsep.join(str(p) for p in source),
            "SLUICE_OUTPUT_ROOTS": os.pathsep.join(str(p) for p in output)}


def default_roots() -> dict[str, str]:
    return roots_env([REPO / "data", REPO / "samples"], [REPO / "data"])


def api_client(env: Mapping[str, str] | str) -> httpx.Client:
    """An HTTP client of the stack's API, with its basic auth and, where the server wants one,
    a CSRF token (what Prefect's own client does)."""
    env = {"PREFECT_API_URL": env} if isinstance(env, str) else env
    secret = env.get("PREFECT_API_AUTH_STRING")
    auth = tuple(secret.split(":", 1)) if secret else None
    name = f"sluice-stack-{secrets.token_hex(8)}"
    token = httpx.get(f"{env['PREFECT_API_URL']}/csrf-token", params={"client": name}, auth=auth,
                      timeout=30)
    headers = {}
    if token.status_code == 200:  # 422: CSRF protection is off
        headers = {"Prefect-Csrf-Token": token.json()["token"], "Prefect-Csrf-Client": name}
    return httpx.Client(base_url=env["PREFECT_API_URL"] + "/", auth=auth, headers=headers,
                        timeout=30)


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
    # Where a sharded job's shard runs wait for workers (RunParams.shard_queue).
    prefect(env, "work-queue", "create", SHARD_QUEUE, "--pool", POOL, check=False)


def install_crash_detector(api: str | Mapping[str, str], within_s: int = CRASH_AFTER_S) -> dict:
    """Prefect's own dead-run detection: an automation that marks a flow run Crashed when no
    heartbeat and no end of its run follows its last heartbeat within `within_s`. A worker
    killed with its flow-run process (a lost machine) otherwise leaves the run Running for
    ever; Crashed, `sluice resume` re-runs it. Replaces an older one of the same name.
    `api`: the API URL, or the stack's environment (its auth)."""
    with api_client(api) as client:
        return _install_crash_detector(client, within_s)


def _install_crash_detector(client: httpx.Client, within_s: int) -> dict:
    found = client.post("automations/filter",
                        json={"automations": {"name": {"any_": [CRASH_DETECTOR]}}})
    found.raise_for_status()
    for old in found.json():
        client.delete(f"automations/{old['id']}").raise_for_status()
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
    created = client.post("automations/", json=body)
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
            make_paths_absolute(client, after.json())


def _schedule_key(schedule: Mapping) -> str:
    # Schedules get new ids on every deploy: they are matched by what they say.
    return json.dumps(schedule["schedule"], sort_keys=True)


def schedule_flags(deployment: Mapping) -> dict[str, bool]:
    return {_schedule_key(s): bool(s["active"]) for s in deployment.get("schedules") or []}


def restore_schedule_flags(client: httpx.Client, deployment: Mapping,
                           flags: Mapping[str, bool]) -> None:
    for schedule in deployment.get("schedules") or []:
        wanted = flags.get(_schedule_key(schedule))
        if wanted is not None and wanted != schedule["active"]:
            answer = client.patch(f"deployments/{deployment['id']}/schedules/{schedule['id']}",
                                  json={"active": wanted})
            answer.raise_for_status()


PATH_PARAMETERS = ("source", "out")


def make_paths_absolute(client: httpx.Client, deployment: Mapping) -> None:
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
        answer = client.patch(f"deployments/{deployment['id']}",
                              json={"parameters": {**deployment["parameters"], "params": params}})
        answer.raise_for_status()


FLOWS = {"flows/pipeline.py:pipeline": FLOW, "flows/ner_pool.py:ner_on_pool": "sluice-ner"}


def deployment_names() -> list[tuple[str, str]]:
    """(flow name, deployment name) of each deployment in prefect.yaml."""
    config = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
    return [(FLOWS[d["entrypoint"]], d["name"]) for d in config["deployments"]]


def start_worker(env: Mapping[str, str], log: Path, name: str = "sluice-cpu-1",
                 limit: int | None = None) -> subprocess.Popen[bytes]:
    """A process worker; its flow runs inherit its environment (the pool's job template lets
    no run set one), with numpy/BLAS kept to one thread per run unless `env` says otherwise,
    so that several jobs share the cores."""
    command = [PREFECT, "worker", "start", "--pool", POOL, "--type", "process", "--name", name]
    if limit:
        command += ["--limit", str(limit)]
    return _spawn(command, {**THREAD_ENV, **env}, log)


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


def up(port: int, home: Path, ner_slots: int, ui: bool = True, host: str = "127.0.0.1",
       auth: bool = True) -> tuple[subprocess.Popen, ...]:
    """Server, pool, limit, deployments and one worker; returns (server, worker). With `auth`
    (the default) the server asks for the secret of `auth_secret(home)` and a CSRF token.
    Roots: SLUICE_SOURCE_ROOTS / SLUICE_OUTPUT_ROOTS as set, else `default_roots()`."""
    home.mkdir(parents=True, exist_ok=True)
    env = {**default_roots(), **stack_env(port, home, ui=ui, host=host)}
    if auth:
        env.update(auth_env(auth_secret(home)))
    server = start_server(env, home / "server.log")
    try:
        wait_healthy(env["PREFECT_API_URL"])
        create_pool(env)
        size_ner_limit(env, ner_slots)
        install_crash_detector(env)
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
    server, worker = up(args.port, home, args.ner_slots, host=args.host, auth=not args.no_auth)
    print(banner(args.port, home, auth=not args.no_auth))
    try:
        while server.poll() is None and worker.poll() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        stop(worker)
        stop(server)
    return 0


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
