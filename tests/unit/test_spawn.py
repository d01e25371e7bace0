"""sluice.spawn's stop on SIGTERM, in a fresh interpreter (signals reach the main thread only).
The handler that was there before stands in for Prefect's, which raises `TerminationSignal`."""

import subprocess
import sys

SCRIPT = """
import os, signal, sys
from sluice.spawn import Stopping, children_stop_on_sigterm, spawn

class Termination(BaseException):  # Prefect's TerminationSignal is a BaseException too
    pass

def prefects_handler(signum, frame):
    raise Termination(signum)

signal.signal(signal.SIGTERM, prefects_handler)
child = None
try:
    with children_stop_on_sigterm():
        child = spawn([sys.executable, "-c", "import time; time.sleep(60)"])
        try:
            os.kill(os.getpid(), signal.SIGTERM)
        except Termination:
            pass  # lost on the way, as a stage's own error handling may lose it
        spawn(["true"])  # a stage restarting its killed worker
except Termination:
    print("terminated", child.poll() is not None)
except Stopping:
    print("stopping")
"""


def test_spawn_a_stop_ends_the_run_as_the_signal_does_even_if_a_stage_fails_first():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          timeout=60)
    assert done.stdout.split() == ["terminated", "True"], done.stderr[-2000:]
