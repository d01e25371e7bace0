"""Hand freed memory back to the operating system between batches.

A batch's temporary arrays (spaCy's activations, embeddings, SQL parameters) are freed by
Python, but glibc keeps the freed pages in its heaps, where fragmentation lets a long-running
worker's resident size creep up batch after batch. `malloc_trim` returns them.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import lru_cache


@lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def release_free_memory() -> bool:
    """Trim glibc's heaps; False where the C library has no malloc_trim (musl, macOS)."""
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True
