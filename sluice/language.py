"""Offline language detection: scripts first, then stopword profiles for Latin-script
languages. Short or mixed text gives None ("unknown"), which correction treats as English."""

from __future__ import annotations

import re
from collections import Counter

_PROFILES = {
    "en": "the of and to in is that for it was on are with as be by this at from have not "
          "but or an which they has were said its will would",
    "de": "der die und den das ist nicht von mit sich des auf für ein eine dem zu im auch "
          "als wird wurde bei oder nach werden sie",
    "fr": "le la les des est et une un du dans pour que qui pas sur au avec ce sont par "
          "plus été aux cette il elle",
    "es": "el la los las de que y en un una por con para es del se al lo como más pero sus "
          "fue ha este está",
    "it": "il di che la è per una un del della non con sono le gli si da dei nel alla anche "
          "come più ha questo",
    "pt": "de que o a do da em um uma para com não os as dos das no na por mais foi ao se é "
          "são pelo",
    "nl": "de het een en van in is dat op te zijn met voor niet aan er ook als door bij "
          "worden naar maar werd",
    "sv": "och att det som en på är av för med till den har inte om ett var jag men så "
          "från vid kan",
    "da": "og at det som en på er af for med til den har ikke om et var jeg men så fra "
          "ved kan blev",
    "fi": "ja on ei se että oli ovat mutta kuin hän myös tai sen joka niin kun ole",
    "pl": "i w na z że do nie się jest to jak po przez od za dla oraz być tak",
}
_WORDS = {lang: frozenset(words.split()) for lang, words in _PROFILES.items()}
_SCRIPTS = [("ru", r"[\u0400-\u04ff]"), ("el", r"[\u0370-\u03ff]"), ("he", r"[\u0590-\u05ff]"),
            ("ar", r"[\u0600-\u06ff]"), ("ja", r"[\u3040-\u30ff]"), ("zh", r"[\u4e00-\u9fff]"),
            ("ko", r"[\uac00-\ud7af]"), ("th", r"[\u0e00-\u0e7f]"), ("hi", r"[\u0900-\u097f]")]
_TOKEN = re.compile(r"[^\W\d_]+")


def detect_language(text: str, min_words: int = 5) -> str | None:
    sample = text[:5000]
    letters = sum(c.isalpha() for c in sample) or 1
    for lang, script in _SCRIPTS:  # kana before han: Japanese mixes both
        if len(re.findall(script, sample)) > 0.3 * letters:
            return lang
    words = [w.lower() for w in _TOKEN.findall(sample)]
    if len(words) < min_words:
        return None
    hits = Counter({lang: sum(w in stop for w in words) for lang, stop in _WORDS.items()})
    (best, top), (_, second) = (hits.most_common(2) + [("", 0)])[:2]
    if top < max(2, 0.08 * len(words)) or top < 1.5 * second:
        return None
    return best
