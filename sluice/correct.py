"""Spelling correction outside protected spans, precision first.

A word is left alone when anything says it may be right: it is not an all-lowercase
alphabetic token (Title-case, ALL-CAPS, digits, URL and e-mail parts), it is short, web
text knows it (wordfreq Zipf >= `known_zipf`: US and British spellings, names, brands,
slang, "didnt"), it is an apostrophe-less contraction, it is frequent in the batch itself,
it sits in an entity, quotes, backticks, a URL, a #hashtag or @handle, or in a run of
another language's words; or where it stands says it is no typo (sluice.spelling_guards:
glued to mojibake, inside code, a name the text also capitalises).

Otherwise each dictionary word one or two edits away (three for a word of 9+ letters, if
the edits are likely ones) is scored in Zipf units (log10): its frequency, minus the cost of
the edits (sluice.typo_cost: a noisy channel learned from real misspellings, so the slips
people make cost less), plus how much its neighbours' bigrams favour it. The fix must beat
both keeping the word (scored at its own Zipf) and every rival (its own British or US
spelling aside; by more one whose edits are likelier) by `min_confidence`; an unseen bigram
counts against a candidate, so a fix the context does not support is not made. A long
word has more letters to slip on: against keeping it, its slips cost less and its fix may
be rarer. A short word needs its neighbours' support unless one fix leads all
others by far. A fix that only glues or cuts letters at an end, or that undoes more than
one slip in a word built from a known one with a prefix or suffix, is not made either. E-mail is
informal text: there a fix must be a cheap typo, lead by more and have the context's
support (`informal_*` settings).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

from sluice.config import CorrectConfig
from sluice.edits import Edit, OffsetMap, apply_to_text, overlaps
from sluice.known_words import Lexicon, load_lexicon
from sluice.records import Correction, Entity
from sluice.spelling_guards import (
    beside_odd_char,
    derived,
    glued_or_cut,
    in_code,
    named_in_text,
    prefixed_or_glued,
)
from sluice.typo_cost import SLIP, typo_cost

# A lowercase word not glued to other word characters, URL or e-mail punctuation, # or @,
# or code punctuation ("strlen(", "$lineno", "x=struct").
_WORD = re.compile(r"(?<![\w@#/.\-'\u2019$%*=<>{\\])[a-z]+(?![\w@/\-'\u2019(\[{=<>*\\]|\.\w)")
_ANY_WORD = re.compile(r"[A-Za-z]+")
_PREV = re.compile(r"([A-Za-z]+) $")
_NEXT = re.compile(r" ([A-Za-z]+)")
_CONTEXT_RANGE = (-1.0, 2.0)  # log10 bounds of what one neighbour can say
# Spans whose words are quoted, code or addresses, not prose to correct.
_VERBATIM = re.compile(
    r"`[^`\n]{1,200}`"  # inline code
    r"|\"[^\"\n]{1,80}\"|\u201c[^\u201d\n]{1,80}\u201d"  # short quotations
    r"|(?<!\w)'[^'\n]{1,40}'(?!\w)|\u2018[^\u2019\n]{1,40}\u2019(?!\w)"
    r"|\b(?:https?://|www\.)\S+|(?<![\w.+-])[\w.+-]+@[\w-]+\.[\w.-]+"  # URLs, addresses
    r"|(?<!\w)[#@]\w+")  # hashtags, handles
CONTRACTIONS = frozenset(
    "aint arent cant couldnt didnt doesnt dont hadnt hasnt havent hes id ill im isnt ive "
    "lets mustnt neednt shes shouldnt thats theres theyd theyll theyre theyve wasnt wed "
    "well werent weve whats wheres whos wont wouldnt youd youll youre youve yall "
    # stems left when an odd apostrophe ("wasn?t", "wasn t") split the word
    "aren couldn didn doesn hadn hasn haven isn mustn needn shouldn wasn weren wouldn".split())
# The dictionary is British-leaning and lemma-heavy: a plural of a known word, or the
# US spelling of a known British one ("labor", "centers", "signaled"), is no typo.
_VARIANTS = tuple((re.compile(a), b) for a, b in (
    (r"(?<=[a-z]{2}[^sxzhy])s$", ""), (r"(?<=[sxz])es$", ""), (r"(?<=[cs]h)es$", ""),
    (r"or(s?)$", r"our\1"), (r"or(ed|ing|able|ite|ites)$", r"our\1"),
    (r"(?<=[^aeiou])er(s?)$", r"re\1"), (r"iz(e|es|ed|ing|ation|ations)$", r"is\1"),
    (r"yz(e|es|ed|ing)$", r"ys\1"), (r"ense(s?)$", r"ence\1"),
    (r"(?<=[aeiou])l(ed|ing|er|ers)$", r"ll\1"),
    (r"(?<=[aeiou])tt(ed|ing)$", r"t\1"), (r"(?<=[aeiou])ss(ed|es|ing)$", r"s\1"),
))
# A lead (Zipf units) over keeping a short word and over its runner-up that needs no more
# context support than a long word's: tuned on the Aspell tuning pairs and even documents.
SHORT_WORD_LEAD = 3.0
# Letters from which a word counts as long: against keeping it, its slips cost
# LONG_WORD / len(word) of their price, and its fix may be LONG_WORD_RARER Zipf rarer than
# `min_candidate_zipf`. Both tuned on the Aspell tuning pairs and even documents.
LONG_WORD = 8
LONG_WORD_RARER = 0.7
# A word this long may be three edits from its fix ("accomodatoin"), if those are edits
# people make (typo_cost at most THREE_EDIT_COST): a short word has too many words that far.
THREE_EDIT_LETTERS = 9
THREE_EDIT_COST = 4.0
# A rival the channel finds likelier (cheaper edits) must trail the fix by this many times
# the cost difference, beyond `min_confidence`: the fix won on frequency or context alone.
RIVAL_COST_RATIO = 1.5
MEMO_MAX = 200_000  # words remembered per process; past it the memo starts afresh
_DEFAULTS = CorrectConfig()


class Speller:
    """Candidates from the dictionary, scored with wordfreq and bigram context; memoised."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._zipf: dict[str, float] = {}
        self._count: dict[str, int] = {}
        self._memo: dict[tuple[str, int], list[tuple[str, int]]] = {}

    def zipf(self, word: str) -> float:
        if word not in self._zipf:
            if len(self._zipf) >= MEMO_MAX:  # a worker lives for many jobs: bound its memory
                self._zipf.clear()
            self._zipf[word] = self.lexicon.zipf(word)
        return self._zipf[word]

    def known(self, word: str, cfg: CorrectConfig | None = None) -> bool:
        threshold = (cfg or _DEFAULTS).known_zipf
        if word in CONTRACTIONS or self.zipf(word) >= threshold or self.count(word):
            return True
        return any(pattern.search(word) and self.count(pattern.sub(repl, word, count=1))
                   for pattern, repl in _VARIANTS)

    def count(self, word: str) -> int:
        if word not in self._count:
            if len(self._count) >= MEMO_MAX:
                self._count.clear()
            self._count[word] = self.lexicon.count(word)
        return self._count[word]

    def corpus_vocab(self, texts: Iterable[str], min_count: int = 3,
                     dwarf_ratio: float = 20.0) -> frozenset[str]:
        """Unknown words frequent in the texts themselves count as known (domain terms,
        abbreviations), unless a close dictionary word is far more frequent there too:
        then the frequent unknown is a repeated typo ("teh" beside "the")."""
        return self.frequent_unknown(word_counts(texts), min_count, dwarf_ratio)

    def frequent_unknown(self, counts: Mapping[str, int], min_count: int = 3,
                         dwarf_ratio: float = 20.0) -> frozenset[str]:
        """`corpus_vocab` from the texts' word counts (see `word_counts`)."""
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
        key = (word, max_distance)
        if key not in self._memo:
            if len(self._memo) >= MEMO_MAX:
                self._memo.clear()
            self._memo[key] = self.lexicon.candidates(word, max_distance)
        return self._memo[key]

    def suggest(self, word: str, cfg: CorrectConfig, prev: str | None = None,
                nxt: str | None = None) -> tuple[str, float] | None:
        """Best fix and its lead (Zipf units) over keeping the word and over every rival,
        or None if it does not lead by `min_confidence` or its neighbours disfavour it."""
        found = self._found(word, cfg)
        if not found:
            return None
        scored = sorted((self._score(word, term, d, prev, nxt, cfg) for term, d in found),
                        reverse=True)
        score, context, term, _ = scored[0]
        if prefixed_or_glued(word, term) or typo_cost(word, term) > cfg.max_cost:
            return None  # best explained as derived from a known word, or too far off
        keep = max(self.zipf(word), cfg.unseen_zipf)
        rivals = [self._lead(scored[0], r) for r in scored[1:] if not _variants(r[2], term)]
        # a long word has more letters to slip on: two slips in "aquiantance" are likelier
        # than in "bauma", so against keeping the word its slips cost less the longer it is
        # (among the candidates, all of one length, they keep their full price)
        discount = max(0.0, 1.0 - LONG_WORD / len(word)) * typo_cost(word, term)
        margin = min(score + discount - keep, min(rivals, default=math.inf))
        # a short word has many neighbours one edit away: only context can pick among them,
        # unless one of them leads all others by far ("htis", "wtih")
        short = len(word) <= 4 and margin < SHORT_WORD_LEAD
        if margin < cfg.min_confidence or context < (cfg.short_word_context if short
                                                     else cfg.min_context):
            return None
        return term, round(margin, 2)

    def _found(self, word: str, cfg: CorrectConfig) -> list[tuple[str, int]]:
        """Dictionary words near enough and common enough to be the meant one."""
        distance = 1 if len(word) <= 4 else cfg.max_edit_distance
        if distance == 2 and len(word) >= THREE_EDIT_LETTERS:
            distance = 3
        # a long word has few neighbours two edits away, so a rarer one is no chance match
        floor = cfg.min_candidate_zipf - (LONG_WORD_RARER if len(word) >= LONG_WORD else 0.0)
        return [(term, d) for term, d in self.candidates(word, distance)
                if self.zipf(term) >= floor
                and (d < 3 or typo_cost(word, term) <= THREE_EDIT_COST)]

    def _score(self, word: str, term: str, distance: int, prev: str | None, nxt: str | None,
               cfg: CorrectConfig) -> tuple[float, float, str, float]:
        """(score, the context's part of it, term, the edits' cost)."""
        cost = typo_cost(word, term) + (cfg.distance2_cost if distance >= 2 else 0.0)
        context = self._context(prev, term) + self._context(term, nxt)
        return self.zipf(term) - cost + context, context, term, cost

    @staticmethod
    def _lead(best: tuple[float, float, str, float],
              rival: tuple[float, float, str, float]) -> float:
        """How far the fix's score leads the rival's, less RIVAL_COST_RATIO times what the
        fix's edits cost more than the rival's: the channel finds that rival the likelier."""
        return best[0] - rival[0] - RIVAL_COST_RATIO * max(0.0, best[3] - rival[3])

    def _context(self, first: str | None, second: str | None) -> float:
        """log10 of how much likelier the pair is than its words side by side by chance.
        A pair missing from the bigram list occurs less often than its rarest listed pair:
        that bound says something only when chance alone would have listed it."""
        if first is None or second is None:
            return 0.0
        lex = self.lexicon
        n_first, n_second = self.count(first), self.count(second)
        if not n_first or not n_second:
            return 0.0  # a neighbour the dictionary lacks says nothing either way
        expected = n_first * n_second / lex.total**2 * lex.bigram_total
        pair = lex.bigram(first, second)
        ratio = (pair or lex.bigram_floor) / expected
        found = math.log10(ratio) if pair else min(0.0, math.log10(ratio))
        return min(max(found, _CONTEXT_RANGE[0]), _CONTEXT_RANGE[1])


# British and US spellings of one word are not rival fixes ("behaviour", "behavior").
_UK_TO_US = tuple((re.compile(a), b) for a, b in (
    (r"our(s|ed|ing|able|ite|ites)?$", r"or\1"), (r"is(e|es|ed|ing|ation|ations)$", r"iz\1"),
    (r"ys(e|es|ed|ing)$", r"yz\1"), (r"(?<=[aeiou])ll(ed|ing|er|ers)$", r"l\1"),
    (r"(?<=[^aeiou])re(s?)$", r"er\1"), (r"ence(s?)$", r"ense\1"),
))


def _variants(a: str, b: str) -> bool:
    for pattern, repl in _UK_TO_US:
        a, b = pattern.sub(repl, a), pattern.sub(repl, b)
    return a == b


def word_counts(texts: Iterable[str], min_count: int = 1) -> dict[str, int]:
    """Lowercased words of the texts and their counts, those under `min_count` left out (no
    count under it decides `corpus_vocab` while its dwarf ratio is at least 1)."""
    counts = Counter(w.lower() for t in texts for w in _ANY_WORD.findall(t))
    return {word: n for word, n in counts.items() if n >= min_count}


@lru_cache(maxsize=1)
def load_speller() -> Speller:
    """Once per process; the word arrays come from a cache built on first use."""
    return Speller(load_lexicon())


def spelling_edits(text: str, protected: Sequence[tuple[int, int]], speller: Speller,
                   vocab: frozenset[str] | None, cfg: CorrectConfig) -> list[Edit]:
    """Planned fixes for misspelt lowercase words outside the protected spans."""
    spans = sorted([*protected, *verbatim_spans(text)])
    starts = [s for s, _ in spans]
    edits = []
    for match in _WORD.finditer(text):
        word = match.group()
        if len(word) < cfg.min_length or speller.known(word, cfg) or (vocab and word in vocab):
            continue
        if overlaps(spans, starts, match.start(), match.end()):
            continue
        raw = _neighbours(text, match.start(), match.end())
        prev, nxt = (n.lower() if n else None for n in raw)
        if _foreign_run(speller, word, prev, nxt, cfg) or _rare_pair(speller, *raw, cfg):
            continue
        if beside_odd_char(text, match.start(), match.end()) or in_code(text, match.start(),
                                                                         match.end()):
            continue  # garbled by an encoding, or inside code
        fix = speller.suggest(word, cfg, prev, nxt)
        # last, as it reads the whole text: a name the text also writes capitalised
        if fix is None or _unlike_typo(word, fix[0], speller, cfg) or named_in_text(text, word):
            continue
        edits.append(Edit(match.start(), match.end(), fix[0], "spelling", fix[1]))
    return edits


def _unlike_typo(word: str, term: str, speller: Speller, cfg: CorrectConfig) -> bool:
    """The fix adds or drops letters at one end only, or undoes more than one slip on a
    word built from a known one with a prefix or suffix ("delisted", "bootable")."""
    return glued_or_cut(word, term) or (
        typo_cost(word, term) > SLIP and derived(word, lambda stem: speller.known(stem, cfg)))


def verbatim_spans(text: str) -> list[tuple[int, int]]:
    """Quotations, inline code, URLs, addresses, hashtags and handles."""
    return [m.span() for m in _VERBATIM.finditer(text)]


def _foreign_run(speller: Speller, word: str, prev: str | None, nxt: str | None,
                 cfg: CorrectConfig) -> bool:
    """The word is common in another language and so is a neighbour far commoner there:
    a foreign phrase ("vous avez") rather than a typo ("the anual report")."""
    lex = speller.lexicon
    if lex.foreign_zipf(word) < cfg.foreign_zipf:
        return False
    return any(n is not None and lex.foreign_zipf(n) >= max(cfg.foreign_zipf,
                                                            speller.zipf(n) + 1.0)
               for n in (prev, nxt))  # "vous" is 1000 times commoner abroad, "s" is not


def _rare_pair(speller: Speller, prev: str | None, nxt: str | None,
               cfg: CorrectConfig) -> bool:
    """An unknown lowercase word beside another one is a term ("loya jirga"): typos seldom
    come in pairs, and the context a fix would need is missing. A capitalised neighbour is
    a name, and says nothing about the word."""
    return any(n is not None and n.islower() and len(n) >= cfg.min_length
               and not speller.known(n, cfg) for n in (prev, nxt))


def for_document(metadata: dict, fmt: str, cfg: CorrectConfig) -> CorrectConfig:
    """The settings for one document: stricter for e-mail (informal register), which the
    parser marks by its headers."""
    if fmt != "eml" and not {"message_id", "from"} & metadata.keys():
        return cfg
    return cfg.model_copy(update={
        "max_cost": min(cfg.max_cost, cfg.informal_max_cost),
        "min_confidence": max(cfg.min_confidence, cfg.informal_min_confidence),
        "min_context": max(cfg.min_context, cfg.informal_min_context)})


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
    """The words right before and after, as written, if only a space separates them."""
    before = _PREV.search(text, max(0, start - 30), start)
    after = _NEXT.match(text, end)
    return (before.group(1) if before else None, after.group(1) if after else None)
