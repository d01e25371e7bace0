"""Reasons to leave an unknown word alone that its spelling alone cannot give: where it
stands (code, garbled text, beside a name) and how the best fix relates to it.

Each rule was added for a kind of false change seen on the even-indexed (tuning) e-mails
and wires, and kept only when it removed more false changes than fixes there.
"""

from __future__ import annotations

import re

# Characters that are rare in prose and common in code, shell sessions and logs.
# ('>' and '<' are left out: e-mail quotes every line with '>')
_CODE_CHARS = frozenset("{}[]()$=;|\\_/*#@%&+`^~")
CODE_WINDOW = 60  # characters each side of the word that are looked at
CODE_SHARE = 0.06  # ...and the share of code characters among them that marks code
# Glued or cut words: a fix that only adds or drops two or more letters at an end.
MIN_GLUE = 2


def beside_odd_char(text: str, start: int, end: int) -> bool:
    """Glued to a non-ASCII character or to a '?' inside a word: a name or word whose
    accented letter was lost to a wrong encoding ("St?phane", "co\ufffdperative")."""
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    if not before.isascii() or not after.isascii():
        return True
    inner_q = (before == "?" and start > 1 and text[start - 2].isalpha()) or (
        after == "?" and end + 1 < len(text) and text[end + 1].isalpha())
    return inner_q


def in_code(text: str, start: int, end: int) -> bool:
    """The word sits in code, a command line, a log or markup: many code characters in
    the same paragraph around it."""
    left = text.rfind("\n", max(0, start - CODE_WINDOW), start) + 1 or max(0, start - CODE_WINDOW)
    right = text.find("\n", end, end + CODE_WINDOW)
    right = right if right >= 0 else min(len(text), end + CODE_WINDOW)
    window = text[left:start] + text[end:right]
    if not window.strip():
        return False
    return sum(ch in _CODE_CHARS for ch in window) >= CODE_SHARE * len(window)


def named_in_text(text: str, word: str) -> bool:
    """The text also writes the word capitalised, mid-sentence or on its own: a name
    ("Udhay ... udhay@pobox.com") rather than a typo."""
    return re.search(rf"(?<![.!?]\s)(?<!^)\b{word[0].upper()}{word[1:]}\b", text) is not None


def glued_or_cut(word: str, term: str) -> bool:
    """The fix drops or adds letters at one end only: a run-together word ("spellingis"),
    a program name built on a word ("aumix", "openssh"), or a word cut short ("previo")."""
    longer, shorter = (word, term) if len(word) > len(term) else (term, word)
    if len(longer) - len(shorter) < MIN_GLUE:
        return False
    return longer.startswith(shorter) or longer.endswith(shorter)



# Affixes that build new words from known ones ("untrusted", "bootable", "expensing").
PREFIXES = ("un", "re", "de", "non", "dis", "mis", "pre", "co", "over", "under", "counter",
            "sub", "inter", "super", "anti", "multi", "auto", "micro", "semi", "out", "up")
SUFFIXES = ("ers", "er", "able", "ing", "ed", "ist", "ists", "ism", "ation", "ations", "ness",
            "less", "ment", "ments", "ly", "ize", "ized", "izes", "ise", "ised", "ity", "al",
            "ful", "ship")
MIN_STEM = 5  # "co"+"many", "sub"+"jest": short stems make chance derivations


def derived(word: str, known) -> bool:
    """The word is a known word with a prefix or suffix: a derivation the dictionary
    lacks ("counterparties", "upgraders", "delisted"), not a typo. `known(stem)` says
    whether a stem is a word."""
    for prefix in PREFIXES:
        stem = word[len(prefix):]
        if word.startswith(prefix) and len(stem) >= MIN_STEM and known(stem):
            return True
    for suffix in SUFFIXES:
        stem = word[: -len(suffix)]
        if word.endswith(suffix) and len(stem) >= MIN_STEM and known(stem):
            return not _misspelt_suffix(stem, suffix)
    return False


def _misspelt_suffix(stem: str, suffix: str) -> bool:
    """The usual ways of gluing a suffix wrongly: an "e" kept ("giveing", "truely",
    "desireable") or "-ic" + "ly" for "-ically" ("specificly")."""
    kept_e = stem.endswith("e") and (suffix[0] in "aeiou" or suffix == "ly")
    return kept_e or (stem.endswith("ic") and suffix == "ly")


# A fix that only strips a prefix is a derivation, not a typo: "unindicted", "reoffending".
FIX_PREFIXES = ("un", "re", "non", "dis", "mis", "pre", "de", "co", "in", "im", "anti", "over")


def prefixed_or_glued(word: str, term: str) -> bool:
    """A prefix stripped, added or swapped, or one letter glued before a word: names in
    code and mail ("xfilter", "kwave", "nobject"), which hand typing hardly ever produces."""
    glued = word[1:] == term and word[0] != word[1]  # "tthe" is a slip, "kwave" is not
    if glued or any(word == p + term or term == p + word for p in FIX_PREFIXES):
        return True
    # one prefix for another builds another word: "unstall" is no typo of "install"
    return any(word.startswith(p) and term.startswith(q) and word[len(p):] == term[len(q):]
               for p in FIX_PREFIXES for q in FIX_PREFIXES if p != q)
