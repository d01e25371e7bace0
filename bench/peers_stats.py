"""The pure parts of bench/peers.py and bench/scaling.py: reading what a run printed, medians,
the issue's ratios against their targets, and the tables."""

from __future__ import annotations

import json
import re
import statistics

# name -> (what it is, shown in the tables)
SYSTEMS = {
    "sluice-folder": "Sluice, folder of .txt (`sluice run FOLDER`)",
    "sluice-jsonl": "Sluice, one JSONL file (`sluice run FILE.jsonl`)",
    "haystack": "Haystack indexing pipeline",
    "llamaindex": "LlamaIndex IngestionPipeline",
    "spacy-full": "raw spaCy, full pipeline, `nlp.pipe`",
    "spacy-ner-cores": "NER-only spaCy, `n_process` = cores",
}
# (label, numerator system: Sluice, denominator systems: the fastest of them, target)
RATIOS = [
    ("Sluice (folder) / raw full spaCy", "sluice-folder", ("spacy-full",), 2.0),
    ("Sluice (folder) / faster of Haystack and LlamaIndex", "sluice-folder",
     ("haystack", "llamaindex"), 1.5),
    ("Sluice (folder) / NER-only spaCy on all cores", "sluice-folder", ("spacy-ner-cores",), 0.8),
    ("Sluice folder / Sluice JSONL, per document", "sluice-folder", ("sluice-jsonl",), 1.0),
]
_SUMMARY = {
    "documents_in": r"documents in: (\d+)", "processed": r"processed: (\d+)",
    "failed": r"failed: (\d+)", "entities": r"entities: (\d+)",
    "corrections": r"corrections: (\d+)", "chunks": r"chunks embedded: (\d+)",
    "flow_wall_s": r"wall time: ([\d.]+) s",
}


def parse_result(stdout: str) -> dict:
    """The RESULT line a peer script prints last (bench/peers_models.py)."""
    lines = [ln for ln in stdout.splitlines() if ln.startswith("RESULT ")]
    if not lines:
        raise ValueError("no RESULT line in the output")
    return json.loads(lines[-1][len("RESULT "):])


def parse_sluice_summary(stdout: str) -> dict:
    """The counts of the summary `sluice run` prints at its end."""
    found = {}
    for key, pattern in _SUMMARY.items():
        match = re.search(pattern, stdout)
        if match is None:
            raise ValueError(f"no {key!r} in the summary of sluice run")
        found[key] = float(match.group(1)) if key.endswith("_s") else int(match.group(1))
    return found


def medians(runs: list[dict]) -> dict[str, float]:
    """Median wall seconds per system over its successful runs."""
    by_system: dict[str, list[float]] = {}
    for run in runs:
        if run["ok"]:
            by_system.setdefault(run["system"], []).append(run["wall_s"])
    return {system: statistics.median(times) for system, times in by_system.items()}


def ratios(times: dict[str, float], docs: dict[str, int]) -> list[dict]:
    """Speed ratios (documents per second of Sluice / of the peer; > 1: Sluice is faster) of
    the issue, each with its target. A ratio whose systems did not all run is left out."""
    out = []
    for label, mine, theirs, target in RATIOS:
        if mine not in times or not all(t in times for t in theirs):
            continue
        rates = {s: docs[s] / times[s] for s in (mine, *theirs)}
        peer = max(theirs, key=lambda s: rates[s])
        value = rates[mine] / rates[peer]
        out.append({"ratio": label, "peer": peer, "value": round(value, 3), "target": target,
                    "met": value >= target})
    return out


def marginal_rates(points: list[tuple[int, float]]) -> list[float | None]:
    """Docs/min between each (documents, seconds) point and the one before it: what one more
    document costs once the fixed start-up is paid. Flat when cost is linear in size."""
    rates: list[float | None] = [None]
    for (n1, t1), (n2, t2) in zip(points, points[1:], strict=False):
        rates.append((n2 - n1) / (t2 - t1) * 60 if t2 > t1 else None)
    return rates


def speed_table(runs: list[dict], docs: dict[str, int]) -> str:
    """Markdown: median wall, docs/min and every run's seconds, per system."""
    times = medians(runs)
    rows = ["| system | median wall (s) | docs/min | runs (s) |", "|---|---:|---:|---|"]
    for system, label in SYSTEMS.items():
        if system not in times:
            continue
        each = ", ".join(f"{r['wall_s']:.1f}" if r["ok"] else "failed"
                         for r in runs if r["system"] == system)
        rate = docs[system] / times[system] * 60
        rows.append(f"| {label} | {times[system]:.1f} | {rate:,.0f} | {each} |")
    return "\n".join(rows)


def ratio_table(rows: list[dict]) -> str:
    lines = ["| ratio (speed, > 1: Sluice faster) | measured | target | met |",
             "|---|---:|---:|---|"]
    lines += [f"| {r['ratio']} | {r['value']:.2f}x | >= {r['target']:.1f}x | "
              f"{'yes' if r['met'] else 'no'} |" for r in rows]
    return "\n".join(lines)
