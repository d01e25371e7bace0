"""How likely a person meant `term` when writing `word`: a weighted edit distance.

Plain edit distance prices every change alike, so "accomadate" (one letter undoubled, one
vowel for another) sits as far from "accommodate" as "kwave" does from "wave". People's
misspellings are mostly of a few kinds, and those cost less here: a letter doubled or
undoubled, a vowel for a vowel, two neighbours swapped, a sound spelt another way (c/k/s,
i/y), a neighbouring key hit, a vowel dropped or added. Costs are in the corrector's Zipf
units (log10), so a cost of 1 means "ten times less likely than no edit".
"""

from __future__ import annotations

from functools import lru_cache

_VOWELS = frozenset("aeiouy")
_FIRST_VOWELS = frozenset("aeiou")  # a first "y" is a consonant ("yearend" is no "earned")
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_STAGGER = (0.0, 0.25, 0.75)  # how far each keyboard row is shifted right
_KEYS = {ch: (r, c + _STAGGER[r]) for r, row in enumerate(_ROWS) for c, ch in enumerate(row)}
# letters that spell the same or a near sound
_SOUNDS = tuple(frozenset(g) for g in ("cks", "sz", "iy", "gj", "fv", "mn", "dt", "ck", "qk",
                                       "sc", "xz"))

SWAP = 1.0  # "recieve"
DOUBLE = 0.7  # "accomodate", "untill"
VOWEL = 1.0  # a vowel for a vowel: "seperate"
SOUND = 1.2  # "ekonomic", "sinse"
KEY = 1.3  # a neighbouring key: "rhe"
VOWEL_GAP = 1.5  # a vowel left out or added: "definetly"
OTHER = 2.0  # anything else
SLIP = 1.0  # the dearest single slip: what one swap or one vowel costs
# People rarely get a word's first letter wrong (Yannakoudakis and Fawthrop 1983; Pollock and
# Zamora 1984): a fix that changes it ("bauma" -> "obama", "ommited" -> "committed") pays
# this on top, unless the first two letters are only swapped ("htis") or one vowel stands
# for another ("intrusted", "imanent": how a vowel sounds does not tell how it is spelt).
FIRST_LETTER = 1.0


def adjacent_keys(a: str, b: str) -> bool:
    if a not in _KEYS or b not in _KEYS:
        return False
    (ra, ca), (rb, cb) = _KEYS[a], _KEYS[b]
    return abs(ra - rb) <= 1 and abs(ca - cb) <= 1.0 and (ra, ca) != (rb, cb)


def substitution(a: str, b: str) -> float:
    if a == b:
        return 0.0
    if a in _VOWELS and b in _VOWELS:
        return VOWEL
    if any(a in g and b in g for g in _SOUNDS):
        return SOUND
    return KEY if adjacent_keys(a, b) else OTHER


def _gap(text: str, i: int) -> float:
    """The cost of `text[i]` being missing from (or added to) the other string."""
    ch = text[i]
    if (i > 0 and text[i - 1] == ch) or (i + 1 < len(text) and text[i + 1] == ch):
        return DOUBLE
    return VOWEL_GAP if ch in _VOWELS else OTHER


@lru_cache(maxsize=100_000)
def typo_cost(word: str, term: str) -> float:
    """Weighted optimal-string-alignment distance from `term` (meant) to `word` (written),
    plus `FIRST_LETTER` when the first letters differ."""
    same = word[:1] == term[:1] or word[:2] == term[1::-1] or (
        word[:1] in _FIRST_VOWELS and term[:1] in _FIRST_VOWELS)
    first = 0.0 if same else FIRST_LETTER
    return first + _distance(word, term)


def _distance(word: str, term: str) -> float:
    n, m = len(word), len(term)
    d = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        d[i][0] = d[i - 1][0] + _gap(word, i - 1)
    for j in range(1, m + 1):
        d[0][j] = d[0][j - 1] + _gap(term, j - 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            best = min(d[i - 1][j] + _gap(word, i - 1), d[i][j - 1] + _gap(term, j - 1),
                       d[i - 1][j - 1] + substitution(word[i - 1], term[j - 1]))
            if (i > 1 and j > 1 and word[i - 1] == term[j - 2] and word[i - 2] == term[j - 1]
                    and word[i - 1] != word[i - 2]):
                best = min(best, d[i - 2][j - 2] + SWAP)
            d[i][j] = best
    return d[n][m]
