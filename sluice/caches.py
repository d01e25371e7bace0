"""Where Sluice keeps what it derives from installed packages (word arrays, the unit table),
and a way to build all of it ahead of the first job: `python -m sluice.caches`.

Each cache is keyed by the versions of what it is built from, written whole and renamed, and
rebuilt when missing or torn; nothing is downloaded. `make install` and the Dockerfile build
them, so that the first `sluice run` on a new machine does not pay for it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def cache_dir() -> Path:
    """$SLUICE_CACHE_DIR/sluice, else $XDG_CACHE_HOME/sluice, else ~/.cache/sluice."""
    base = os.environ.get("SLUICE_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    return Path(base) / "sluice" if base else Path.home() / ".cache" / "sluice"


def cached_json(name: str, key: str, build: Callable[[], Any]) -> Any:
    """What `build` returns, kept as `name-key.json` in the cache folder: read from there
    when present (a torn or missing file is built again), else built and written whole and
    renamed, so a process starting alongside never reads half a file. A read-only home only
    costs the next process the build again."""
    path = cache_dir() / f"{name}-{key}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        pass
    value = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(value))
        partial.replace(path)
    except OSError:
        pass
    return value


def build_missing_apart(timeout_s: float = 300.0) -> bool:
    """Build missing caches in a short-lived process of their own and wait for it. Workers
    that find the lexicon missing each build it at once, and its build peaks at about 500 MB:
    two NER workers in a fresh HOME took bench/hostile.py's job to 1,267 MB, against 992 MB
    with the cache there. A finished process gives all of its memory back. False when the
    build failed or timed out: the workers then build as before."""
    from sluice.known_words import lexicon_path
    from sluice.spawn import child_env, spawn

    if lexicon_path().exists():
        return True
    proc = spawn([sys.executable, "-m", "sluice.caches"], env=child_env(), stdin=subprocess.DEVNULL,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return proc.wait(timeout_s) == 0 and lexicon_path().exists()
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return False


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
