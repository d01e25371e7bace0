"""Units on text the extractor was not written against: Sluice vs quantulum3.

The labelled sets (bench/data/unseen/, made as bench/data/README.md says) are real sentences
from four kinds of source, labelled by reading: `units.jsonl` (split into tuning and held-out
halves by `held_out`), `units_fresh.jsonl` (drawn and labelled after the extractor was frozen,
never tuned on) and `units_negatives.jsonl` (numbers that are not quantities: "B747",
"Section 12", "the 1990s", "Windows 2000").

    python bench/unseen_units.py            # evaluate, print, write bench/results/unseen_units.json
    python bench/unseen_units.py sample N [broad|negative] [PER_DOC] [SEED]
                                            # draw candidates (for labelling by hand)
"""

from __future__ import annotations

import gzip
import json
import math
import random
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared" / "corpora"
DATA = ROOT / "bench" / "data" / "unseen"
RESULTS = ROOT / "bench" / "results" / "unseen_units.json"
TOLERANCE = 0.005  # "exact": the SI value within 0.5% and the same SI unit

# Cues deliberately broader than the extractor: any number near any unit-like word.
_UNIT_WORDS = (
    r"(?:sq(?:uare)?\.? |cu(?:bic)?\.? |metric |short |long |gross |net |troy |nautical |"
    r"statute |imperial |fine |dead ?weight )?"
    r"(?:tonnes?|tons?|kilo(?:gram)?s?|kg|grams?|lbs?|pounds?|ounces?|oz|carats?|"
    r"barrels?|bbls?|bpd|b/d|gallons?|gals?|lit(?:re|er)s?|ml|bushels?|hectolit(?:re|er)s?|"
    r"miles?|mph|kph|km/h|kms?|kilomet(?:re|er)s?|met(?:re|er)s?|cm|mm|centimet(?:re|er)s?|"
    r"millimet(?:re|er)s?|feet|foot|ft|inch(?:es)?|yards?|yds?|acres?|hectares?|ha|"
    r"knots?|degrees?|deg|°[CF]?|celsius|fahrenheit|watts?|kw|mw|gw|kwh|mwh|megawatts?|"
    r"kilowatts?|gigawatts?|btus?|calories?|horsepower|hp|volts?|amps?|dwt|grt|cc|"
    r"cubic|square|mb|gb|kb|mhz|ghz|bytes?|bits?|psi|pints?|quarts?|cups?|"
    r"stones?|bales?|bags?|cartons?)"
)
CUE = re.compile(rf"\d[\d,.]*(?:[ -](?:mln|bln|million|billion|thousand|hundred))?[ -]?"
                 rf"(?:[A-Za-z]+ )?{_UNIT_WORDS}\b|\b(?:one|two|three|four|five|six|seven|"
                 rf"eight|nine|ten|twelve|twenty|fifty|hundred|thousand) {_UNIT_WORDS}\b"
                 r"|\d(?:t|g|l|m|mi|in|bu|ha)\b",  # short symbols only glued to the number
                 re.IGNORECASE)
# Numbers that are not quantities, to count what an extractor misreads
NEGATIVE_CUE = re.compile(
    r"\b(?:Boeing|Airbus|DC|MD|F|B|Section|Sec\.|Article|Chapter|Windows|Win|page|pages|pp\.|"
    r"Model|model|version|Version|No\.|number|Room|Route|Highway|Pentium|Intel|Flight|"
    r"Rule|Title|Form|Item|Part|Vol\.|Amendment)[ -]?\d+\b|\b\d+-\d+ (?:win|victory|defeat|"
    r"draw|lead|vote|loss|margin)\b|\b1[6-9]\d0'?s\b|\b\d+[A-Z]{1,3}\d*\b")
_SPLIT = re.compile(r"(?<=[a-z0-9)][.!?])\s+(?=[A-Z])|\n\s*\n|\n(?=[A-Z*\-•])")


def reuters_outside_us() -> Iterator[tuple[str, str]]:
    """Wires with a body, indexed as bench/quality.py does, from index 12,000, not datelined
    in the US (indices below 12,000 were used by the earlier sets)."""
    index = -1
    with gzip.open(SHARED / "reuters-21578.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            if not record.get("body", "").strip():
                continue
            index += 1
            if index >= 12_000 and record.get("places") and "usa" not in record["places"]:
                yield f"reuters:{index}", record["body"]


def sotu() -> Iterator[tuple[str, str]]:
    for path in sorted((SHARED / "sotu").glob("*.txt")):
        yield f"sotu:{path.stem}", path.read_text(encoding="utf-8", errors="replace")


def spamassassin() -> Iterator[tuple[str, str]]:
    from sluice.parse import _PARSERS

    with gzip.open(SHARED / "spamassassin.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            try:
                text = _PARSERS["eml"](record["raw_message"].encode("utf-8", "replace"))[0]
            except Exception:  # noqa: BLE001 -- a message the parser refuses is not sampled
                continue
            yield f"spam:{record['id']}", text


def pdfs() -> Iterator[tuple[str, str]]:
    from sluice.parse import _PARSERS

    for path in sorted((SHARED / "pdf").glob("*.pdf")):
        try:
            yield f"pdf:{path.name}", _PARSERS["pdf"](path.read_bytes())[0]
        except Exception:  # noqa: BLE001 -- encrypted or imageless PDFs have no sentences
            continue


SOURCES: dict[str, Callable[[], Iterator[tuple[str, str]]]] = {
    "reuters": reuters_outside_us, "sotu": sotu, "spam": spamassassin, "pdf": pdfs}


def held_out(doc: str) -> bool:
    """The fixed split: a document's number (Reuters index, SOTU year, e-mail id, PDF name
    length) odd is held out, even is for tuning."""
    key = doc.split(":", 1)[1]
    digits = re.match(r"\d+", key)
    return (int(digits.group()) if digits else len(key)) % 2 == 1


def sample(n_per_source: int, cue: re.Pattern[str] = CUE, per_doc: int = 1,
           seed: int = 11) -> None:
    """Candidate sentences, one per document (five per PDF), from documents not drawn yet."""
    from sluice.clean import clean_documents
    from sluice.config import CleanConfig
    from sluice.records import Document

    rng = random.Random(seed)
    drawn = {r["doc"] for name in ("units.jsonl", "units_negatives.jsonl")
             if (DATA / name).exists() for r in _rows(name)}
    text_steps = CleanConfig(steps=CleanConfig().steps[:-3])
    for source, docs in SOURCES.items():
        out, listed = 0, list(docs())
        rng.shuffle(listed)
        for doc_id, text in listed:
            if doc_id in drawn:
                continue
            doc = Document(id=doc_id, source=source, format="txt", text=text)
            (clean,) = clean_documents([doc], text_steps)
            sentences = [" ".join(s.split()) for s in _SPLIT.split(clean.text)]
            hits = [s for s in sentences if 30 <= len(s) <= 300 and cue.search(s)]
            take = per_doc * (5 if source == "pdf" else 1)  # few PDFs say anything measured
            for s in rng.sample(hits, min(take, len(hits))):
                print(json.dumps({"doc": doc_id, "sentence": s}))
                out += 1
            if out >= n_per_source:
                break


def _rows(name: str) -> list[dict]:
    with open(DATA / name, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _sluice(sentence: str) -> list[tuple[float, str]]:
    from sluice.currency import find_currency
    from sluice.units import find_units

    money = [(m["start"], m["end"]) for m in find_currency(sentence)]
    return [(m["si_value"], m["si_unit"]) for m in find_units(sentence, money)]


def _quantulum(sentence: str) -> list[tuple[float, str]]:
    """quantulum3's quantities put into SI with pint (the same conversion Sluice uses), so
    only its reading of the text is measured. Plain numbers (dimensionless) and durations
    are left out: neither is labelled (so "the 1970s" read as seconds is not counted)."""
    from quantulum3 import parser

    from sluice.units import _to_si

    found = []
    for q in parser.parse(sentence):
        parts = q.unit.name.replace("metre", "meter").replace("litre", "liter").split(" per ")
        name = " / ".join({"barrel": "oil_barrel"}.get(p, p).replace(" ", "_") for p in parts)
        try:
            unit, factor, offset, _ = _to_si(name)
        except Exception:  # noqa: BLE001 -- a unit pint cannot read (money, "dimensionless")
            continue
        if unit not in ("1", "s"):
            found.append((float(f"{q.value * factor + offset:.9g}"), unit))
    return found


def _same(label: dict, found: tuple[float, str]) -> bool:
    return label["unit"] == found[1] and math.isclose(label["value"], found[0],
                                                      rel_tol=TOLERANCE)


def _score(extract: Callable[[str], list[tuple[float, str]]]) -> dict:
    by: dict[str, dict[str, int]] = {}
    fresh = [dict(r, part="fresh") for r in _rows("units_fresh.jsonl")]
    for row in [*_rows("units.jsonl"), *fresh]:
        found = extract(row["sentence"])
        part = row.get("part") or ("held_out" if held_out(row["doc"]) else "tuning")
        keys = (row["source"], part, f"{row['source']}/{part}", "all") if part != "fresh" \
            else ("fresh", f"{row['source']}/fresh")
        for key in keys:
            c = by.setdefault(key, {"labelled": 0, "exact": 0, "extra": 0})
            c["labelled"] += len(row["mentions"])
            c["exact"] += sum(any(_same(m, f) for f in found) for m in row["mentions"])
            c["extra"] += sum(not any(_same(m, f) for m in row["mentions"]) for f in found)
    negatives = _rows("units_negatives.jsonl")
    misread = [r["sentence"] for r in negatives if extract(r["sentence"])]
    return {"exact": {k: round(100 * c["exact"] / max(c["labelled"], 1), 1)
                      for k, c in sorted(by.items())},
            "counts": by, "hard_negatives": len(negatives),
            "hard_negatives_misread": len(misread), "misread_examples": misread[:5]}


def evaluate() -> dict:
    """Sluice and quantulum3 on the same labelled sentences; exact = SI value within 0.5%."""
    from sluice.units import find_units

    start = time.perf_counter()
    find_units("12 mph")  # the unit table: built from pint once, or read from the cache
    first_use = time.perf_counter() - start
    rows = _rows("units.jsonl")
    start = time.perf_counter()
    for row in rows:
        _sluice(row["sentence"])
    per_sentence = (time.perf_counter() - start) / len(rows)
    results = {"sentences": len(rows), "mentions": sum(len(r["mentions"]) for r in rows),
               "sluice": _score(_sluice), "quantulum3": _score(_quantulum),
               "sluice_first_use_s": round(first_use, 3),
               "sluice_ms_per_sentence": round(per_sentence * 1000, 3)}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    if sys.argv[1:2] == ["sample"]:
        sample(int(sys.argv[2]), NEGATIVE_CUE if sys.argv[3:4] == ["negative"] else CUE,
               int(sys.argv[4]) if len(sys.argv) > 4 else 1,
               int(sys.argv[5]) if len(sys.argv) > 5 else 11)
    else:
        out = evaluate()
        for name in ("sluice", "quantulum3"):
            print(name, json.dumps(out[name]["exact"]), "hard negatives misread:",
                  f"{out[name]['hard_negatives_misread']}/{out[name]['hard_negatives']}")
        print(f"first use {out['sluice_first_use_s']} s, "
              f"{out['sluice_ms_per_sentence']} ms a sentence")
