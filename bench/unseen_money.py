"""Money mentions on text the extractor was not written on: Sluice vs quantulum3.

The set (bench/data/unseen/money*.jsonl, labelled by reading; rules in bench/data/README.md)
holds sentences from three kinds of source: Reuters wires datelined outside the US
(documents 12,000 on), State of the Union addresses (1790-2021) and SpamAssassin e-mails.
money.jsonl is split by a fixed rule (document number parity) into a tuning half, which
the extractor was tuned on, and a held-out half, which it was not; money_fresh.jsonl was
drawn and labelled after tuning had finished. Hard negatives: money_negatives.jsonl.
Each sentence is read with the context of its whole document (sluice.currency.
document_context over the document as the clean stage sees it), as the pipeline reads it.

    python bench/unseen_money.py                 # measure, write bench/results/unseen_money.json
    python bench/unseen_money.py sample N SEED   # draw candidate sentences (for labelling)
"""

from __future__ import annotations

import gzip
import json
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sluice.clean import clean_documents  # noqa: E402
from sluice.config import CleanConfig  # noqa: E402
from sluice.currency import document_context, find_currency  # noqa: E402
from sluice.parse import parse_or_fail  # noqa: E402
from sluice.records import Document, RawDocument, SourceRef  # noqa: E402

CORPORA = ROOT.parent / "shared" / "corpora"
DATA = ROOT / "bench" / "data" / "unseen"
RESULTS = ROOT / "bench" / "results" / "unseen_money.json"
# Broader than the extractor: any digit or number word within a few words of a currency
# word, code or symbol, so sentences it misses are drawn too.
_CURRENCY_WORD = (r"[$£€¥]|\b(?:dollars?|dlrs?|cents?|pounds?|stg|sterling|francs?|pesos?"
                  r"|marks?|yen|euros?|rupees?|crowns?|kronor|lire|lira|guilders?|rand|yuan"
                  r"|usd|aud|cad|eur|gbp|hkd|nzd|sgd|chf|jpy|bucks)\b")
_NUMBERISH = (r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
              r"|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand"
              r"|million|billion|half|quarter|dozen|a few)\b")
CUE = re.compile(rf"(?:{_NUMBERISH})[^.;\n]{{0,40}}(?:{_CURRENCY_WORD})"
                 rf"|(?:{_CURRENCY_WORD})[^.;\n]{{0,25}}(?:{_NUMBERISH})", re.IGNORECASE)
_SPLIT = re.compile(r"(?<=[a-z0-9)%][.!?])\s+(?=[A-Z\"$])|\n{2,}|\n(?=\s)")
_TEXT_STEPS = CleanConfig().steps[:-3]  # every text step, none of the mention steps


def reuters(wanted: set[str] | None = None) -> Iterator[Document]:
    """Wires 12,000 on (numbered as bench/quality.py does) whose places do not include usa."""
    n = -1
    with gzip.open(CORPORA / "reuters-21578.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            if not record.get("body", "").strip():
                continue
            n += 1
            places = record.get("places") or []
            if n >= 12000 and places and "usa" not in places and _wanted(str(n), wanted):
                yield Document(id=str(n), source="reuters", format="jsonl", text=record["body"],
                               metadata={"date": record["date"], "places": places})


def sotu(wanted: set[str] | None = None) -> Iterator[Document]:
    for path in sorted((CORPORA / "sotu").glob("*.txt")):
        if not _wanted(path.stem, wanted):
            continue
        year = path.name[:4]
        yield Document(id=path.stem, source="sotu", format="txt",
                       text=path.read_text(encoding="utf-8"), metadata={"date": year})


def spamassassin(wanted: set[str] | None = None) -> Iterator[Document]:
    """Each raw message parsed as the pipeline parses an .eml file (headers -> metadata)."""
    with gzip.open(CORPORA / "spamassassin.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            name = f"{record['group']}/{record['id']}"  # ids repeat across groups
            if not _wanted(name, wanted):
                continue
            raw = RawDocument(id=name, ref=SourceRef(uri=f"{name}.eml", format="eml"),
                              data=record["raw_message"].encode("utf-8", "surrogateescape"))
            doc = parse_or_fail(raw)
            if isinstance(doc, Document):
                yield doc


def _wanted(doc_id: str, wanted: set[str] | None) -> bool:
    return wanted is None or doc_id in wanted


SOURCES = {"reuters": reuters, "sotu": sotu, "spamassassin": spamassassin}


def split_of(source: str, doc_id: str) -> str:
    """Fixed rule: even document numbers (SOTU: even years; e-mails: the number after the
    group, "spam-2/00009" is 9) tune, odd ones are held out."""
    number = re.findall(r"\d+", doc_id)[-1] if source == "spamassassin" else \
        re.search(r"\d+", doc_id).group()
    return "tuning" if int(number) % 2 == 0 else "heldout"


def cleaned(docs: list[Document]) -> list[Document]:
    return clean_documents(docs, CleanConfig(steps=_TEXT_STEPS))


def sample(n: int, seed: int) -> None:
    """Candidate sentences, at most two per document, n per source, as JSON lines."""
    rng = random.Random(seed)
    labelled = {(r["source"], r["doc"]) for r in _rows("money.jsonl")} \
        if (DATA / "money.jsonl").exists() else set()
    for source, load in SOURCES.items():
        docs = [d for d in load() if (source, d.id) not in labelled]
        rng.shuffle(docs)
        out = 0
        for doc in cleaned(docs[:1500]):
            sentences = [s.strip() for s in _SPLIT.split(doc.text) if 25 <= len(s.strip()) <= 320]
            hits = [s for s in sentences if CUE.search(s)]
            for sentence in rng.sample(hits, min(2, len(hits))):
                print(json.dumps({"source": source, "doc": doc.id,
                                  "split": split_of(source, doc.id), "sentence": sentence}))
                out += 1
            if out >= n:
                break


# Amounts in words as written in the set's sentences (each is checked to occur there),
# for choosing the number-words library: text2num against number-parser.
WORD_AMOUNTS = {
    "half-a-billion": 5e8, "half a trillion": 5e11, "one-half billion": 5e8,
    "a billion and a half": 1.5e9, "a billion": 1e9, "a million": 1e6, "thirty million": 3e7,
    "ten billion": 1e10, "forty-eight-billion": 48e9, "Twenty-five": 25,
    "Twenty Million, Five Hundred Thousand": 20.5e6, "FIFTY MILLION": 5e7,
    "Three Hundred and Thirty Eight Million": 338e6, "six million": 6e6, "Four": 4,
    "thirty-three": 33, "five billion": 5e9, "three billion": 3e9, "four billion": 4e9,
}


def evaluate() -> dict:
    """Exact (amount, code) matches per source and split, for Sluice and quantulum3."""
    rows = _rows("money.jsonl") + _rows("money_fresh.jsonl")
    contexts = _contexts(rows)
    sluice = _score(rows, lambda r: find_currency(r["sentence"], contexts[(r["source"],
                                                                          r["doc"])]))
    plain = _score(rows, lambda r: find_currency(r["sentence"]))
    quantulum = _score(rows, _quantulum)
    negatives = _rows("money_negatives.jsonl")
    return {
        "set": {"sentences": len(rows), "mentions": sum(len(r["mentions"]) for r in rows),
                "negatives": len(negatives)},
        "sluice": sluice, "sluice_without_context": plain, "quantulum3": quantulum,
        "hard_negatives_misread": {
            "sluice": _score(negatives, lambda r: find_currency(r["sentence"]))["extra"],
            "quantulum3": _score(negatives, _quantulum)["extra"]},
        "word_number_libraries": _compare_word_parsers(rows),
        "summary": {name: {k: res[k] for k in ("exact", "by_split")}
                    for name, res in (("sluice", sluice), ("quantulum3", quantulum))},
    }


def _rows(name: str) -> list[dict]:
    with open(DATA / name, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _contexts(rows: list[dict]) -> dict:
    """Each row's document, loaded and cleaned as the pipeline would, gives the context."""
    out = {}
    for source, load in SOURCES.items():
        wanted = {r["doc"] for r in rows if r["source"] == source}
        for doc in cleaned(list(load(wanted))):
            out[(source, doc.id)] = document_context(doc.metadata, doc.text)
    return out


def _score(rows: list[dict], find: Callable[[dict], list[dict]]) -> dict:
    cells: dict[tuple[str, str], Counter] = {}
    started = time.perf_counter()
    for row in rows:
        found = find(row)
        want = Counter(_key(m) for m in row["mentions"])
        got = Counter(_key(m) for m in found)
        cell = cells.setdefault((row["source"], row.get("split", "all")), Counter())
        cell["mentions"] += sum(want.values())
        cell["exact"] += sum((want & got).values())
        cell["extra"] += sum((got - want).values())
        cell["inferred"] += sum(m["inferred"] for m in row["mentions"])
        cell["inferred_flagged"] += sum(1 for m in row["mentions"] if m["inferred"] and any(
            _key(f) == _key(m) and f.get("inferred") for f in found))
    total = sum(cells.values(), Counter())
    by_split = {}
    for split in ("tuning", "heldout", "fresh"):
        part = sum((c for (_, sp), c in cells.items() if sp == split), Counter())
        by_split[split] = _rate(part)
    return {"exact": _rate(total)["exact"], "mentions": total["mentions"],
            "extra": total["extra"], "inferred_flagged": f"{total['inferred_flagged']}/"
            f"{total['inferred']}", "by_split": by_split,
            "by_source": {f"{src}/{sp}": _rate(c) for (src, sp), c in sorted(cells.items())},
            "ms_per_sentence": round((time.perf_counter() - started) * 1000 / len(rows), 3)}


def _rate(c: Counter) -> dict:
    return {"exact": round(c["exact"] / c["mentions"], 4) if c["mentions"] else None,
            "mentions": c["mentions"], "extra": c["extra"]}


def _key(m: dict) -> tuple[float, str]:
    return round(float(m["amount"]), 2), m["currency"]


_QUANTULUM_NAMES = {"dollar": "USD", "euro": "EUR", "pound sterling": "GBP", "yen": "JPY"}


def _quantulum(row: dict) -> list[dict]:
    """quantulum3's currency quantities; a compound unit ("dollar per year") counts by its
    currency part, so unit prices are not held against it."""
    from quantulum3 import parser

    out = []
    for q in parser.parse(row["sentence"]):
        code = getattr(q.unit, "currency_code", None) or next(
            (c for name, c in _QUANTULUM_NAMES.items() if name in q.unit.name), None)
        if code:
            out.append({"amount": q.value, "currency": code})
    return out


def _compare_word_parsers(rows: list[dict]) -> dict:
    from number_parser import parse_number
    from text_to_num import text2num

    text = " ".join(r["sentence"] for r in rows)
    missing = [p for p in WORD_AMOUNTS if p not in text]
    assert not missing, f"not in the set's sentences: {missing}"
    tried = {"text2num": lambda p: text2num(p.lower().replace(",", ""), "en"),
             "number-parser": parse_number}
    out = {}
    for name, fn in tried.items():
        right, started = 0, time.perf_counter()
        for phrase, value in WORD_AMOUNTS.items():
            try:
                right += float(fn(phrase) or 0) == value
            except ValueError:
                pass
        out[name] = {"right": f"{right}/{len(WORD_AMOUNTS)}", "us_per_phrase": round(
            (time.perf_counter() - started) * 1e6 / len(WORD_AMOUNTS), 1)}
    return out


def main() -> None:
    if sys.argv[1:2] == ["sample"]:
        sample(int(sys.argv[2]), int(sys.argv[3]))
        return
    result = evaluate()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result["summary"], indent=2))


if __name__ == "__main__":
    main()
