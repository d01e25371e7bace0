"""Hold off SIGTERM over a write that must not be cut in two.

Prefect cancels a flow run by sending its process SIGTERM, which Prefect turns into an exception
at whatever line is running. Raised between the SQL commit and the JSONL write of a batch, it
would leave rows without their lines; deferred, the batch is written whole, then the run stops.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


@contextmanager
def termination_deferred() -> Iterator[None]:
    """A SIGTERM that arrives inside the block is delivered again when the block ends."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread receives signals, so there is nothing to defer
        return
    received: list[int] = []

    def remember(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)

    previous = signal.signal(signal.SIGTERM, remember)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        if received:
            os.kill(os.getpid(), signal.SIGTERM)
