"""Child processes that die with the job's process, however it dies.

A worker gets the parent-death signal (SIGKILL) at its start: a SIGKILL of the job (the OOM
killer, `kill -9`, a crashed worker host) leaves no worker running on, not even one in the
middle of a document that never reads its pipe. The signal fires when the *thread* that
started the child ends, so every child is started from one long-lived thread of this process.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
from typing import Any


def spawn(args: list[str], **popen: Any) -> subprocess.Popen[bytes]:
    """Popen from one long-lived thread: the child's parent-death signal fires when the
    thread that started it ends, so a worker started from a short-lived thread (a warm-up, a
    task runner's) would be killed with that thread, not with this process."""
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
    return found


_SPAWN_QUEUE: queue.Queue[Any] = queue.Queue()
_SPAWN_LOCK = threading.Lock()
_SPAWNER: dict[str, threading.Thread] = {}


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
