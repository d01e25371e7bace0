"""The temporary Prefect server of `sluice run`: it dies with the process that started it, and
concurrent starts on one machine take turns.

Prefect 3.8.8 starts it as `python -m uvicorn ...` (`SubprocessASGIServer._run_uvicorn_command`)
and stops it only from an atexit hook, which a SIGKILL or an unhandled SIGTERM never runs: the
server (about 270 MB) then lives on with parent PID 1. `install()` makes two changes:

- The server runs under a small bootstrap that watches its parent (a pidfd where the kernel has
  them, else a poll of getppid every 0.2 s) and terminates the server when the parent is gone.
  PR_SET_PDEATHSIG would be simpler but fires when the *thread* that forked exits, and Prefect
  may start the server from a short-lived worker thread.
- A start holds a lock on its Prefect home until the server answers, the first time that home
  is used (its database is created and migrated then: concurrent migrations of one SQLite file
  kill all but one server, whose clients then wait out the whole startup timeout), and one of
  `os.cpu_count()` machine-wide slots while it boots, so that ten starts at once do not starve
  each other's boot past the startup timeout. The wait for a lock is not part of that timeout.

`EarlyServer` starts that same server before this process imports Prefect (`sluice run`): the
server boots in its own process while this one imports Prefect and loads the models, instead of
after, which saves the seconds of the shorter of the two. It listens on a socket bound here and
handed over (`uvicorn --fd`), so its port is known at once and never taken by another process
meanwhile; its address is this process's PREFECT_API_URL from before Prefect's import, so Prefect
uses it as any server and this process never loads Prefect's server code.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import importlib.metadata
import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Run by the server's interpreter instead of `-m uvicorn`: argv[1] is the parent's pid.
BOOTSTRAP = """
import os, runpy, signal, sys, threading, time
parent = int(sys.argv.pop(1))
def wait_for_parent():
    try:
        fd = os.pidfd_open(parent)
    except (AttributeError, OSError):
        fd = None
    if fd is not None and os.getppid() == parent:
        import select
        select.select([fd], [], [])
    else:
        while os.getppid() == parent:
            time.sleep(0.2)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(5)
    os._exit(1)
threading.Thread(target=wait_for_parent, daemon=True).start()
sys.argv[0] = "uvicorn"
runpy.run_module("uvicorn", run_name="__main__", alter_sys=True)
"""
API_URL = "PREFECT_API_URL"
SLOT_WAIT_S = 600  # longest wait for a start slot before starting anyway
# What Prefect's SubprocessASGIServer sets for its server (no UI; ephemeral-mode settings).
# After a home's first start, the block types of Prefect and its installed collections are
# in its database. Prefect still imports every collection (prefect-aws, prefect-dask) at each
# start only to hash them for its memo of that registration: 1.4 CPU-seconds of a server's
# boot of about 4. A start that is not the first for these versions skips both.
REPEAT_START_ENV = {"PREFECT_API_BLOCKS_REGISTER_ON_START": "false",
                    "PREFECT_MEMOIZE_BLOCK_AUTO_REGISTRATION": "false"}
SERVER_ENV = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
              "PREFECT__SERVER_FINAL": "1"}


class _WatchedSubprocess:
    """Stands in for the `subprocess` module inside Prefect's server module: the uvicorn command
    runs under BOOTSTRAP; everything else is the real module."""

    def __getattr__(self, name: str) -> Any:
        return getattr(subprocess, name)

    @staticmethod
    def Popen(args: list[str], *rest: Any, **kwargs: Any) -> subprocess.Popen[Any]:  # noqa: N802
        if list(args[1:3]) == ["-m", "uvicorn"]:
            args = [args[0], "-c", BOOTSTRAP, str(os.getpid()), *args[3:]]
        return subprocess.Popen(args, *rest, **kwargs)


def install() -> None:
    """Patch Prefect's temporary server as described above; idempotent. Only for a process that
    will start one (no PREFECT_API_URL): importing the server module costs a second or two."""
    from prefect.settings import PREFECT_API_URL

    if PREFECT_API_URL.value():
        return
    from prefect.server.api import server

    if isinstance(server.subprocess, _WatchedSubprocess):
        return
    server.subprocess = _WatchedSubprocess()  # type: ignore[assignment]
    start = server.SubprocessASGIServer.start

    def start_in_turn(self: server.SubprocessASGIServer, timeout: int | None = None) -> None:
        if self.running:
            return
        with first_use_of_home(), start_slot():
            start(self, timeout)

    server.SubprocessASGIServer.start = start_in_turn  # type: ignore[method-assign]


class EarlyServer:
    """Prefect's temporary server, started in a thread before Prefect is imported here. Only
    where the environment names no API URL.

    Its address goes into this process's PREFECT_API_URL before Prefect is imported, so that
    Prefect talks to it as to any server and this process never imports Prefect's server
    module (about 1.7 CPU-seconds on the run's critical path). `adopt()` then checks, with
    Prefect's own settings sources, that nothing else (a profile, prefect.toml, .env) names a
    server; if one does, or this server did not start, the claim is withdrawn and Prefect
    does what it would have done without it."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.error: str | None = None
        self.home = _home_from_environment()
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self.port: int = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/api"
        self._server_env = {**os.environ, **SERVER_ENV}  # as Prefect's own: no API URL
        os.environ[API_URL] = self.url
        self._thread = threading.Thread(target=self._start, name="sluice-server", daemon=True)
        self._thread.start()

    def _start(self) -> None:
        try:
            version = _collections_version()
            if not home_is_new(self.home, version):
                self._server_env.update(REPEAT_START_ENV | self._server_env)  # user's wins
            with first_use_of_home(self.home, version), start_slot():
                self.process = self._spawn()
                self.error = _wait_healthy(self.process, self.port)
        except Exception as exc:  # noqa: BLE001 -- any failure: Prefect starts its own server
            self.error = f"{type(exc).__name__}: {exc}"

    def _spawn(self) -> subprocess.Popen[bytes]:
        with self._listener as listener:  # the server holds its own copy from here on
            prefect_dir = Path(importlib.util.find_spec("prefect").origin).parent  # type: ignore[arg-type, union-attr]
            args = [sys.executable, "-c", BOOTSTRAP, str(os.getpid()), "--app-dir",
                    str(prefect_dir.parent), "--factory", "prefect.server.api.server:create_app",
                    "--fd", str(listener.fileno()), "--log-level", "error", "--lifespan", "on"]
            return subprocess.Popen(args, env=self._server_env, pass_fds=(listener.fileno(),))

    def adopt(self) -> bool:
        """Wait for the server and keep it as this run's Prefect server (stopped at exit).
        False, with this server stopped and the claim withdrawn, where a Prefect setting names
        another server (or another Prefect home) or this server did not start."""
        self._thread.join()
        from prefect.logging import get_logger
        from prefect.settings import PREFECT_HOME

        elsewhere = _withdraw_claim(self.url)
        if Path(PREFECT_HOME.value()).expanduser() != self.home:  # a profile moved the home
            elsewhere = elsewhere or f"the Prefect home {PREFECT_HOME.value()}"
        if self.error or elsewhere:
            if self.error and not elsewhere:
                get_logger().warning("sluice: the early server did not start (%s); starting "
                                     "one now", self.error)
            self.stop()
            return False
        _claim(self.url)
        atexit.register(self._stop_at_exit)
        get_logger().info("Starting temporary server on http://127.0.0.1:%s", self.port)
        return True

    def _stop_at_exit(self) -> None:
        from prefect.logging import get_logger

        get_logger().info("Stopping temporary server on http://127.0.0.1:%s", self.port)
        self.stop()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.close()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextlib.contextmanager
def without_heartbeats() -> Iterator[None]:
    """No flow-run heartbeats for a run on this process's own temporary server: they serve an
    automation that marks a silent run Crashed, and no server outlives this process to run
    one. Prefect 3.8.8 sends them by default (every 180 s) from a thread that sleeps in 1 s
    steps, and the run's end waits for that thread: up to 1 s added to every `sluice run`."""
    from prefect.context import SettingsContext

    current = SettingsContext.get()
    if current is None:
        yield
        return
    flows = current.settings.flows.model_copy(update={"heartbeat_frequency": None})
    settings = current.settings.model_copy(update={"flows": flows})
    with SettingsContext(profile=current.profile, settings=settings):
        yield


def _withdraw_claim(claimed: str) -> str | None:
    """Take the claim out of the environment and return the API URL that Prefect's settings
    sources (profile, prefect.toml, pyproject.toml, .env) give without it, if any."""
    from prefect.context import refresh_global_settings_context
    from prefect.settings import PREFECT_API_URL

    if os.environ.get(API_URL) == claimed:
        del os.environ[API_URL]
    refresh_global_settings_context()  # Prefect read its settings at import, with the claim
    return PREFECT_API_URL.value()


def _claim(url: str) -> None:
    from prefect.context import refresh_global_settings_context

    os.environ[API_URL] = url  # child processes inherit it too
    refresh_global_settings_context()


def _home_from_environment() -> Path:
    return Path(os.environ.get("PREFECT_HOME", "~/.prefect")).expanduser()


def _wait_healthy(process: subprocess.Popen[bytes], port: int | None) -> str | None:
    """None once the server answers; else why not. The socket listens from the start, so a
    request waits in its queue until the server takes it."""
    limit = float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "20"))
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"the server exited with code {process.returncode}"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health",
                                        timeout=max(0.1, deadline - time.monotonic())) as answer:
                if answer.status == 200:
                    return None
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    return f"no answer from the server after {limit:.0f} s"


def _collections_version() -> str:
    """Prefect's version and its installed collections': a new one registers its blocks."""
    names = sorted(d.metadata["Name"].lower() for d in importlib.metadata.distributions()
                   if d.metadata["Name"] and d.metadata["Name"].lower().startswith("prefect"))
    return "-".join(f"{name}{importlib.metadata.version(name)}" for name in names)


def home_is_new(home: Path, version: str) -> bool:
    """Whether no server of this version has started on this Prefect home yet."""
    return not ((home / f".sluice-started-{version}").exists() and (home / "prefect.db").exists())


@contextlib.contextmanager
def first_use_of_home(home: Path | None = None, version: str | None = None) -> Iterator[None]:
    """Exclusive while a Prefect home is used for the first time by this Prefect version
    (default: Prefect's settings, which imports Prefect)."""
    if home is None or version is None:
        import prefect
        from prefect.settings import PREFECT_HOME

        home, version = Path(PREFECT_HOME.value()).expanduser(), prefect.__version__
    done = home / f".sluice-started-{version}"
    if not home_is_new(home, version):
        yield
        return
    home.mkdir(parents=True, exist_ok=True)
    with _locked(home / ".sluice-start.lock"):
        yield
        done.touch()


@contextlib.contextmanager
def start_slot() -> Iterator[None]:
    """One of os.cpu_count() machine-wide slots (flock: freed when its holder dies)."""
    folder = Path(tempfile.gettempdir()) / f"sluice-ephemeral-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    slots = [folder / f"slot-{n}.lock" for n in range(os.cpu_count() or 1)]
    deadline = time.monotonic() + SLOT_WAIT_S
    while time.monotonic() < deadline:
        for path in slots:
            with _locked(path, wait=False) as held:
                if held:
                    yield
                    return
        time.sleep(0.25)
    print("sluice: no free start slot after 10 min; starting anyway", file=sys.stderr)
    yield


@contextlib.contextmanager
def _locked(path: Path, wait: bool = True) -> Iterator[bool]:
    with open(path, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
