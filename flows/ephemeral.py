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
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import sys
import tempfile
import time
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
SLOT_WAIT_S = 600  # longest wait for a start slot before starting anyway


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


@contextlib.contextmanager
def first_use_of_home() -> Iterator[None]:
    """Exclusive while a Prefect home is used for the first time by this Prefect version."""
    import prefect
    from prefect.settings import PREFECT_HOME

    home = Path(PREFECT_HOME.value()).expanduser()
    done = home / f".sluice-started-{prefect.__version__}"
    if done.exists() and (home / "prefect.db").exists():
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
