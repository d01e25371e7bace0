"""Repeated-line boilerplate: headers and footers shared by many documents of a batch,
page headers repeated inside one document, and sign-offs such as Reuters' "Reuter"."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence


def repeated_edge_lines(texts: Sequence[str], edge: int, min_share: float,
                        min_docs: int) -> frozenset[str]:
    """Lines among the first or last `edge` lines of enough documents to be a template."""
    seen: Counter[str] = Counter()
    for text in texts:
        seen.update(set(_edges(_lines(text), edge)))
    needed = max(min_docs, min_share * len(texts))
    return frozenset(line for line, n in seen.items() if n >= needed)


def strip_boilerplate(text: str, shared: frozenset[str], signoff: re.Pattern[str],
                      edge: int, min_repeats: int) -> str:
    lines = text.split("\n")
    keys = [line.strip() for line in lines]
    in_doc = Counter(k for k in keys if _page_furniture(k))
    first, last = _edge_indices(keys, edge)
    kept = []
    for i, (line, key) in enumerate(zip(lines, keys, strict=True)):
        at_edge = i in first or i in last
        if (at_edge and key in shared) or in_doc.get(key, 0) >= min_repeats:
            continue
        kept.append(line)
    while kept and (not kept[-1].strip() or signoff.fullmatch(kept[-1].strip())):
        kept.pop()  # the sign-off and blank tail
    return "\n".join(kept)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def _edges(lines: list[str], edge: int) -> list[str]:
    return lines[:edge] + lines[-edge:]


def _edge_indices(keys: list[str], edge: int) -> tuple[set[int], set[int]]:
    filled = [i for i, k in enumerate(keys) if k]
    return set(filled[:edge]), set(filled[-edge:])


def _page_furniture(line: str) -> bool:
    """Short lines with words: what a page header or footer looks like."""
    if not 8 <= len(line) <= 80:
        return False
    letters = 0
    for c in line:  # counted only up to the five needed: most lines have them at once
        letters += c.isalpha()
        if letters == 5:
            return True
    return False
