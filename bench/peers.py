"""Peers: Sluice against Haystack, LlamaIndex and spaCy alone, on the same documents.

Usage: python bench/peers.py [--docs 2000] [--rounds 3] [--systems sluice-folder,haystack,...]
The first N non-empty Reuters bodies (../shared/corpora/reuters-21578.jsonl.gz) are written as
a folder of .txt files and as one JSONL file. Each round runs every system once, as its own
process timed from outside (imports, model loads and writing the store included), in an order
that rotates from round to round; the load average is printed before and after each run.
  sluice-folder    .venv/bin/sluice run FOLDER --store sqlite:///... --out ...
  sluice-jsonl     the same on the JSONL file
  haystack         bench/peers_haystack.py   (in the peers' own virtualenv, bench/.peers-venv)
  llamaindex       bench/peers_llamaindex.py
  spacy-full       bench/peers_spacy.py full       (the whole pipeline, nlp.pipe)
  spacy-ner-cores  bench/peers_spacy.py ner CORES  (NER only, n_process = the cores)
The peers' virtualenv is created on the first run (bench/peers_venv.py). Prints medians and the
issue's ratios; writes every run to bench/results/peers-<time>.json. Not a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peers_stats as stats  # noqa: E402
from peers_corpus import REUTERS, corpus_texts, reuters_bodies, write_folder, write_jsonl  # noqa: E402
from peers_venv import ensure_peers_venv, versions  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
CORES = os.cpu_count() or 1


def command(system: str, corpus: Path, work: Path, peers: Path) -> list[str]:
    sluice = [str(ROOT / ".venv" / "bin" / "sluice"), "run"]
    store = ["--store", f"sqlite:///{work}/sluice.db", "--out", str(work / "out")]
    bench, folder = ROOT / "bench", str(corpus / "folder")
    return {
        "sluice-folder": [*sluice, folder, *store],
        "sluice-jsonl": [*sluice, str(corpus / "corpus.jsonl"), *store],
        "haystack": [str(peers), str(bench / "peers_haystack.py"), folder, str(work)],
        "llamaindex": [str(peers), str(bench / "peers_llamaindex.py"), folder, str(work)],
        "spacy-full": [str(peers), str(bench / "peers_spacy.py"), folder, "full"],
        "spacy-ner-cores": [str(peers), str(bench / "peers_spacy.py"), folder, "ner", str(CORES)],
    }[system]


def environment() -> dict[str, str]:
    env = dict(os.environ, PREFECT_SERVER_ANALYTICS_ENABLED="false",
               HAYSTACK_TELEMETRY_ENABLED="False")
    env.pop("PREFECT_API_URL", None)  # Sluice as a new user runs it: its own temporary server
    return env


def run_once(system: str, corpus: Path, work: Path, peers: Path) -> dict:
    """One timed run in a fresh working folder (a fresh store: nothing is skipped)."""
    work.mkdir(parents=True)
    log = work / "output.log"
    load_before = os.getloadavg()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with log.open("w") as out:
        rc = subprocess.run(command(system, corpus, work, peers), cwd=ROOT, env=environment(),
                            stdout=out, stderr=subprocess.STDOUT, check=False).returncode
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    text = log.read_text(errors="replace")
    run = {"system": system, "wall_s": round(wall, 2), "rc": rc,
           "cpu_s": round(cpu_after.ru_utime + cpu_after.ru_stime
                          - cpu_before.ru_utime - cpu_before.ru_stime, 1),
           "load_before": [round(x, 2) for x in load_before],
           "load_after": [round(x, 2) for x in os.getloadavg()]}
    try:
        run["counts"] = (stats.parse_sluice_summary(text) if system.startswith("sluice")
                         else stats.parse_result(text))
        run["ok"] = rc == 0
    except ValueError as exc:
        run.update(ok=False, error=str(exc), tail=text[-2000:])
    shutil.rmtree(work, ignore_errors=True)
    return run


def line(run: dict) -> str:
    state = "ok" if run["ok"] else f"FAILED rc={run['rc']} {run.get('error', '')}"
    return (f"  {run['system']:16s} {run['wall_s']:7.1f} s  cpu {run['cpu_s']:6.1f} s  "
            f"load {run['load_before'][0]:.2f} -> {run['load_after'][0]:.2f}  {state}")


def measured_code() -> dict:
    """Which Sluice was measured: the tree's diff against HEAD, and whether NER runs over
    processes (`ner.processes` in sluice/config.py)."""
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    stat = subprocess.run([*git, "diff", "--stat", "HEAD"], capture_output=True, text=True)
    ner_config = (ROOT / "sluice" / "config.py").read_text().split("class NerConfig", 1)[-1]
    return {"head": head.stdout.strip(),
            "diff_stat": (stat.stdout.strip().splitlines() or ["(no changes)"])[-1].strip(),
            "ner_processes_in_config": "\n    processes:" in ner_config.split("\nclass ", 1)[0]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--systems", default=",".join(stats.SYSTEMS))
    ap.add_argument("--report", type=Path, help="only print the tables of a results file "
                    "(one this bench wrote, perhaps stopped before its last round)")
    args = ap.parse_args()
    if args.report:
        saved = json.loads(args.report.read_text())
        docs = dict.fromkeys(stats.SYSTEMS, saved["docs"])
        print(stats.speed_table(saved["runs"], docs) + "\n\n"
              + stats.ratio_table(stats.ratios(stats.medians(saved["runs"]), docs)))
        return
    systems = args.systems.split(",")
    if unknown := set(systems) - set(stats.SYSTEMS):
        sys.exit(f"unknown systems {sorted(unknown)}; known: {', '.join(stats.SYSTEMS)}")
    if not REUTERS.exists():
        sys.exit(f"missing {REUTERS}: the benchmark needs ../shared")
    peers = ensure_peers_venv()
    installed, code = versions(peers), measured_code()
    print(f"Sluice measured: HEAD {code['head']}, uncommitted: {code['diff_stat']}, "
          f"ner.processes in config: {code['ner_processes_in_config']}; cores: {CORES}")
    runs: list[dict] = []
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"peers-{time.strftime('%Y%m%dT%H%M%S')}.json"
    with tempfile.TemporaryDirectory(prefix="sluice-peers-") as tmp:
        corpus = Path(tmp) / "corpus"
        texts = corpus_texts(args.docs, reuters_bodies(args.docs))
        write_folder(texts, corpus / "folder")
        write_jsonl(texts, corpus / "corpus.jsonl")
        for r in range(args.rounds):
            order = systems[r % len(systems):] + systems[:r % len(systems)]
            print(f"round {r + 1}: load average {os.getloadavg()[0]:.2f}", flush=True)
            for system in order:
                run = run_once(system, corpus, Path(tmp) / f"r{r}-{system}", peers)
                runs.append({"round": r + 1, **run})
                print(line(run), flush=True)
                save(path, args, code, installed, runs)  # a run stopped early keeps them
            print(f"round {r + 1} done: load average {os.getloadavg()[0]:.2f}", flush=True)
    # the other work on this tree may change Sluice while the bench runs: say so
    code["at_end"] = measured_code()
    found = save(path, args, code, installed, runs)
    docs = dict.fromkeys(stats.SYSTEMS, args.docs)
    print(f"\n{args.docs} documents, {args.rounds} rounds, medians:\n")
    print(stats.speed_table(runs, docs) + "\n\n" + stats.ratio_table(found))
    print(f"\nSluice at the end: uncommitted {code['at_end']['diff_stat']}, ner.processes in "
          f"config: {code['at_end']['ner_processes_in_config']}\nevery run: {path}")


def save(path: Path, args: argparse.Namespace, code: dict, installed: dict,
         runs: list[dict]) -> list[dict]:
    found = stats.ratios(stats.medians(runs), dict.fromkeys(stats.SYSTEMS, args.docs))
    path.write_text(json.dumps({"docs": args.docs, "rounds": args.rounds, "cores": CORES,
                                "sluice": code, "peers_versions": installed, "runs": runs,
                                "medians_s": stats.medians(runs), "ratios": found}, indent=1))
    return found


if __name__ == "__main__":
    main()
