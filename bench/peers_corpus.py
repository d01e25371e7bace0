"""The benchmark corpus of bench/peers.py and bench/scaling.py: Reuters bodies written as a
folder of .txt files and as one JSONL file, the same texts in both.

Runs with the standard library only, so that the peers' virtualenv can import it too.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

REUTERS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "reuters-21578.jsonl.gz"


def reuters_bodies(n: int | None = None, path: Path = REUTERS) -> list[str]:
    """The first n non-empty bodies (all 19,043 of them when n is None), in file order."""
    bodies: list[str] = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            body = json.loads(line).get("body") or ""
            if body.strip():
                bodies.append(body)
                if len(bodies) == n:
                    break
    return bodies


def corpus_texts(n: int, bodies: list[str]) -> list[str]:
    """n texts: the bodies in order, then again as often as needed. Sluice's ids are content
    hashes and it skips what it has stored unchanged, so every repeat must differ: pass k >= 1
    appends the line "Reference k-i." (i = the body's index), which no two documents share
    and which the boilerplate step (lines shared across a batch) cannot remove."""
    if not bodies:
        raise ValueError("no bodies to build a corpus from")
    texts = []
    for i in range(n):
        k, j = divmod(i, len(bodies))
        texts.append(bodies[j] if k == 0 else f"{bodies[j].rstrip()}\n\nReference {k}-{j}.\n")
    return texts


def write_folder(texts: list[str], folder: Path) -> Path:
    """One UTF-8 .txt file per text, in subfolders of 1,000 files (a user's folder tree)."""
    for i, text in enumerate(texts):
        sub = folder / f"part-{i // 1000:03d}"
        if i % 1000 == 0:
            sub.mkdir(parents=True, exist_ok=True)
        (sub / f"reuters-{i:06d}.txt").write_text(text, encoding="utf-8")
    return folder


def write_jsonl(texts: list[str], path: Path) -> Path:
    """One record per line, the text under "text" (Sluice's default text_field)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for i, text in enumerate(texts):
            fh.write(json.dumps({"id": f"reuters-{i:06d}", "text": text}) + "\n")
    return path


def read_folder(folder: Path) -> list[str]:
    """The texts of a folder written by write_folder, in name order."""
    return [p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.txt"))]
