"""How likely a person writes `word` when meaning `term`: a learned noisy channel.

The edits people make (a letter put for another, left out, added, two neighbours swapped)
are priced by how often each occurs in codespell's list of real misspellings, counted by
bench/build_typo_channel.py into sluice/typo_channel_table.py (Church and Gale 1991; Brill
and Moore 2000). An edit is judged with the letter before it in the meant word where the
counts allow ("l" -> "ll" is common, "q" -> "qq" is not), shrunk towards the same edit
without context where they do not. Each count is divided by how often its letters occur in
the meant words, so an edit on a rare letter is not cheap merely for being rare.

`channel_cost` is -log10 P(word | term) along the likeliest alignment (optimal string
alignment: no letter edited twice), letters kept as they are costing nothing.
"""

from __future__ import annotations

import math
from functools import lru_cache

START = "^"  # the meant word's start, as the letter before its first one
# How many edits a context's expected count is worth against the count without context:
# a context seen a few times says little, one seen hundreds of times speaks for itself.
SHRINK = 2.0
# An edit's probability never rounds to certainty: a word that needs it is still a change.
MOST_LIKELY = 0.5


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, int], dict[str, int], int]:
    """Loaded on first use: importing the corrector should not pay for it."""
    from sluice.typo_channel_table import EDITS, LETTERS

    total = sum(n for key, n in LETTERS.items() if len(key) == 1)
    return EDITS, LETTERS, total


@lru_cache(maxsize=50_000)
def edit_cost(kind: str, before: str, meant: str, written: str) -> float:
    """-log10 P(edit): kind is sub, del, ins or swap; `before` the meant letter before it
    (START at the word's start); `meant` the meant letter(s), `written` what stands instead."""
    edits, letters, total = _table()
    # what an edit is counted against: its meant letter(s), or any position for an added one
    base = letters.get(meant, 0) if meant else total
    free = (edits.get(f"{kind} {meant}>{written}", 0) + 0.5) / (base + 1.0)
    if kind == "swap":
        return -math.log10(min(free, MOST_LIKELY))
    seen = letters.get(before + meant, 0) if meant else letters.get(before, 0)
    expected = free * seen  # how often the edit would occur in this context by chance
    found = edits.get(f"{kind} {before}{meant}>{written}", 0)
    probability = free * (found + SHRINK) / (expected + SHRINK)
    return -math.log10(min(probability, MOST_LIKELY))


@lru_cache(maxsize=100_000)
def channel_cost(word: str, term: str) -> float:
    """-log10 P(word | term): the cheapest way, edit by edit, to write `word` for `term`."""
    n, m = len(word), len(term)
    d = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):  # letters added before the meant word's first
        d[i][0] = d[i - 1][0] + edit_cost("ins", START, "", word[i - 1])
    for j in range(1, m + 1):
        d[0][j] = d[0][j - 1] + edit_cost("del", _before(term, j - 1), term[j - 1], "")
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d[i][j] = _cheapest(d, word, term, i, j)
    return d[n][m]


def _cheapest(d: list[list[float]], word: str, term: str, i: int, j: int) -> float:
    written, meant, before = word[i - 1], term[j - 1], _before(term, j - 1)
    kept = d[i - 1][j - 1] if written == meant else (
        d[i - 1][j - 1] + edit_cost("sub", before, meant, written))
    best = min(kept, d[i][j - 1] + edit_cost("del", before, meant, ""),
               d[i - 1][j] + edit_cost("ins", meant, "", written))
    if (i > 1 and j > 1 and written == term[j - 2] and word[i - 2] == meant
            and written != meant):
        best = min(best, d[i - 2][j - 2] + edit_cost("swap", "", term[j - 2:j], ""))
    return best


def _before(term: str, j: int) -> str:
    return term[j - 1] if j else START
