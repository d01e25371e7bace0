"""How likely a person meant `term` when writing `word`: the learned channel, priced.

Plain edit distance prices every change alike, so "accomadate" (one letter undoubled, one
vowel for another) sits as far from "accommodate" as "kwave" does from "wave". The price
here comes from sluice.typo_channel: how often people make each edit, learned from
codespell's list of real misspellings. Costs are in the corrector's Zipf units (log10), so
a cost of 1 means "ten times less likely than no edit".
"""

from __future__ import annotations

from functools import lru_cache

from sluice.typo_channel import channel_cost

_FIRST_VOWELS = frozenset("aeiou")  # a first "y" is a consonant ("yearend" is no "earned")
# The channel is learned from a list of nothing but misspellings, so it finds every edit far
# likelier than running text would: scaled down, its costs sit on the scale of the Zipf
# frequencies they are weighed against (set on the Aspell tuning pairs and even documents).
CHANNEL_WEIGHT = 0.6
# One slip people often make, a vowel for a vowel or two neighbours swapped, costs at most
# this in 9 of 10 codespell pairs; 9 of 10 pairs with two edits cost more (1.56 and up).
SLIP = 1.3
# People rarely get a word's first letter wrong (Yannakoudakis and Fawthrop 1983; Pollock and
# Zamora 1984): a fix that changes it ("bauma" -> "obama", "ommited" -> "committed") pays
# this on top, unless the first two letters are only swapped ("htis") or one vowel stands
# for another ("intrusted", "imanent": how a vowel sounds does not tell how it is spelt).
FIRST_LETTER = 1.0


@lru_cache(maxsize=100_000)
def typo_cost(word: str, term: str) -> float:
    """`CHANNEL_WEIGHT` times -log10 P(word | term) from the learned channel, plus
    `FIRST_LETTER` when the first letters differ."""
    same = word[:1] == term[:1] or word[:2] == term[1::-1] or (
        word[:1] in _FIRST_VOWELS and term[:1] in _FIRST_VOWELS)
    first = 0.0 if same else FIRST_LETTER
    return first + CHANNEL_WEIGHT * channel_cost(word, term)
