"""Keep the stack's processes alive: a child that dies (killed, out of memory, a crash) is
reported with its exit code and started again, instead of taking the stack down with it.

The server comes first: when it died, it is back and answering before a worker is looked at,
so that a worker that gave up on the missing server is restarted against the new one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence

MAX_RESTARTS = 5  # of one child within RESTART_WINDOW_S: it cannot stay up, so the stack stops
RESTART_WINDOW_S = 300.0


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


class Child:
    """One process of the stack: how to start it, and how to tell it is ready (the server's
    health check); `log` is where its output goes, named in reports."""

    def __init__(self, name: str, start: Callable[[], subprocess.Popen[bytes]], log: str,
                 ready: Callable[[], None] | None = None) -> None:
        self.name, self.log, self._start, self._ready = name, log, start, ready
        self.restarts: list[float] = []
        self.process = start()

    def restart(self) -> None:
        self.process = self._start()
        if self._ready is not None:
            self._ready()

    def describe(self) -> str:
        return f"{self.name} (pid {self.process.pid})"


def exit_reason(code: int) -> str:
    if code < 0:
        try:
            return f"exit code {code} (killed by {signal.Signals(-code).name})"
        except ValueError:
            return f"exit code {code}"
    return f"exit code {code}"


def supervise(children: Sequence[Child], say: Callable[[str], None],
              every_s: float = 1.0) -> int:
    """Watch the children until interrupted; restart each that exits. Returns 1 when one died
    more than MAX_RESTARTS times within RESTART_WINDOW_S (a port taken, a broken setup)."""
    while True:
        for child in children:
            code = child.process.poll()
            if code is None:
                continue
            say(f"sluice stack: {child.describe()} exited with {exit_reason(code)}; "
                f"restarting it (its log: {child.log})")
            stop(child.process, signal.SIGKILL, wait_s=10)  # what it left in its group
            now = time.monotonic()
            child.restarts = [t for t in child.restarts if now - t < RESTART_WINDOW_S] + [now]
            if len(child.restarts) > MAX_RESTARTS:
                say(f"sluice stack: {child.name} died {len(child.restarts)} times within "
                    f"{RESTART_WINDOW_S:.0f} s; stopping the stack")
                return 1
            child.restart()
            say(f"sluice stack: {child.describe()} restarted")
        time.sleep(every_s)
