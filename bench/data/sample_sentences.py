"""Draw candidate sentences for the labelled sets from Reuters (docs 5000 on, so they are
disjoint from the 2,000 documents the correction measures use). Labels were then proposed
by the extractors and every sentence was read and its labels corrected by hand; see README.

Usage: python bench/data/sample_sentences.py money|dates N > candidates.jsonl
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from quality import reuters_documents  # noqa: E402

from sluice.clean import clean_documents  # noqa: E402
from sluice.config import CleanConfig  # noqa: E402

# cues broader than the extractors, so sentences they miss are drawn too
CUES = {
    "money": re.compile(r"\d[\d,.]*(?: (?:mln|bln|billion|million|thousand))? ?(?:[A-Za-z.]+ )?"
                        r"(?:dlrs?|cts|cents|stg|yen|marks|francs|crowns|pounds|guilders|lire"
                        r"|tonnes|tons|barrels|bpd|ounces|bushels|acres|hectares|kilos|miles"
                        r"|feet|lbs|gallons|cubic|megawatts)\b|[$£€¥]\d|\bstg \d"),
    "dates": re.compile(r"\b(?:Jan|Feb|March|April|May|June|July|Aug|Sept|Oct|Nov|Dec)[a-z]*\b"
                        r"|\b(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\b|\b(?:19|20)\d\d\b"
                        r"|\b(?:today|yesterday|tomorrow|last|next) ?(?:week|month|year)?\b"),
}
_SPLIT = re.compile(r"(?<=[a-z0-9)][.!?])\s+(?=[A-Z])|\n+")


def main(kind: str, n: int) -> None:
    rng = random.Random(42)
    docs = reuters_documents(12000)[5000:]
    rng.shuffle(docs)
    out = 0
    for doc in clean_documents(docs[:3000], CleanConfig(steps=CleanConfig().steps[:-3])):
        sentences = [s.strip() for s in _SPLIT.split(doc.text) if 40 <= len(s.strip()) <= 260]
        hits = [s for s in sentences if CUES[kind].search(s)]
        if hits:
            print(json.dumps({"doc": doc.id, "date": doc.metadata["date"],
                              "sentence": rng.choice(hits)}))
            out += 1
        if out == n:
            break


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
