"""Where Sluice keeps what it derives from installed packages (word arrays, the unit table),
and a way to build all of it ahead of the first job: `python -m sluice.caches`.

Each cache is keyed by the versions of what it is built from, written whole and renamed, and
rebuilt when missing or torn; nothing is downloaded. `make install` and the Dockerfile build
them, so that the first `sluice run` on a new machine does not pay for it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def cache_dir() -> Path:
    """$SLUICE_CACHE_DIR/sluice, else $XDG_CACHE_HOME/sluice, else ~/.cache/sluice."""
    base = os.environ.get("SLUICE_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    return Path(base) / "sluice" if base else Path.home() / ".cache" / "sluice"


def build_all() -> dict[str, float]:
    """Seconds each cache took to load or build."""
    from sluice.known_words import load_lexicon
    from sluice.units import unit_table
    from sluice.word_classes import is_stop_word

    took = {}
    for name, load in (("lexicon", load_lexicon), ("units", unit_table),
                       ("word classes", lambda: is_stop_word("the"))):
        started = time.perf_counter()
        load()
        took[name] = round(time.perf_counter() - started, 2)
    return took


if __name__ == "__main__":
    print(f"sluice caches in {cache_dir()}: {build_all()} s")
