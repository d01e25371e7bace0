"""Units on text the extractor was not written against: Sluice vs quantulum3.

The labelled sets (bench/data/unseen/, made as bench/data/README.md says) are real sentences
from four kinds of source, labelled by reading: `units.jsonl` (split into tuning and held-out
halves by `held_out`), `units_fresh.jsonl` and `units_fresh2.jsonl` (the first and second
fresh sets: each measured once, then tuned on), `units_fresh3.jsonl` (drawn and labelled
after the extractor was frozen a third time, never tuned on), `units_negatives.jsonl` and
`units_negatives2.jsonl` (numbers that are not quantities: "B747", "Section 12", "the
1990s", "Windows 2000"). `units_seen.jsonl` lists documents read while tuning, which the
sampler skips. Documents are numbered as `reuters:N` (datelined outside the US),
`reuters-us:N` (US-datelined wires on traded goods, first drawn for units_fresh3), `sotu:`,
`spam:` and `pdf:`.

    python bench/unseen_units.py            # evaluate, print, write bench/results/unseen_units.json
    python bench/unseen_units.py sample N [broad|wide|negative] [PER_DOC] [SEED] [MAX_LEN]
                                        [SOURCES]  # draw candidates (for labelling by hand)
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
# The extractor before the rules tuned on units_fresh.jsonl (frozen before units_fresh2)
BEFORE = "634ac74"
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
# Wider still, for units_fresh2.jsonl: a unit-like word or symbol up to three words after a
# number, or any mark or short symbol glued to one ('15"', "5'11", "57F", "10pt", "933mhz")
_MORE_WORDS = (r"(?:microns?|nm|µm|μm|mg|pt|mi|psi|volts?|amps?|°|inch|in\.|sq|cu|pints?|"
               r"quarts?|teaspoons?|tablespoons?|cups?|mph|rpm|ft|yd|cc|hz|khz|mhz|ghz|"
               r"tons?|tonnes?|gallons?|miles?|feet|foot|metres?|meters?|kilos?|pounds?|lbs?)")
WIDE_CUE = re.compile(
    rf"\d[\d,.]*(?:\s+\S+){{0,3}}?\s*(?:{_UNIT_WORDS}|{_MORE_WORDS})\b"
    rf"|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|"
    rf"thirty|forty|fifty|hundred|thousand|half|quarter)[- ](?:\S+[- ]){{0,2}}?"
    rf"(?:{_UNIT_WORDS}|{_MORE_WORDS})\b"
    r"|\d(?:\"|''|″|'\d| ?[CF]\b|(?!st|nd|rd|th|am|pm)[a-z]{1,3}\b)", re.IGNORECASE)
# Numbers that are not quantities, to count what an extractor misreads
NEGATIVE_CUE = re.compile(
    r"\b(?:Boeing|Airbus|DC|MD|F|B|Section|Sec\.|Article|Chapter|Windows|Win|page|pages|pp\.|"
    r"Model|model|version|Version|No\.|number|Room|Route|Highway|Pentium|Intel|Flight|"
    r"Rule|Title|Form|Item|Part|Vol\.|Amendment)[ -]?\d+\b|\b\d+-\d+ (?:win|victory|defeat|"
    r"draw|lead|vote|loss|margin)\b|\b1[6-9]\d0'?s\b|\b\d+[A-Z]{1,3}\d*\b")
_SPLIT = re.compile(r"(?<=[a-z0-9)][.!?])\s+(?=[A-Z])|\n\s*\n|\n(?=[A-Z*\-•])")


def reuters_wires(first: int = 12_000) -> Iterator[tuple[int, dict]]:
    """(index, record) of the wires with a body, indexed as bench/quality.py does, from
    `first` (indices below 12,000 were used by the earlier sets)."""
    index = -1
    with gzip.open(SHARED / "reuters-21578.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            if not record.get("body", "").strip():
                continue
            index += 1
            if index >= first:
                yield index, record


def reuters_outside_us() -> Iterator[tuple[str, str]]:
    """Wires from index 12,000 not datelined in the US."""
    for index, record in reuters_wires():
        if record.get("places") and "usa" not in record["places"]:
            yield f"reuters:{index}", record["body"]


# Reuters topics of traded goods: the US-datelined wires on them (from index 12,000, never
# drawn before units_fresh3.jsonl) are a source of quantities the earlier draws left alone
COMMODITIES = frozenset(
    "alum barley carcass cocoa coconut coconut-oil coffee copper copra-cake corn corn-oil "
    "cotton cotton-oil cpu crude dlr fishmeal fuel gas gold grain groundnut groundnut-oil heat "
    "hog iron-steel jet l-cattle lead lei lin-meal lin-oil linseed livestock lumber meal-feed "
    "nat-gas nickel oat oilseed orange palladium palm-oil palmkernel pet-chem platinum "
    "potato propane rape-meal rape-oil rapeseed red-bean rice rubber rye ship silver "
    "sorghum soy-meal soy-oil soybean strategic-metal sugar sun-meal sun-oil sunseed tapioca "
    "tea tin veg-oil wheat wool wpi zinc".split()) - {"dlr", "cpu", "wpi", "lei"}


def reuters_us_commodities() -> Iterator[tuple[str, str]]:
    """US-datelined wires on traded goods (topics in COMMODITIES), from index 12,000."""
    for index, record in reuters_wires():
        if "usa" in record.get("places", []) and COMMODITIES & set(record.get("topics", [])):
            yield f"reuters-us:{index}", record["body"]


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
    "reuters": reuters_outside_us, "reuters-us": reuters_us_commodities, "sotu": sotu,
    "spam": spamassassin, "pdf": pdfs}


def held_out(doc: str) -> bool:
    """The fixed split: a document's number (Reuters index, SOTU year, e-mail id, PDF name
    length) odd is held out, even is for tuning."""
    key = doc.split(":", 1)[1]
    digits = re.match(r"\d+", key)
    return (int(digits.group()) if digits else len(key)) % 2 == 1


def sample(n_per_source: int, cue: re.Pattern[str] = CUE, per_doc: int = 1,
           seed: int = 11, max_len: int = 300, sources: str = "") -> None:
    """Candidate sentences, one per document (five per PDF), from documents not drawn yet."""
    from sluice.clean import clean_documents
    from sluice.config import CleanConfig
    from sluice.records import Document

    rng = random.Random(seed)
    drawn = _drawn()
    text_steps = CleanConfig(steps=CleanConfig().steps[:-3])
    for source, docs in SOURCES.items():
        if sources and source not in sources.split(","):
            continue
        out, listed = 0, list(docs())
        rng.shuffle(listed)
        for doc_id, text in listed:
            if doc_id in drawn:
                continue
            doc = Document(id=doc_id, source=source, format="txt", text=text)
            (clean,) = clean_documents([doc], text_steps)
            sentences = [" ".join(s.split()) for s in _SPLIT.split(clean.text)]
            hits = [s for s in sentences if 30 <= len(s) <= max_len and cue.search(s)]
            take = per_doc * (5 if source == "pdf" else 1)  # few PDFs say anything measured
            for s in rng.sample(hits, min(take, len(hits))):
                print(json.dumps({"doc": doc_id, "sentence": s}))
                out += 1
            if out >= n_per_source:
                break


def _drawn() -> set[str]:
    """Every document a units set has drawn from or that was read while tuning
    (units_seen.jsonl: cited in the tests, shown in a before/after diff), so a fresh draw
    never reuses one."""
    return {row["doc"] for path in DATA.glob("units*.jsonl") for row in _rows(path.name)}


def _rows(name: str) -> list[dict]:
    with open(DATA / name, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _sluice(sentence: str, find_units: Callable | None = None) -> list[tuple[float, str]]:
    from sluice.currency import find_currency
    from sluice.units import find_units as current

    money = [(m["start"], m["end"]) for m in find_currency(sentence)]
    return [(m["si_value"], m["si_unit"]) for m in (find_units or current)(sentence, money)]


def before_units() -> Callable | None:
    """`find_units` as it was at commit BEFORE (sluice/units.py and unit_names.py loaded
    from git as a package of their own, with a unit table cached under its own key), or
    None without git history."""
    import atexit
    import importlib
    import shutil
    import subprocess
    import tempfile

    top = tempfile.mkdtemp(prefix="sluice-units-")
    atexit.register(shutil.rmtree, top, ignore_errors=True)
    folder = Path(top) / "sluice_units_before"
    folder.mkdir()
    for name in ("units", "unit_names"):
        shown = subprocess.run(["git", "-C", str(ROOT), "show", f"{BEFORE}:sluice/{name}.py"],
                               capture_output=True, text=True, check=False)
        if shown.returncode:
            return None
        (folder / f"{name}.py").write_text(shown.stdout.replace(
            "from sluice.unit_names", "from sluice_units_before.unit_names").replace(
            "from sluice import unit_names", "from sluice_units_before import unit_names"))
    (folder / "__init__.py").write_text("")
    sys.path.insert(0, str(folder.parent))
    return importlib.import_module("sluice_units_before.units").find_units


def _quantulum(sentence: str) -> list[tuple[float, str]]:
    """quantulum3's quantities put into SI with pint (the same conversion Sluice uses), so
    only its reading of the text is measured. Plain numbers (dimensionless) and durations
    are left out: neither is labelled (so "the 1970s" read as seconds is not counted)."""
    from quantulum3 import parser

    from sluice.unit_table import to_si

    found = []
    for q in parser.parse(sentence):
        parts = q.unit.name.replace("metre", "meter").replace("litre", "liter").split(" per ")
        name = " / ".join({"barrel": "oil_barrel"}.get(p, p).replace(" ", "_") for p in parts)
        try:
            unit, factor, offset, _ = to_si(name)
        except Exception:  # noqa: BLE001 -- a unit pint cannot read (money, "dimensionless")
            continue
        if unit not in ("1", "s"):
            found.append((float(f"{q.value * factor + offset:.9g}"), unit))
    return found


def _same(label: dict, found: tuple[float, str]) -> bool:
    return label["unit"] == found[1] and math.isclose(label["value"], found[0],
                                                      rel_tol=TOLERANCE)


# Parts of the data: the dev set's halves (by `held_out`), then the fresh sets, each drawn
# after the extractor of its time was frozen (units_fresh.jsonl has since been tuned on)
FRESH = {"units_fresh.jsonl": "fresh", "units_fresh2.jsonl": "fresh2",
         "units_fresh3.jsonl": "fresh3"}
NEGATIVES = {"units_negatives.jsonl": "negatives", "units_negatives2.jsonl": "negatives2"}


def _score(extract: Callable[[str], list[tuple[float, str]]]) -> dict:
    by: dict[str, dict[str, int]] = {}
    misses, extras = [], []
    rows = [*_rows("units.jsonl"),
            *(dict(r, part=part) for name, part in FRESH.items() if (DATA / name).exists()
              for r in _rows(name))]
    for row in rows:
        found = extract(row["sentence"])
        part = row.get("part") or ("held_out" if held_out(row["doc"]) else "tuning")
        keys = (row["source"], part, f"{row['source']}/{part}", "all") \
            if part in ("held_out", "tuning") else (part, f"{row['source']}/{part}")
        for key in keys:
            c = by.setdefault(key, {"labelled": 0, "exact": 0, "extra": 0})
            c["labelled"] += len(row["mentions"])
            c["exact"] += sum(any(_same(m, f) for f in found) for m in row["mentions"])
            c["extra"] += sum(not any(_same(m, f) for m in row["mentions"]) for f in found)
        if part == "fresh3":
            misses += [f"{row['doc']}: {m['text']!r}" for m in row["mentions"]
                       if not any(_same(m, f) for f in found)]
            extras += [f"{row['doc']}: {f}" for f in found
                       if not any(_same(m, f) for m in row["mentions"])]
    negatives = {part: [r["sentence"] for r in _rows(name) if extract(r["sentence"])]
                 for name, part in NEGATIVES.items()}
    return {"exact": {k: round(100 * c["exact"] / max(c["labelled"], 1), 1)
                      for k, c in sorted(by.items())},
            "counts": by, "fresh3_misses": misses, "fresh3_extras": extras,
            "hard_negatives": {p: len(_rows(n)) for n, p in NEGATIVES.items()},
            "hard_negatives_misread": {p: len(m) for p, m in negatives.items()},
            "misread_examples": [s for m in negatives.values() for s in m][:5]}


def evaluate() -> dict:
    """Sluice, Sluice as of commit BEFORE and quantulum3 on the same labelled sentences;
    exact = SI value within 0.5%."""
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
    if (before := before_units()) is not None:
        results["before"] = _score(lambda sentence: _sluice(sentence, before))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    return results


def report(out: dict) -> None:
    """The fresh sets side by side, by source, then every figure as JSON."""
    names = [n for n in ("sluice", "before", "quantulum3") if n in out]
    print(f"{'exact %':<16}" + "".join(f"{n:>12}" for n in names) + "   mentions")
    for part in ("fresh3", "fresh2", "fresh", "held_out", "tuning"):
        keys = [part, *sorted(k for k in out["sluice"]["counts"] if k.endswith("/" + part))]
        for key in keys:
            if not (n := out["sluice"]["counts"].get(key, {}).get("labelled")):
                continue  # the one PDF sentence drawn for fresh2 has no quantity
            print(f"{key:<16}" + "".join(f"{out[m]['exact'].get(key, 0):>12}" for m in names)
                  + f"   {n}")
    for part in ("negatives", "negatives2"):
        print(f"misread {part:<8}" + "".join(
            f"{out[m]['hard_negatives_misread'][part]:>9}/{out[m]['hard_negatives'][part]}"
            for m in names))
    print("Sluice misses on fresh3:", *out["sluice"]["fresh3_misses"], sep="\n  ")
    print("Sluice extras on fresh3:", *out["sluice"]["fresh3_extras"], sep="\n  ")
    print("extras on fresh3:", *(f"{m} {out[m]['counts'].get('fresh3', {}).get('extra')}"
                                 for m in names))
    print(f"first use {out['sluice_first_use_s']} s, "
          f"{out['sluice_ms_per_sentence']} ms a sentence")


if __name__ == "__main__":
    if sys.argv[1:2] == ["sample"]:
        cues = {"negative": NEGATIVE_CUE, "wide": WIDE_CUE}
        sample(int(sys.argv[2]), cues.get(sys.argv[3] if len(sys.argv) > 3 else "", CUE),
               int(sys.argv[4]) if len(sys.argv) > 4 else 1,
               int(sys.argv[5]) if len(sys.argv) > 5 else 11,
               int(sys.argv[6]) if len(sys.argv) > 6 else 300,
               sys.argv[7] if len(sys.argv) > 7 else "")
    else:
        report(evaluate())
