"""The second and third fresh date draws (`dates_fresh2.jsonl`, `dates_negatives2.jsonl`;
`dates_fresh3.jsonl`, `dates_negatives3.jsonl`): candidate
sentences from documents no labelled set had drawn and no tuning step had read.

Usage: python bench/unseen_dates_draw.py fresh2      # the 305 candidate sentences, in label order
       python bench/unseen_dates_draw.py negatives2  # the 30 hard-negative candidates
       python bench/unseen_dates_draw.py fresh3      # the third draw (after the code froze again)
       python bench/unseen_dates_draw.py negatives3  # its hard-negative candidates
       python bench/unseen_dates_draw.py fresh4      # the fourth draw (round 4, code frozen)
       python bench/unseen_dates_draw.py negatives4  # its hard-negative candidates
       python bench/unseen_dates_draw.py fresh5      # the fifth draw (round 5: modal "May")
       python bench/unseen_dates_draw.py negatives5  # its hard negatives, every kind of source
       python bench/unseen_dates_draw.py may5        # its "May" + lowercase word sentences
The labels were written by reading these candidates (bench/data/README.md, "Second fresh dates").
"""

from __future__ import annotations

import gzip
import json
import random
import re
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from unseen_dates import CORPORA, FRESH_CUE, _mail, _sentences  # noqa: E402

BENCH_DATA = Path(__file__).resolve().parent / "data"
# Every labelled set that existed at the draw, and the documents read while tuning.
_EXCLUDED = ("dates.jsonl", "money_units.jsonl", "encodings/samples.jsonl",
             *(f"correction/{n}.jsonl" for n in ("judged", "judged-tuning", "misspellings",
                                                 "misspellings-tuning")),
             *(f"unseen/{n}.jsonl" for n in (
                 "dates_fresh", "dates_mail", "dates_negatives", "dates_reuters", "dates_sotu",
                 "dates_seen", "money", "money_fresh", "money_negatives", "units",
                 "units_fresh", "units_fresh2", "units_negatives", "units_negatives2",
                 "units_seen")))
_NEGATIVE_CUE = re.compile(
    r"\b(?:Boeing|Airbus|DC-|MD-)\s?\d{2,4}\b|\bSection \d{3,4}\b|\bWindows (?:2000|95|98|XP)\b"
    r"|\bOffice (?:2000|97|XP)\b"
    r"|\b(?:19|20)\d\d (?:shares|people|workers|employees|tonnes|units|cars|jobs|feet|meters)\b"
    r"|\bJan [A-Z][a-z]+\b|\b(?:Good Friday|Christmas|Easter) Island\b|\bRule \d{3}\b"
    r"|\bModel \d{4}\b|\b(?:Route|Highway|Interstate|Flight|Room|Suite|Box) (?:19|20)\d\d\b"
    r"|\b(?:19|20)\d\d(?:-|\s)?(?:lb|ft|kg|cc|MHz)\b"
    r"|\b[A-Z][a-z]+ (?:2000|1999|2001|2002)\b(?= (?:Server|Edition|Professional|software"
    r"|package|suite))|\bMay (?:said|told|added|says)\b|\bno\. (?:19|20)\d\d\b", re.I)


def excluded() -> tuple[dict[str, set], set[str]]:
    """Documents per source (Reuters 0-3,600 were read while tuning) and sentences drawn."""
    used: dict[str, set] = {"reuters": set(range(3601)), "mail": set(), "sotu": set(),
                            "spdx": set()}
    sentences = set()
    for name in _EXCLUDED:
        for row in map(json.loads, (BENCH_DATA / name).read_text(encoding="utf-8").splitlines()):
            if "round-3" in row.get("why", ""):  # added by the units stream after this draw
                continue
            sentences.add(row.get("sentence"))
            doc, source = str(row.get("doc", "") or row.get("id", "")), row.get("source") or ""
            if ":" in source:
                source, doc = source.split(":", 1)
            source = {"reuters-21578": "reuters"}.get(source, source)
            # as drawn: a "reuters-21578:N" doc (the spelling sets) was not skipped, see README
            if ":" in doc and not source:
                source, doc = doc.split(":", 1)
            source = {"spam": "mail", "spamassassin": "mail", "email": "mail", "ham": "mail"}.get(
                source, source or "reuters")
            if source in ("reuters", "mail") and re.sub(r"\D", "", doc.split("/")[-1]):
                used[source].add(int(re.sub(r"\D", "", doc.split("/")[-1])))
            elif source in used and doc:
                used[source].add(doc.removesuffix(".txt"))
    return used, sentences


def _reuters(skip: set) -> Iterator[tuple[str, str, str]]:
    with gzip.open(CORPORA / "reuters-21578.jsonl.gz", "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            record = json.loads(line)
            if i not in skip and record.get("body"):
                day = datetime.strptime(record["date"].split()[0], "%d-%b-%Y").date()
                yield str(i), day.isoformat(), record["body"]


def _documents(used: dict[str, set]) -> dict[str, list[tuple[str, str, str]]]:
    mail = [d for d in _mail(group=True) if int(d[0].split("/")[-1]) not in used["mail"]]
    speeches = sorted((CORPORA / "sotu").glob("*.txt"), key=lambda p: (p.name[:4] >= "1989", p))
    spdx = map(json.loads, gzip.open(CORPORA / "spdx-licenses.jsonl.gz", "rt", encoding="utf-8"))
    return {"reuters": list(_reuters(used["reuters"])), "mail": mail,
            "spdx": [(r["id"], "", r["text"]) for r in spdx if r["id"] not in used["spdx"]],
            "sotu": [(p.stem, p.name[:4], p.read_text(encoding="utf-8")) for p in speeches
                     if p.stem not in used["sotu"]]}


def _draw(source: str, docs: list, n: int, per_doc: int, seen: set, seed: int = 2031) -> list:
    rng, rows = random.Random(seed), []
    docs = list(docs)
    rng.shuffle(docs)
    for doc, anchor, text in docs:
        hits = [s for s in _sentences(text, FRESH_CUE) if s not in seen]
        for sentence in rng.sample(hits, min(per_doc, len(hits))):
            seen.add(sentence)
            rows.append({"source": source, "doc": doc, "date": anchor, "sentence": sentence})
        if len(rows) >= n:
            break
    return rows[:n]


def sample_fresh2() -> list[dict]:
    """Reuters 140, mail 100, SPDX 45, SOTU 20 (two per speech): one sentence per document.
    (The 35 PDFs not drawn before hold no cue sentence of 40-300 characters.)"""
    used, seen = excluded()
    docs = _documents(used)
    return [row for source, n, per_doc in (("reuters", 140, 1), ("mail", 100, 1),
                                           ("spdx", 45, 1), ("sotu", 20, 2))
            for row in _draw(source, docs[source], n, per_doc, seen)]


def sample_negatives2() -> list[dict]:
    """Sentences with a hard-negative cue, two per kind of cue, from undrawn documents."""
    used, seen = excluded()
    docs = _documents(used)
    # the documents of the labelled fresh2 rows; mails by number, in any group
    fresh2 = [json.loads(x) for x in (BENCH_DATA / "unseen" / "dates_fresh2.jsonl").open()]
    drawn = {row["doc"] for row in fresh2 if row["source"] != "mail"}
    drawn |= {int(row["doc"].split("/")[-1]) for row in fresh2 if row["source"] == "mail"}
    seen |= {row["sentence"] for row in fresh2}
    rng, out = random.Random(2031), []
    for source in ("reuters", "mail"):
        pool = [d for d in docs[source] if d[0] not in drawn
                and (source != "mail" or int(d[0].split("/")[-1]) not in drawn)]
        rng.shuffle(pool)
        rows, per_kind = [], {}
        for doc, anchor, text in pool:
            for sentence in (s for s in _sentences(text, _NEGATIVE_CUE) if s not in seen):
                cue = _NEGATIVE_CUE.search(sentence).group()
                kind = re.sub(r"\d", "9", cue.lower())[:8]
                if per_kind.get(kind, 0) < 2:
                    per_kind[kind] = per_kind.get(kind, 0) + 1
                    rows.append({"source": source, "doc": doc, "date": anchor,
                                 "sentence": sentence, "cue": cue})
                    break
            if len(rows) >= 25:
                break
        out += rows
    return out


def excluded_all() -> tuple[dict[str, set], set[str]]:
    """For the third draw: the documents and sentences of EVERY file in bench/data (any
    stream's, whatever its keys), the documents read while tuning (`dates_seen.jsonl`) and
    Reuters 0-3,600."""
    used: dict[str, set] = {"reuters": set(range(3601)), "mail": set(), "sotu": set(),
                            "spdx": set(), "pdf": set()}
    sentences = set()
    for path in sorted(BENCH_DATA.rglob("*.jsonl")):
        for row in map(json.loads, path.read_text(encoding="utf-8").splitlines()):
            sentences.add(row.get("sentence"))
            source, doc = _source_doc(row)
            digits = re.sub(r"\D", "", doc.split("/")[-1])
            if source in ("reuters", "mail") and digits:
                used[source].add(int(digits))
            elif source in used and doc:
                used[source].add(doc.removesuffix(".txt"))
    return used, sentences


def _source_doc(row: dict) -> tuple[str, str]:
    """(source, doc) from a row of any set: "reuters-21578:17933", "reuters:12133", ..."""
    doc = str(row.get("doc", "") or "")
    source = str(row.get("source") or row.get("corpus") or "")
    for raw in (source, doc):
        if ":" in raw and not raw.startswith("http"):
            source, doc = raw.split(":", 1)
    source = {"reuters-21578": "reuters", "spam": "mail", "spamassassin": "mail",
              "email": "mail", "ham": "mail"}.get(source, source)
    return source, doc


def sample_fresh3() -> list[dict]:
    """Reuters 110, mail 80, SPDX 30, SOTU 20 (two per speech, where any speech is left):
    one sentence per document (seed 2032)."""
    used, seen = excluded_all()
    docs = _documents(used)
    return [row for source, n, per_doc in (("reuters", 110, 1), ("mail", 80, 1),
                                           ("spdx", 30, 1), ("sotu", 20, 2))
            for row in _draw(source, docs[source], n, per_doc, seen, seed=2032)]


def sample_negatives3() -> list[dict]:
    """Sentences with a hard-negative cue (names with a month-like first name, products with
    a year, modal "May"), from documents not drawn for any set nor for fresh3."""
    used, seen = excluded_all()
    _add_drawn(used, map(json.loads, (BENCH_DATA / "unseen" / "dates_fresh3.jsonl").open()))
    return _negatives(used, seen, _NEGATIVE_CUE3, seed=2032, limit=30)


def _add_drawn(used: dict[str, set], rows) -> None:
    """The documents of drawn rows, keyed as `excluded_all` keys them."""
    for row in rows:
        source, doc = row["source"], row["doc"]
        used[source].add(int(doc.split("/")[-1]) if source == "mail" else
                         int(doc) if source == "reuters" else doc)


def _negatives(used: dict[str, set], seen: set, cue: re.Pattern, seed: int,
               limit: int) -> list[dict]:
    """Hard-negative candidates: per source, shuffled documents, the first unseen sentence
    of each that matches `cue`, three per kind of cue, at most `limit`."""
    docs = _documents(used)
    rng = random.Random(seed)
    return [row for source in ("reuters", "mail")
            for row in _per_kind(source, docs[source], rng, cue, seen, limit)]


def _per_kind(source: str, docs: list, rng: random.Random, cue: re.Pattern, seen: set,
              limit: int) -> list[dict]:
    """The documents shuffled; from each, its first unseen sentence matching `cue`, three per
    kind of cue (its text with digits as 9, first 6 characters), at most `limit`."""
    pool = list(docs)
    rng.shuffle(pool)
    rows, per_kind = [], {}
    for doc, anchor, text in pool:
        for sentence in (s for s in _sentences(text, cue) if s not in seen):
            kind = re.sub(r"\d", "9", cue.search(sentence).group().lower())[:6]
            if per_kind.get(kind, 0) < 3:
                per_kind[kind] = per_kind.get(kind, 0) + 1
                rows.append({"source": source, "doc": doc, "date": anchor,
                             "sentence": sentence})
                break
        if len(rows) >= limit:
            break
    return rows


# The third draw's negative cue: a month-like first name before a capitalised surname, a
# capitalised name word before a year, "May" before a verb, as well as the second's cues.
_NEGATIVE_CUE3 = re.compile(
    _NEGATIVE_CUE.pattern + r"|\b(?:Jan|April|June|May|August|Mar|Jun)"
    r" [A-Z][a-z]{2,}\b|\b[A-Z][a-z]*[A-Z][A-Za-z]+ (?:19|20)\d\d\b"
    r"|\bMay (?:be|have|not|also|well)\b")



def sample_fresh4() -> list[dict]:
    """Reuters 70, mail 50, SPDX 25: one sentence per document (seed 2033), from documents
    no set drew and no tuning step read (`dates_seen.jsonl` includes the round-4 scans)."""
    used, seen = excluded_all()
    docs = _documents(used)
    return [row for source, n in (("reuters", 70), ("mail", 50), ("spdx", 25))
            for row in _draw(source, docs[source], n, 1, seen, seed=2033)]


def sample_negatives4() -> list[dict]:
    """Hard-negative candidates by the third draw's cue and the round-4 rules' own cues
    (capitals before a year, "May" + a company word or a verb), three per kind, from
    documents not drawn for any set nor for fresh4."""
    used, seen = excluded_all()
    _add_drawn(used, sample_fresh4())
    return _negatives(used, seen, _NEGATIVE_CUE4, seed=2033, limit=40)


# The fourth draw's cue: the third's without day numbers in words ("May Eight" is a date),
# and the round-4 rules' own cues.
_NEGATIVE_CUE4 = re.compile(
    _NEGATIVE_CUE.pattern + r"|\b(?:Jan|April|June|May|August|Mar|Jun) (?!(?:One|Two|Three"
    r"|Four|Five|Six|Seven|Eight|Nine|Ten)\b)[A-Z][a-z]{2,}\b"
    r"|\b[A-Z][a-z]*[A-Z][A-Za-z]+ (?:19|20)\d\d\b|\bMay (?:be|have|not|also|well)\b"
    r"|\b[A-Z]{2,}[A-Z0-9]* (?:19|20)\d\d\b|\b(?:U\.S\.|U\.K\.) May\b"
    r"|\bMay and [A-Z][a-z]+ said\b")



def sample_fresh5() -> list[dict]:
    """Reuters 55, mail 35, SPDX 10: one sentence per document (seed 2035), from documents
    no set drew and no tuning step read (`dates_seen5.jsonl`: the round-5 modal scans)."""
    used, seen = excluded_all()
    docs = _documents(used)
    return [row for source, n in (("reuters", 55), ("mail", 35), ("spdx", 10))
            for row in _draw(source, docs[source], n, 1, seen, seed=2035)]


def sample_negatives5() -> list[dict]:
    """Hard-negative candidates from every kind of source (Reuters, mail, SOTU, SPDX, PDFs)
    by `_NEGATIVE_CUE5`, three per kind of cue, from documents not drawn for any set nor for
    fresh5 (seed 2035)."""
    used, seen = excluded_all()
    _add_drawn(used, sample_fresh5())
    docs = {**_documents(used), "pdf": _pdfs(used["pdf"])}
    rng = random.Random(2035)
    return [row for source, limit in (("reuters", 35), ("mail", 25), ("sotu", 10),
                                      ("spdx", 10), ("pdf", 10))
            for row in _per_kind(source, docs[source], rng, _NEGATIVE_CUE5, seen, limit)]


def sample_may5() -> list[dict]:
    """Every undrawn sentence with a capital "May" before a lowercase word and no date lead
    (`_MAY_CUE5`), from documents not drawn for any set nor for fresh5: the round-5 rule's
    own ground, read blind (modals and names go to negatives5, months to `dates_may5`)."""
    used, seen = excluded_all()
    _add_drawn(used, sample_fresh5())
    docs = _documents(used)
    return [{"source": source, "doc": doc, "date": anchor, "sentence": sentence}
            for source in ("reuters", "mail", "spdx") for doc, anchor, text in docs[source]
            for sentence in _sentences(text, _MAY_CUE5) if sentence not in seen]


_MAY_CUE5 = re.compile(
    r"(?<!\bin )(?<!\bof )(?<!\bby )(?<!\bfrom )(?<!\bto )(?<!\bearly )(?<!\blate )"
    r"(?<!\bmid )(?<!\bthe )(?<!\bsince )(?<!\buntil )(?<!\bfor )(?<!\bthis )(?<!\blast )"
    r"(?<!\bnext )(?<!\band )(?<!\bor )(?<!\bPay )(?<!\bRecord )\bMay (?!(?:one|two|three"
    r"|four|five|six|seven|eight|nine|ten|last|this|next|and|or|to|through|from|shipment"
    r"|delivery|futures|contract)\b)[a-z]+\b")


def _pdfs(skip: set) -> list[tuple[str, str, str]]:
    """The PDFs' text as `sluice.parse` extracts it (undated: the anchor is set by hand)."""
    from sluice.parse import _PARSERS

    found = []
    for path in sorted((CORPORA / "pdf").glob("*.pdf")):
        if path.name in skip or path.stem in skip:
            continue
        try:
            found.append((path.name, "", _PARSERS["pdf"](path.read_bytes())[0]))
        except Exception:  # noqa: BLE001 - an encrypted or broken PDF is not drawn
            continue
    return found


# The fifth draw's cue: the fourth's, plus articles and clauses, products with a short
# year, codes and routes, "May"/"April"/"June"/"August" as a surname, "march" the verb.
_NEGATIVE_CUE5 = re.compile(
    _NEGATIVE_CUE4.pattern + r"|\b(?:Section|Article|Chapter|Clause|Paragraph|Title|Part"
    r"|Schedule|Exhibit|Appendix|Amendment) \d{1,4}\b"
    r"|\b(?:Office|Windows|Word|Excel|Outlook|Quake|Doom|Photoshop|Netscape) \d{2,4}\b"
    r"|\b(?:Apollo|Flight|Route|Highway|Pentium|Release|Form|Version|Model|Gemini"
    r"|Proposition|Rule|Regulation|Law) \d{1,4}\b"
    r"|\b(?!(?:In|On|Pay|Payable|Record|Last|Next|Through|Since|Until|By|From|For|Early|Late"
    r"|Mid|Of|And|To|Effective|This|During|Before|After|Ended|Ending|The|Each|Every|Between"
    r"|Or|Than|Both|Only|Since|Dated|Due|Except)\b)[A-Z][a-z]+ (?:May|April|June|August)\b"
    r"(?! \d| (?:One|Two|Three|Four|Five|Six|Seven|Eight|Nine|Ten)\b)"
    r"|\b(?:will|to|would|and|they|we|thousands|students|workers) march\b"
    r"|\bmarch(?:ed|ing|es)\b|\b[A-Z]\.[A-Z]\. May\b"
    r"|\b(?:19|20)\d\d (?:people|men|women|children|students|pages|copies|files|lines"
    r"|members|messages|votes|acres|miles|dollars)\b")

_COMMANDS = {"fresh2": sample_fresh2, "negatives2": sample_negatives2,
             "fresh3": sample_fresh3, "negatives3": sample_negatives3,
             "fresh4": sample_fresh4, "negatives4": sample_negatives4,
             "fresh5": sample_fresh5, "negatives5": sample_negatives5, "may5": sample_may5}

if __name__ == "__main__":
    for row in _COMMANDS[sys.argv[1] if len(sys.argv) > 1 else "fresh2"]():
        print(json.dumps(row, ensure_ascii=False))
