"""Spelling correction outside protected spans (SymSpell candidates, bigram context).

Guards, cheapest first: only all-lowercase alphabetic tokens (so Title-case, ALL-CAPS,
tokens with digits, URLs and e-mail parts are never touched), a minimum length, words
known to the dictionary or to the corpus itself, never inside an entity, and a
confident suggestion: a common word whose noisy-channel score (word and its two
neighbours, minus an edit-distance cost) clearly beats the runner-up's.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources

from sluice.config import CorrectConfig
from sluice.edits import Edit, OffsetMap, apply_to_text, overlaps
from sluice.records import Correction, Entity

# A lowercase word not glued to other word characters, URL or e-mail punctuation.
_WORD = re.compile(r"(?<![\w@/.\-'\u2019])[a-z]+(?![\w@/\-'\u2019]|\.\w)")
_ANY_WORD = re.compile(r"[A-Za-z]+")
_PREV = re.compile(r"([A-Za-z]+) $")
_NEXT = re.compile(r" ([A-Za-z]+)")
_BACKOFF = 0.2  # weight of the unigram estimate inside a bigram probability
# The dictionary is British-leaning and lemma-heavy: a plural of a known word, or the
# US spelling of a known British one ("labor", "centers", "signaled"), is no typo.
_VARIANTS = tuple((re.compile(a), b) for a, b in (
    (r"(?<=[a-z]{2}[^sxzhy])s$", ""), (r"(?<=[sxz])es$", ""), (r"(?<=[cs]h)es$", ""),
    (r"or(s?)$", r"our\1"), (r"or(ed|ing|able|ite|ites)$", r"our\1"),
    (r"(?<=[^aeiou])er(s?)$", r"re\1"), (r"iz(e|es|ed|ing|ation|ations)$", r"is\1"),
    (r"yz(e|es|ed|ing)$", r"ys\1"), (r"ense(s?)$", r"ence\1"),
    (r"(?<=[aeiou])l(ed|ing|er|ers)$", r"ll\1"),
))


class Speller:
    """SymSpell candidates scored in context, with a per-process memo of lookups."""

    def __init__(self, symspell) -> None:
        self._sym = symspell
        self._bigrams: dict[str, int] = getattr(symspell, "bigrams", {}) or {}
        self._total = float(sum(symspell.words.values()))
        bigram_total = float(sum(self._bigrams.values())) or self._total
        self._bigram_scale = bigram_total / self._total  # the two lists count different texts
        self._memo: dict[tuple[str, int, int], list[tuple[str, int]]] = {}

    def known(self, word: str) -> bool:
        words = self._sym.words
        return word in words or any(
            pattern.search(word) and pattern.sub(repl, word, count=1) in words
            for pattern, repl in _VARIANTS)

    def count(self, word: str) -> int:
        return self._sym.words.get(word, 0)

    def corpus_vocab(self, texts: Iterable[str], min_count: int = 3,
                     dwarf_ratio: float = 20.0) -> frozenset[str]:
        """Unknown words frequent in the texts themselves count as known (domain terms,
        abbreviations), unless a close dictionary word is far more frequent there too:
        then the frequent unknown is a repeated typo ("teh" beside "the")."""
        counts = Counter(w.lower() for t in texts for w in _ANY_WORD.findall(t))
        vocab = set()
        for word, n in counts.items():
            if n < min_count or self.known(word):
                continue
            near = [term for term, _ in self.candidates(word, 2)]
            if not any(counts.get(term, 0) >= dwarf_ratio * n for term in near):
                vocab.add(word)
        return frozenset(vocab)

    def candidates(self, word: str, max_distance: int) -> list[tuple[str, int]]:
        """(term, edit distance) for dictionary words within `max_distance`."""
        key = (word, max_distance, 0)
        if key not in self._memo:
            from symspellpy import Verbosity

            if len(self._memo) >= MEMO_MAX:  # a worker lives for many jobs: bound its memory
                self._memo.clear()

            found = self._sym.lookup(word, Verbosity.ALL, max_edit_distance=max_distance,
                                     transfer_casing=False)
            self._memo[key] = [(s.term, s.distance) for s in found if s.term != word]
        return self._memo[key]

    def suggest(self, word: str, cfg: CorrectConfig, prev: str | None = None,
                nxt: str | None = None) -> tuple[str, float] | None:
        """Best fix and its margin (log-odds over the runner-up), or None if not confident."""
        distance = 1 if len(word) <= 4 else cfg.max_edit_distance
        scored = sorted(((self._score(term, d, prev, nxt, cfg), term)
                         for term, d in self.candidates(word, distance)
                         if self.count(term) >= cfg.min_frequency), reverse=True)
        if not scored:
            return None
        margin = scored[0][0] - scored[1][0] if len(scored) > 1 else math.inf
        if margin < cfg.min_confidence:
            return None
        return scored[0][1], min(margin, 99.0)

    def _score(self, term: str, distance: int, prev: str | None, nxt: str | None,
               cfg: CorrectConfig) -> float:
        score = math.log(self._given(prev, term)) - cfg.edit_cost * distance
        if nxt is not None and self.count(nxt):
            score += math.log(self._given(term, nxt)) - math.log(self.count(nxt) / self._total)
        return score

    def _given(self, prev: str | None, word: str) -> float:
        """P(word | prev), the bigram estimate backed off to P(word)."""
        p_word = self.count(word) / self._total
        if prev is None or not self.count(prev) or not self._bigrams:
            return p_word
        pair = self._bigrams.get(f"{prev} {word}", 0) / self._bigram_scale
        return (1 - _BACKOFF) * pair / self.count(prev) + _BACKOFF * p_word


MEMO_MAX = 50_000  # words' candidate lists kept; past it the memo starts afresh


@lru_cache(maxsize=1)
def load_speller() -> Speller:
    """Load the 83k-word and 243k-bigram SymSpell dictionaries once per process."""
    from symspellpy import SymSpell

    sym = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
    package = resources.files("symspellpy")
    sym.load_dictionary(str(package / "frequency_dictionary_en_82_765.txt"), 0, 1)
    sym.load_bigram_dictionary(str(package / "frequency_bigramdictionary_en_243_342.txt"), 0, 2)
    return Speller(sym)


def spelling_edits(text: str, protected: Sequence[tuple[int, int]], speller: Speller,
                   vocab: frozenset[str] | None, cfg: CorrectConfig) -> list[Edit]:
    """Planned fixes for misspelt lowercase words outside the protected spans."""
    spans = sorted(protected)
    starts = [s for s, _ in spans]
    edits = []
    for match in _WORD.finditer(text):
        word = match.group()
        if len(word) < cfg.min_length or speller.known(word) or (vocab and word in vocab):
            continue
        if overlaps(spans, starts, match.start(), match.end()):
            continue
        fix = speller.suggest(word, cfg, *_neighbours(text, match.start(), match.end()))
        if fix is not None:
            edits.append(Edit(match.start(), match.end(), fix[0], "spelling", round(fix[1], 2)))
    return edits


def correct_outside_entities(text: str, entities: Sequence[Entity], speller: Speller,
                             vocab: frozenset[str] | None,
                             cfg: CorrectConfig) -> tuple[str, list[Correction]]:
    edits = spelling_edits(text, [(e.start, e.end) for e in entities], speller, vocab, cfg)
    return apply_to_text(text, edits)


def shift_entities(entities: Sequence[Entity], corrections: Sequence[Correction]) -> list[Entity]:
    """Map entity offsets onto the corrected text; corrections never fall inside one."""
    move = OffsetMap(_as_edits(corrections))
    return [e.model_copy(update={"start": move(e.start), "end": move(e.end)}) for e in entities]


def _as_edits(corrections: Sequence[Correction]) -> list[Edit]:
    """The edits, in old-text offsets, that produced these corrections."""
    edits, delta = [], 0
    for c in sorted(corrections, key=lambda c: c.start):
        start = c.start - delta
        edits.append(Edit(start, start + len(c.before), c.after, c.kind))
        delta += len(c.after) - len(c.before)
    return edits


def _neighbours(text: str, start: int, end: int) -> tuple[str | None, str | None]:
    """The words right before and after, if only a space separates them (same clause)."""
    before = _PREV.search(text, max(0, start - 30), start)
    after = _NEXT.match(text, end)
    return (before.group(1).lower() if before else None,
            after.group(1).lower() if after else None)
