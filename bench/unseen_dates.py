"""Dates on unseen text: Sluice (`sluice.dates.find_dates`) against dateparser's
`search_dates` on one labelled set of three kinds of source (bench/data/README.md, "Unseen
dates"). Every gold resolution was written by reading the sentence and its anchor date.

The fresh set (`dates_fresh.jsonl`, five kinds of source) was drawn and labelled after the
code was frozen and measured once; its own row is reported apart from the tuning/held-out split.
Its misses were then fixed, so the second fresh set (`dates_fresh2.jsonl`, drawn by
`bench/unseen_dates_draw.py` after the code was frozen again, measured once) was the clean
one until its misses were fixed; then the third (`dates_fresh3.jsonl`, same script); the
fourth (`dates_fresh4.jsonl`, round 4, with `dates_negatives4.jsonl`); the fifth
(`dates_fresh5.jsonl`, round 5, with `dates_negatives5.jsonl` and `dates_may5.jsonl`) is now.

Usage: python bench/unseen_dates.py              # evaluate, write bench/results/unseen_dates.json
       python bench/unseen_dates.py sample reuters|sotu|mail N   # candidate sentences to label
       python bench/unseen_dates.py sample-fresh   # the fresh set's 369 candidate sentences
"""

from __future__ import annotations

import gzip
import json
import random
import re
import sys
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sluice.dates import find_dates  # noqa: E402
from sluice.mail import read_mail  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT.parent / "shared" / "corpora"
DATA = ROOT / "bench" / "data" / "unseen"
RESULTS = ROOT / "bench" / "results" / "unseen_dates.json"
SOURCES = ("reuters", "sotu", "mail")
FRESH_SOURCES = ("reuters", "mail", "sotu", "spdx", "pdf")
FRESH = "dates_fresh.jsonl"  # drawn and labelled after the code was frozen, measured once
# The second fresh set: drawn after the fresh set's rules were added and the code frozen again.
# Later fresh sets (`bench/unseen_dates_draw.py`), each drawn after the code was frozen again
# and measured once: name -> (sentences, hard negatives, sources).
LATER_FRESH = {"fresh2": ("dates_fresh2.jsonl", "dates_negatives2.jsonl",
                          ("reuters", "mail", "spdx", "sotu")),
               "fresh3": ("dates_fresh3.jsonl", "dates_negatives3.jsonl",
                          ("reuters", "mail", "spdx")),
               "fresh4": ("dates_fresh4.jsonl", "dates_negatives4.jsonl",
                          ("reuters", "mail", "spdx")),
               "fresh5": ("dates_fresh5.jsonl", "dates_negatives5.jsonl",
                          ("reuters", "mail", "spdx")),
               # every undrawn "May" + lowercase word with no date lead (round 5)
               "may5": ("dates_may5.jsonl", None, ("reuters",))}
# State of the Union files are named by year only; the day each address was given.
SOTU_DAYS = {
    1989: "02-09", 1990: "01-31", 1991: "01-29", 1992: "01-28", 1993: "02-17", 1994: "01-25",
    1995: "01-24", 1996: "01-23", 1997: "02-04", 1998: "01-27", 1999: "01-19", 2000: "01-27",
    2001: "02-27", 2002: "01-29", 2003: "01-28", 2004: "01-20", 2005: "02-02", 2006: "01-31",
    2007: "01-23", 2008: "01-28", 2009: "02-24", 2010: "01-27", 2011: "01-25", 2012: "01-24",
    2013: "02-12", 2014: "01-28", 2015: "01-20", 2016: "01-12", 2017: "02-28", 2018: "01-30",
    2019: "02-05", 2020: "02-04", 2021: "04-28",
}
# Broader than the extractor on purpose, so sentences it misses are drawn too.
CUE = re.compile(
    r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b"
    r"|\b(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\b|\b(?:1[6-9]|20)\d\d\b|\b\d0'?s\b"
    r"|\b(?:today|tonight|yesterday|tomorrow|weekend|morning|afternoon|evening|ago)\b"
    r"|\b(?:last|next|this|coming|past) (?:week|month|year|decade|century)\b"
    r"|\b(?:Christmas|Easter|Thanksgiving|New Year|Boxing Day|Independence Day|Labor Day"
    r"|Memorial Day|Halloween|Valentine|Ramadan|Good Friday|Veterans Day)\b"
    r"|\b(?:twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties)\b", re.I)
# The fresh draw's cue adds numeric dates, ordinals and period words.
FRESH_CUE = re.compile(CUE.pattern + r"|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{1,2}(?:st|nd|rd|th)\b"
                       r"|\b(?:week|month|year|decade|fortnight|quarter)s?\b", re.I)
_SPLIT = re.compile(r"(?<=[a-z0-9)\"'][.!?])\s+(?=[A-Z\"'])|\n\s*\n")


def split_of(row: dict) -> str:
    """The fixed rule: an even document number (Reuters index, SOTU year, mail id) tunes."""
    return "tuning" if int(re.sub(r"\D", "", row["doc"])) % 2 == 0 else "held-out"


def _sentences(text: str, cue: re.Pattern[str] = CUE) -> list[str]:
    pieces = (re.sub(r"\s+", " ", s).strip() for s in _SPLIT.split(text))
    return [s for s in pieces if 40 <= len(s) <= 300 and cue.search(s)]


def _reuters(any_place: bool = False) -> Iterator[tuple[str, str, str]]:
    with gzip.open(CORPORA / "reuters-21578.jsonl.gz", "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            record = json.loads(line)
            places = record.get("places") or []
            outside = any_place or (places and "usa" not in places)
            if i >= 12000 and outside and record.get("body"):
                day = datetime.strptime(record["date"].split()[0], "%d-%b-%Y").date()
                yield str(i), day.isoformat(), record["body"]


def _sotu() -> Iterator[tuple[str, str, str]]:
    for path in sorted((CORPORA / "sotu").glob("*.txt")):
        year = int(path.name[:4])
        if year in SOTU_DAYS:
            yield path.stem, f"{year}-{SOTU_DAYS[year]}", path.read_text(encoding="utf-8")


def _mail(group: bool = False) -> Iterator[tuple[str, str, str]]:
    with gzip.open(CORPORA / "spamassassin.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            try:
                body = read_mail(record["raw_message"].encode("utf-8", "replace"))
            except Exception:  # noqa: BLE001 - a malformed mail is simply not drawn
                continue
            sent = body.headers.get("date", "")
            if body.is_html or not re.match(r"\d{4}-\d\d-\d\d", sent):
                continue
            text = body.payload.decode("latin-1")  # the cue words are ASCII
            text = "\n".join(x for x in text.splitlines() if not x.lstrip().startswith(">"))
            yield (f"{record['group']}/" if group else "") + record["id"], sent[:10], text


def sample(source: str, n: int, seed: int = 11) -> list[dict]:
    """One sentence per document (SOTU: up to four per speech), shuffled with a fixed seed."""
    rng = random.Random(seed)
    docs = list({"reuters": _reuters, "sotu": _sotu, "mail": _mail}[source]())
    rng.shuffle(docs)
    per_doc = 4 if source == "sotu" else 1
    rows = []
    for doc, anchor, text in docs:
        hits = _sentences(text)
        for sentence in rng.sample(hits, min(per_doc, len(hits))):
            rows.append({"source": source, "doc": doc, "date": anchor, "sentence": sentence})
        if len(rows) >= n:
            break
    return rows[:n]


def _fresh_sources(used: dict[str, set[int]]) -> dict[str, list[tuple[str, str, str]]]:
    """Documents for the fresh draw: none drawn for dates before (nor Reuters 0-3,600, read
    while tuning). SOTU before 1989 and SPDX texts carry no day; anchors were set by hand."""
    from sluice.parse import _PARSERS

    def number(doc: str) -> int:
        return int(doc.split("/")[-1])

    spdx = [json.loads(line) for line in gzip.open(CORPORA / "spdx-licenses.jsonl.gz", "rt")]
    pdfs = []
    for path in sorted((CORPORA / "pdf").glob("*.pdf")):
        try:
            pdfs.append((path.name, "", _PARSERS["pdf"](path.read_bytes())[0]))
        except Exception:  # noqa: BLE001 - an encrypted or broken PDF is not drawn
            continue
    return {
        "reuters": [d for d in _reuters(any_place=True) if int(d[0]) not in used["reuters"]],
        "mail": [d for d in _mail(group=True) if number(d[0]) not in used["mail"]],
        "sotu": [(p.stem, p.name[:4], p.read_text(encoding="utf-8"))
                 for p in sorted((CORPORA / "sotu").glob("*.txt")) if int(p.name[:4]) < 1989],
        "spdx": [(r["id"], "", r["text"]) for r in spdx], "pdf": pdfs}


# The labelled sets that existed when the fresh set was drawn: their documents were skipped.
_DRAWN_BEFORE = ("dates_mail", "dates_negatives", "dates_reuters", "dates_sotu", "money",
                 "money_fresh", "money_negatives", "units", "units_fresh", "units_negatives")


def sample_fresh(seed: int = 2026) -> list[dict]:
    """The fresh draw, in the order it was labelled: per source the shuffled documents, one
    sentence each (five per PDF), then a second Reuters and mail draw to pass 200 mentions."""
    used: dict[str, set[int]] = {"reuters": set(range(3601)), "mail": set()}
    for path in [*(DATA / f"{name}.jsonl" for name in _DRAWN_BEFORE), DATA.parent / "dates.jsonl"]:
        for row in (json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()):
            source = row.get("source") or "reuters"
            kind = "mail" if source in ("mail", "spam", "spamassassin") else source
            if kind in used and row.get("doc"):
                used[kind].add(int(re.sub(r"\D", "", str(row["doc"]).split("/")[-1])))
    sources = _fresh_sources(used)
    draws = {}
    for source, n in (("reuters", 135), ("mail", 105), ("sotu", 70), ("spdx", 30), ("pdf", 40)):
        rng, rows, seen = random.Random(seed), [], set()
        docs = list(sources[source])
        rng.shuffle(docs)
        for doc, anchor, text in docs:
            hits = [s for s in _sentences(text, FRESH_CUE) if s not in seen]
            for sentence in rng.sample(hits, min(5 if source == "pdf" else 1, len(hits))):
                seen.add(sentence)
                rows.append({"source": source, "doc": doc, "date": anchor, "sentence": sentence})
            if len(rows) >= n:
                break
        draws[source] = rows[:n]
    first = [*draws["reuters"][:100], *draws["mail"][:80], *draws["sotu"], *draws["spdx"],
             *draws["pdf"]]
    return first + draws["reuters"][100:] + draws["mail"][80:]


def load_rows(name: str = "dates_*.jsonl") -> list[dict]:
    rows = []
    for path in sorted(DATA.glob(name)):
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return rows


def sluice_mentions(sentence: str, anchor: date) -> list[tuple[int, int, str]]:
    return [(m["start"], m["end"], m["iso"]) for m in find_dates(sentence, anchor)]


def dateparser_mentions(sentence: str, anchor: date) -> list[tuple[int, int, datetime]]:
    from dateparser.search import search_dates  # bench-only dependency (pyproject `dev`)

    settings = {"RELATIVE_BASE": datetime(anchor.year, anchor.month, anchor.day)}
    found, pos = [], 0
    for text, when in search_dates(sentence, languages=["en"], settings=settings) or []:
        start = sentence.find(text, pos)
        if start < 0:
            start = sentence.find(text)
        found.append((start, start + len(text), when))
        pos = max(pos, start + len(text))
    return found


def _agrees(gold_iso: str, value: str | datetime) -> bool:
    """Sluice's value must equal the gold ISO; dateparser's datetime is scored generously,
    cut to the gold's precision (it has no notion of precision, periods or weeks)."""
    if isinstance(value, str):
        return value == gold_iso
    if "W" in gold_iso:
        year, week, _ = value.isocalendar()
        return f"{year:04d}-W{week:02d}" == gold_iso
    return value.date().isoformat()[:len(gold_iso)] == gold_iso


def _matched(gold: dict, predicted: list) -> bool:
    near = [p for p in predicted if p[0] < gold["end"] and gold["start"] < p[1]]
    ends = gold["iso"].split("/")
    if len(ends) == 2 and near and not isinstance(near[0][2], str):  # dateparser: both ends
        return all(any(_agrees(e, p[2]) for p in near) for e in ends)
    return any(_agrees(gold["iso"], p[2]) for p in near)


def _score(rows: list[dict], find) -> dict:
    gold = hit = false_pos = 0
    misses = []
    for row in rows:
        predicted = find(row["sentence"], date.fromisoformat(row["date"]))
        for m in row["mentions"]:
            gold += 1
            if _matched(m, predicted):
                hit += 1
            else:
                misses.append({"doc": row["doc"], "text": m["text"], "gold": m["iso"], "got": [
                    str(p[2]) for p in predicted if p[0] < m["end"] and m["start"] < p[1]]})
        false_pos += sum(not any(p[0] < m["end"] and m["start"] < p[1] for m in row["mentions"])
                         for p in predicted)
    return {"mentions": gold, "exact": hit, "exact_pct": round(100 * hit / max(gold, 1), 1),
            "spurious": false_pos, "misses": misses}


def _misread(rows: list[dict], find) -> dict:
    bad = [row["negative"]["text"] for row in rows if any(
        p[0] < row["negative"]["end"] and row["negative"]["start"] < p[1]
        for p in find(row["sentence"], date.fromisoformat(row["date"])))]
    return {"negatives": len(rows), "misread": len(bad), "which": bad}


def evaluate() -> dict:
    """Exact resolutions per extractor, source and split; hard negatives misread."""
    rows = [r for r in load_rows() if "negative" not in r and "set" not in r]
    fresh = load_rows(FRESH)
    later = {name: load_rows(files[0]) for name, files in LATER_FRESH.items()}
    negatives = load_rows("dates_negatives.jsonl")
    report: dict = {"sentences": len(rows), "mentions": sum(len(r["mentions"]) for r in rows),
                    "fresh_sentences": len(fresh),
                    "fresh_mentions": sum(len(r["mentions"]) for r in fresh)}
    for name, chosen in later.items():
        report[f"{name}_sentences"] = len(chosen)
        report[f"{name}_mentions"] = sum(len(r["mentions"]) for r in chosen)
    for name, find in (("sluice", sluice_mentions), ("dateparser", dateparser_mentions)):
        part = {"all": _score(rows, find)}
        for split in ("tuning", "held-out"):
            chosen = [r for r in rows if split_of(r) == split]
            part[split] = _score(chosen, find)
            for source in SOURCES:
                part[f"{split}/{source}"] = _score(
                    [r for r in chosen if r["source"] == source], find)
        part["fresh"] = _score(fresh, find)
        for source in FRESH_SOURCES:
            part[f"fresh/{source}"] = _score([r for r in fresh if r["source"] == source], find)
        part["hard_negatives"] = _misread(negatives, find)
        for later_name, (_, negative_file, sources) in LATER_FRESH.items():
            chosen = later[later_name]
            part[later_name] = _score(chosen, find)
            for source in sources:
                part[f"{later_name}/{source}"] = _score(
                    [r for r in chosen if r["source"] == source], find)
            if negative_file:
                part[f"hard_negatives_{later_name}"] = _misread(load_rows(negative_file), find)
        report[name] = part
    return report


def _summary(report: dict) -> str:
    lines = [f"{report['mentions']} mentions in {report['sentences']} sentences; fresh set "
             f"{report['fresh_mentions']} mentions in {report['fresh_sentences']} sentences; "
             + "; ".join(f"{name} {report[name + '_mentions']} mentions in "
                         f"{report[name + '_sentences']} sentences" for name in LATER_FRESH)]
    for name in ("sluice", "dateparser"):
        for key, value in report[name].items():
            if key.startswith("hard_negatives"):
                lines.append(f"{name:10} {key} misread {value['misread']}/"
                             f"{value['negatives']} {value['which']}")
            else:
                lines.append(f"{name:10} {key:18} {value['exact']:4}/{value['mentions']:<4}"
                             f" {value['exact_pct']:5}%  spurious {value['spurious']}")
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "sample-fresh":
        for row in sample_fresh():
            print(json.dumps(row, ensure_ascii=False))
    elif len(sys.argv) > 1 and sys.argv[1] == "sample":
        for row in sample(sys.argv[2], int(sys.argv[3])):
            print(json.dumps(row, ensure_ascii=False))
    else:
        result = evaluate()
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
        print(_summary(result))
