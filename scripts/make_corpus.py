"""Write a corpus of small, distinct English text documents, for job-control tests and benchmarks.

    python -m scripts.make_corpus data/jobs-corpus 300
"""

from __future__ import annotations

import sys
from pathlib import Path

PEOPLE = ["Alice Smith", "Bob Jones", "Carmen Diaz", "Deepak Rao", "Erin O'Neill", "Femi Ade"]
PLACES = ["Chicago", "Lisbon", "Osaka", "Nairobi", "Toronto", "Hamburg"]
FIRMS = ["Acme Corporation", "Globex", "Initech", "Umbrella Holdings", "Stark Industries"]


def write_corpus(folder: Path, count: int) -> list[Path]:
    """`count` files of a few sentences each; every text differs, so every id differs."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        who, other = PEOPLE[i % len(PEOPLE)], PEOPLE[(i * 7 + 1) % len(PEOPLE)]
        where, firm = PLACES[i % len(PLACES)], FIRMS[i % len(FIRMS)]
        text = (f"Report {i}. {who} met {other} in {where} on March {i % 28 + 1}, 2021 to "
                f"discuss the {firm} merger worth ${i * 13 % 900 + 100} million.\n\n"
                f"The meeting lasted {i % 5 + 1} hours. {other} will travel to "
                f"{PLACES[(i + 2) % len(PLACES)]} next week, and {firm} expects a decision "
                f"before the end of the quarter.\n")
        path = folder / f"doc-{i:05d}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    write_corpus(Path(sys.argv[1]), int(sys.argv[2]))
