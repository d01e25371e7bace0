"""Child processes that die with the job's process, however it dies.

A worker gets the parent-death signal (SIGKILL) at its start: a SIGKILL of the job (the OOM
killer, `kill -9`, a crashed worker host) leaves no worker running on, not even one in the
middle of a document that never reads its pipe. The signal fires when the *thread* that
started the child ends, so every child is started from one long-lived thread of this process.

A job that is stopped (Prefect's cancel, a host shutdown: SIGTERM) kills its children at once
and starts no new one (`children_stop_on_sigterm`): a batch's NER share in flight, whose
worker the SIGTERM killed, would otherwise be replayed in a fresh worker while the run shuts
down, and the process would wait for that replay (a model load and the share) before it exits.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any


class Stopping(RuntimeError):
    """This process is stopping: it starts no child process any more."""


def child_env() -> dict[str, str]:
    """This environment with this interpreter's import path, so a `python -m sluice...` child
    imports the same Sluice (a checkout run with PYTHONPATH, a worktree) as its parent."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}


def spawn(args: list[str], **popen: Any) -> subprocess.Popen[bytes]:
    """Popen from one long-lived thread: the child's parent-death signal fires when the
    thread that started it ends, so a worker started from a short-lived thread (a warm-up, a
    task runner's) would be killed with that thread, not with this process."""
    if _STOPPING.is_set():
        raise Stopping("the job's process is stopping: no new worker process")
    with _SPAWN_LOCK:
        if _SPAWNER.get("thread") is None:
            thread = threading.Thread(target=_spawner, name="sluice-spawner", daemon=True)
            thread.start()
            _SPAWNER["thread"] = thread
    answer: queue.Queue[Any] = queue.Queue(1)
    _SPAWN_QUEUE.put((args, popen, answer))
    found = answer.get()
    if isinstance(found, BaseException):
        raise found
    with _CHILDREN_LOCK:
        _CHILDREN[:] = [child for child in _CHILDREN if child.poll() is None] + [found]
    if _STOPPING.is_set():  # stopped while it started: it goes with the others
        stop_children()
    return found


def stop_children() -> None:
    """Kill every child this process started, and refuse new ones from now on."""
    _STOPPING.set()
    with _CHILDREN_LOCK:
        children = list(_CHILDREN)
    for child in children:
        if child.poll() is None:
            child.kill()
    for child in children:
        try:
            child.wait(5)  # reaped: no zombie, and no pid reused under a live Popen
        except subprocess.TimeoutExpired:
            pass


@contextmanager
def children_stop_on_sigterm() -> Iterator[None]:
    """Around a job's body, in the main thread: a SIGTERM first kills the child processes,
    then goes on to the handler that was there (Prefect's, which ends the run). Entering it
    allows children again (a later run in the same process)."""
    _STOPPING.clear()
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread receives signals
        return
    previous = signal.getsignal(signal.SIGTERM)
    received: list[int] = []

    def pass_on(signum: int, frame: FrameType | None) -> None:
        if callable(previous):
            previous(signum, frame)
        elif previous != signal.SIG_IGN:  # the default: die of it, as without us
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)

    def stop_then_pass_on(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        stop_children()
        pass_on(signum, frame)

    signal.signal(signal.SIGTERM, stop_then_pass_on)
    try:
        yield
    except Exception:
        # After the stop, a stage whose worker was killed fails (`Stopping`, a lost worker),
        # and that error can reach here before, or in place of, the signal's own exception
        # (seen under load: the run ended Failed instead of Crashed). The run ends because it
        # was told to stop: end it the way the signal does.
        if received:
            pass_on(received[0], None)
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)


_SPAWN_QUEUE: queue.Queue[Any] = queue.Queue()
_SPAWN_LOCK = threading.Lock()
_SPAWNER: dict[str, threading.Thread] = {}
_CHILDREN: list[subprocess.Popen[bytes]] = []  # started here and not yet seen to end
_CHILDREN_LOCK = threading.RLock()  # re-entrant: a SIGTERM handler may run inside `spawn`
_STOPPING = threading.Event()


def _spawner() -> None:
    while True:
        args, popen, answer = _SPAWN_QUEUE.get()
        try:
            answer.put(subprocess.Popen(args, **popen))
        except BaseException as exc:  # noqa: BLE001 -- handed to the caller, raised there
            answer.put(exc)


def die_with(parent: int) -> None:
    """SIGKILL this worker when its parent dies, even by SIGKILL (no atexit, no pipe read
    while a document runs); Linux only, elsewhere the pipe's EOF ends an idle worker."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it died before the signal was set
        os._exit(1)
