"""Build sluice/typo_channel_table.py: edit counts learned from codespell's misspelling list.

Usage: python bench/build_typo_channel.py

Each `misspelling->fix` pair of ../shared/eval/codespell-dictionary.txt is aligned (unit-cost
optimal string alignment, ties broken the same way every time) and its single-letter edits
are counted, each with the letter before it in the meant word ("^" at the start): a letter
put for another, left out, added, or two neighbours swapped (Church and Gale 1991, Brill and
Moore 2000). The letters and letter pairs of the meant words are counted too: they are what
sluice.typo_channel divides by to turn counts into probabilities.

Before counting, every pair that shares a word (misspelling or fix) with the held-out
Birkbeck sets (spell-testset1/2.txt, misspellings.jsonl) or with the Aspell tuning list
(aspell-common-filtered.tab) is dropped, so that the model has seen none of the words it is
measured or tuned on. The counts of dropped and used pairs are printed.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sluice.typo_channel import START  # noqa: E402

CODESPELL = ROOT.parent / "shared" / "eval" / "codespell-dictionary.txt"
DATA = ROOT / "bench" / "data" / "correction"
TABLE = ROOT / "sluice" / "typo_channel_table.py"
_LOWER = re.compile(r"[a-z]+")
# Alignment costs: a letter left out plus one added (a shifted letter, "dissapear") is
# likelier than two letters each put for another, so a substitution costs 1.5 gaps.
GAP, SUB = 2, 3


def codespell_pairs() -> list[tuple[str, str]]:
    """(misspelling, fix) for every fix listed; duplicates kept once, in file order."""
    pairs: dict[tuple[str, str], None] = {}
    for line in CODESPELL.read_text(encoding="utf-8").splitlines():
        if "->" not in line:
            continue
        wrong, fixes = line.split("->", 1)
        for fix in fixes.split(","):
            if fix.strip():
                pairs[(wrong.strip(), fix.strip())] = None
    return list(pairs)


def held_out_words() -> set[str]:
    words = set()
    for name in ("spell-testset1.txt", "spell-testset2.txt"):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            words.update(w.lower() for w in re.findall(r"[A-Za-z']+", line))
    for line in (DATA / "misspellings.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        words.update((row["correct"].lower(), row["misspelling"].lower()))
    return words


def tuning_words() -> set[str]:
    text = (DATA / "aspell-common-filtered.tab").read_text(encoding="utf-8")
    return {w.lower() for line in text.splitlines() for w in line.split("\t") if w}


def alignment(wrong: str, right: str) -> list[tuple[str, str, str, str]]:
    """The edits turning `right` (meant) into `wrong` (written), as (kind, before, meant,
    written): kind is sub, del, ins or swap; `before` is the meant letter before the edit.
    Walked from the start, letters matched first, so that a letter doubled or undoubled is
    the second of the pair: "dissapear" adds an "s" after "s" and drops a "p" after "p"."""
    n, m = len(wrong), len(right)
    d = [[0] * (m + 1) for _ in range(n + 1)]  # d[i][j]: cost of wrong[i:] for right[j:]
    for i in range(n + 1):
        d[i][m] = GAP * (n - i)
    for j in range(m + 1):
        d[n][j] = GAP * (m - j)
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            d[i][j] = min(d[i + 1][j] + GAP, d[i][j + 1] + GAP,
                          d[i + 1][j + 1] + SUB * (wrong[i] != right[j]))
            if _swapped(wrong, right, i, j):
                d[i][j] = min(d[i][j], d[i + 2][j + 2] + GAP)
    edits, i, j = [], 0, 0
    while i < n or j < m:  # prefer a match or substitution, then a swap, a gap last
        before = right[j - 1] if j else START
        if i < n and j < m and d[i][j] == d[i + 1][j + 1] + SUB * (wrong[i] != right[j]):
            if wrong[i] != right[j]:
                edits.append(("sub", before, right[j], wrong[i]))
            i, j = i + 1, j + 1
        elif _swapped(wrong, right, i, j) and d[i][j] == d[i + 2][j + 2] + GAP:
            edits.append(("swap", before, right[j:j + 2], ""))
            i, j = i + 2, j + 2
        elif j < m and d[i][j] == d[i][j + 1] + GAP:
            edits.append(("del", before, right[j], ""))
            j += 1
        else:  # a letter added after the meant word's letter j - 1
            edits.append(("ins", before, "", wrong[i]))
            i += 1
    return edits


def _swapped(wrong: str, right: str, i: int, j: int) -> bool:
    return (i + 1 < len(wrong) and j + 1 < len(right) and wrong[i] == right[j + 1]
            and wrong[i + 1] == right[j] and wrong[i] != wrong[i + 1])


def count(pairs: list[tuple[str, str]]) -> dict[str, dict[str, int]]:
    edits: Counter[str] = Counter()
    letters: Counter[str] = Counter()
    for wrong, right in pairs:
        for kind, before, meant, written in alignment(wrong, right):
            edits[f"{kind} {meant}>{written}"] += 1
            if kind != "swap":  # a swap already spans two letters: counted without context
                edits[f"{kind} {before}{meant}>{written}"] += 1
        padded = START + right
        letters.update(padded)
        letters.update(padded[k:k + 2] for k in range(len(padded) - 1))
    return {"edits": dict(sorted(edits.items())), "letters": dict(sorted(letters.items()))}


def _literal(name: str, counts: dict[str, int]) -> str:
    """A dict literal, one entry a line, in key order: the file is the same on every build."""
    return f"{name} = {{\n" + "".join(f"    {k!r}: {v},\n" for k, v in counts.items()) + "}\n"


def main() -> None:
    pairs = codespell_pairs()
    held, tuning = held_out_words(), tuning_words()
    lower = [(w, f) for w, f in pairs if _LOWER.fullmatch(w) and _LOWER.fullmatch(f)]
    not_held = [(w, f) for w, f in lower if w not in held and f not in held]
    used = [(w, f) for w, f in not_held if w not in tuning and f not in tuning]
    print(f"{len(pairs)} codespell pairs; {len(pairs) - len(lower)} not two lowercase words")
    print(f"{len(lower) - len(not_held)} dropped: share a word with the held-out Birkbeck sets")
    print(f"{len(not_held) - len(used)} dropped: share a word with the Aspell tuning list")
    print(f"{len(used)} pairs used")
    table = count(used)
    TABLE.write_text(
        '"""Edit counts for sluice.typo_channel, generated by bench/build_typo_channel.py from '
        f"{len(used)}\ncodespell pairs (none sharing a word with the held-out or tuning "
        'misspellings). Do not edit."""\n\n'
        f"PAIRS = {len(used)}\n" + _literal("EDITS", table["edits"])
        + _literal("LETTERS", table["letters"]), encoding="utf-8")
    print(f"wrote {TABLE.relative_to(ROOT)}: {len(table['edits'])} edits, "
          f"{len(table['letters'])} letters and pairs")


if __name__ == "__main__":
    main()
