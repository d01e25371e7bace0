import ctypes.util
import sys

import pytest

from sluice.memory import release_free_memory


@pytest.mark.skipif(not sys.platform.startswith("linux") or not ctypes.util.find_library("c"),
                    reason="malloc_trim is glibc's")
def test_memory_release_finds_glibc_malloc_trim():
    junk = [bytes(1000) for _ in range(50_000)]
    del junk
    assert release_free_memory() is True
