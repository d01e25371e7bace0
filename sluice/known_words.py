"""What the corrector knows about words, in arrays that load in milliseconds.

Three sources, merged once and cached under the user cache directory:
- wordfreq's large English list (321k words from news, books, web and social text, with
  Zipf frequencies): US and British spellings, names, brands, slang and domain words;
- symspellpy's 83k-word dictionary and 243k bigrams, the clean vocabulary that candidate
  fixes are drawn from and the counts that score them in context;
- wordfreq's small lists of other European languages, to spot a foreign phrase.

Strings are looked up by a stable 64-bit hash in sorted numpy arrays: building Python dicts
of 2.5 million strings took 3-5 s per process start, loading these arrays takes well under
a second. A hash collision can only make an unknown word look known (never corrected) or
add a candidate that the edit-distance check then throws out.
"""

from __future__ import annotations

import hashlib
import math
import os
from importlib import metadata, resources
from pathlib import Path

import numpy as np
from editdistpy import damerau_osa

from sluice import caches

FORMAT = 1  # bump when the arrays change meaning
PREFIX_LENGTH = 7  # SymSpell's: deletes are taken of a word's first 7 letters
MAX_DISTANCE = 2
FOREIGN = ("de", "fr", "es", "it", "pt", "nl", "sv", "da", "fi", "pl", "id", "tr")


def word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")


class Lexicon:
    """Read-only word facts: English Zipf, dictionary count, bigram count, foreign Zipf,
    and dictionary words within an edit distance."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self._a = arrays
        self.terms = bytes(arrays["terms"]).decode().split("\n")
        self.total = float(arrays["count"].sum())
        self.bigram_total = float(arrays["bigram_count"].sum()) or self.total
        # the list keeps only pairs counted at least this often: absent ones are rarer
        self.bigram_floor = float(arrays["bigram_count"].min()) if len(arrays["bigrams"]) else 1.0

    def _find(self, keys: str, word: str) -> int:
        """Index of `word` in the sorted `keys` array, or -1."""
        table = self._a[keys]
        h = np.uint64(word_hash(word))
        i = int(np.searchsorted(table, h))
        return i if i < len(table) and table[i] == h else -1

    def zipf(self, word: str) -> float:
        """wordfreq's English Zipf frequency (log10 per billion words); 0 when unseen."""
        i = self._find("vocab", word)
        return float(self._a["zipf"][i]) / 100 if i >= 0 else 0.0

    def count(self, word: str) -> int:
        """The SymSpell dictionary count; 0 for words outside its 83k."""
        i = self._find("vocab", word)
        return int(self._a["count"][i]) if i >= 0 else 0

    def foreign_zipf(self, word: str) -> float:
        """The highest Zipf the word has in one of the `FOREIGN` languages."""
        i = self._find("vocab", word)
        return float(self._a["foreign"][i]) / 100 if i >= 0 else 0.0

    def bigram(self, first: str, second: str) -> int:
        i = self._find("bigrams", f"{first} {second}")
        return int(self._a["bigram_count"][i]) if i >= 0 else 0

    def candidates(self, word: str, max_distance: int) -> list[tuple[str, int]]:
        """Dictionary words within `max_distance` (Damerau OSA), SymSpell's symmetric-delete
        search: the deletes of the word's prefix are looked up among the dictionary's."""
        keys = np.array([word_hash(d) for d in _deletes(word[:PREFIX_LENGTH], max_distance)],
                        dtype=np.uint64)
        table = self._a["delete_keys"]
        pos = np.minimum(np.searchsorted(table, keys), len(table) - 1)
        hits = pos[table[pos] == keys].tolist()
        offsets, ids = self._a["delete_offsets"], self._a["delete_ids"]
        seen = {int(t) for p in hits for t in ids[offsets[p]:offsets[p + 1]]}
        found = []
        for term in (self.terms[t] for t in seen):
            if term != word and abs(len(term) - len(word)) <= max_distance:
                distance = damerau_osa.distance(word, term, max_distance)  # -1: farther
                if 0 < distance <= max_distance:
                    found.append((term, distance))
        return found


def _deletes(word: str, max_distance: int) -> set[str]:
    found, layer = {word}, {word}
    for _ in range(max_distance):
        layer = {w[:i] + w[i + 1:] for w in layer if len(w) > 1 for i in range(len(w))}
        found |= layer
    return found


def load_lexicon(cache_dir: Path | None = None) -> Lexicon:
    """From the cache when it matches the installed packages, else built (about 10 s) and
    cached. Never touches the network: every source ships inside a package."""
    path = lexicon_path(cache_dir)
    if path.exists():
        try:
            with np.load(path) as data:
                return Lexicon({k: data[k] for k in data.files})
        except (OSError, ValueError, KeyError):
            pass  # a torn or foreign file: build it again
    arrays = build_arrays()
    _save(path, arrays)
    return Lexicon(arrays)


def lexicon_path(cache_dir: Path | None = None) -> Path:
    return (cache_dir or caches.cache_dir()) / f"lexicon-{cache_key()}.npz"


def cache_key() -> str:
    versions = [f"{p}={metadata.version(p)}" for p in ("symspellpy", "wordfreq", "numpy")]
    raw = "|".join([f"format={FORMAT}", *versions, ",".join(FOREIGN)])
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _save(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Written whole then renamed, so a concurrent reader never sees half a file; a
    read-only cache directory only costs the build on every start."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(tmp, **arrays)
        os.replace(tmp, path)
    except OSError:
        pass


def build_arrays() -> dict[str, np.ndarray]:
    words, bigrams = _symspell_counts()
    english = _zipf_table("en", "large")
    foreign: dict[str, int] = {}
    for lang in FOREIGN:
        for word, z in _zipf_table(lang, "small").items():
            foreign[word] = max(z, foreign.get(word, 0))
    vocab = sorted(set(words) | set(english) | set(foreign))
    keys, order = _sorted_keys(vocab)
    terms = sorted(words)
    term_id = {t: i for i, t in enumerate(terms)}
    arrays = {
        "vocab": keys,
        "zipf": np.array([english.get(vocab[i], 0) for i in order], dtype=np.uint16),
        "count": np.array([words.get(vocab[i], 0) for i in order], dtype=np.uint64),
        "foreign": np.array([foreign.get(vocab[i], 0) for i in order], dtype=np.uint16),
        "terms": np.frombuffer("\n".join(terms).encode(), dtype=np.uint8),
    }
    pairs = list(bigrams)
    arrays["bigrams"], order = _sorted_keys(pairs)
    arrays["bigram_count"] = np.array([bigrams[pairs[i]] for i in order], dtype=np.uint64)
    arrays.update(_delete_index(terms, term_id))
    return arrays


def _sorted_keys(strings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    hashes = np.array([word_hash(s) for s in strings], dtype=np.uint64)
    order = np.argsort(hashes, kind="stable")
    return hashes[order], order


def _delete_index(terms: list[str], term_id: dict[str, int]) -> dict[str, np.ndarray]:
    index: dict[str, list[int]] = {}
    for term in terms:
        for delete in _deletes(term[:PREFIX_LENGTH], MAX_DISTANCE):
            index.setdefault(delete, []).append(term_id[term])
    keys, order = _sorted_keys(list(index))
    lists = list(index.values())
    sizes = np.array([len(lists[i]) for i in order], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    ids = np.array([t for i in order for t in lists[i]], dtype=np.int32)
    return {"delete_keys": keys, "delete_offsets": offsets, "delete_ids": ids}


def _symspell_counts() -> tuple[dict[str, int], dict[str, int]]:
    package = resources.files("symspellpy")
    return (_counts(package / "frequency_dictionary_en_82_765.txt", 1),
            _counts(package / "frequency_bigramdictionary_en_243_342.txt", 2))


def _counts(path, key_parts: int) -> dict[str, int]:
    counts = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == key_parts + 1:
            counts[" ".join(parts[:key_parts])] = int(parts[key_parts])
    return counts


def _zipf_table(lang: str, wordlist: str) -> dict[str, int]:
    """Zipf x 100 of each purely alphabetic word (apostrophes dropped: "didn't" -> "didnt")."""
    from wordfreq import get_frequency_dict

    table: dict[str, int] = {}
    for word, freq in get_frequency_dict(lang, wordlist).items():
        word = word.replace("'", "")
        if word.isalpha() and freq > 0:
            z = max(1, round(100 * (math.log10(freq) + 9)))
            table[word] = max(z, table.get(word, 0))
    return table
