"""The pure parts of bench/peers.py and bench/scaling.py: corpus building, reading what a run
printed, ratios against targets, and the /proc process-tree watcher."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from bench.peers_corpus import (
    REUTERS,
    corpus_texts,
    read_folder,
    reuters_bodies,
    write_folder,
    write_jsonl,
)
from bench.peers_rss import TICKS, TreeWatch, cpu_seconds, descendants, parent_of, status_kb
from bench.peers_stats import (
    marginal_rates,
    medians,
    parse_result,
    parse_sluice_summary,
    ratios,
    speed_table,
)

BODIES = [
    "Showers continued throughout the week in the Bahia cocoa zone, alleviating the drought.\n",
    "Standard Oil Co and BP North America Inc said they plan to form a venture.\n",
    "Texas Commerce Bancshares Inc's Texas Commerce Bank-Houston said it filed an application.\n",
]
# the end of a real `sluice run` of 200 Reuters bodies (bench/peers.py reads these lines)
SUMMARY = """13:01:30.858 | INFO    | Flow run 'camouflaged-jackalope' - job bb435f1f
documents in: 200   processed: 200   skipped (unchanged): 0   failed: 0
entities: 3759   corrections: 28   chunks embedded: 275
wall time: 19.4 s   throughput: 618 docs/min
store: sqlite:////work/tmp/peers/small/s1/s.db
"""


def test_corpus_texts_repeats_are_distinct_and_first_pass_is_verbatim():
    texts = corpus_texts(8, BODIES)
    assert texts[:3] == BODIES
    assert len(set(texts)) == 8
    assert texts[3].startswith(BODIES[0].rstrip()) and texts[3].endswith("Reference 1-0.\n")
    assert texts[7].endswith("Reference 2-1.\n")


def test_corpus_texts_needs_bodies():
    with pytest.raises(ValueError):
        corpus_texts(3, [])


def test_folder_and_jsonl_hold_the_same_texts(tmp_path):
    texts = corpus_texts(1203, BODIES)
    write_folder(texts, tmp_path / "folder")
    assert len(list((tmp_path / "folder").iterdir())) == 2  # 1,000 files a subfolder
    assert read_folder(tmp_path / "folder") == texts
    lines = write_jsonl(texts, tmp_path / "c.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["text"] for line in lines] == texts


def test_reuters_bodies_are_the_first_non_empty_ones():
    if not REUTERS.exists():
        pytest.skip(f"needs ../shared: {REUTERS} is absent")
    bodies = reuters_bodies(50)
    assert len(bodies) == 50 and all(b.strip() for b in bodies)
    assert bodies[0].startswith("Showers continued throughout the week")


def test_parse_sluice_summary_reads_the_counts():
    found = parse_sluice_summary(SUMMARY)
    assert found == {"documents_in": 200, "processed": 200, "failed": 0, "entities": 3759,
                     "corrections": 28, "chunks": 275, "flow_wall_s": 19.4}
    with pytest.raises(ValueError):
        parse_sluice_summary("Traceback (most recent call last):\n")


def test_parse_result_takes_the_last_result_line():
    out = 'INFO: running\nRESULT {"chunks": 1}\nRESULT {"chunks": 275, "entities": 9}\n'
    assert parse_result(out) == {"chunks": 275, "entities": 9}
    with pytest.raises(ValueError):
        parse_result("INFO: running\n")


def _run(system: str, wall: float, ok: bool = True) -> dict:
    return {"system": system, "wall_s": wall, "ok": ok}


def test_ratios_use_medians_and_the_faster_framework():
    runs = [_run("sluice-folder", t) for t in (30.0, 40.0, 35.0)] + [
        _run("sluice-folder", 1.0, ok=False),  # a failed run is not a time
        _run("haystack", 60.0), _run("llamaindex", 70.0), _run("spacy-full", 63.0),
        _run("spacy-ner-cores", 25.0), _run("sluice-jsonl", 35.0)]
    times = medians(runs)
    assert times["sluice-folder"] == 35.0
    found = {r["ratio"]: r for r in ratios(times, dict.fromkeys(times, 2000))}
    framework = found["Sluice (folder) / faster of Haystack and LlamaIndex"]
    assert framework["peer"] == "haystack" and framework["value"] == pytest.approx(60 / 35, 1e-3)
    assert framework["met"] is True
    assert found["Sluice (folder) / raw full spaCy"]["met"] is False  # 1.8x < 2.0x
    assert found["Sluice (folder) / NER-only spaCy on all cores"]["value"] == pytest.approx(
        25 / 35, 1e-3)
    assert found["Sluice folder / Sluice JSONL, per document"]["value"] == 1.0


def test_ratios_leave_out_what_did_not_run_and_the_table_shows_failures():
    runs = [_run("sluice-folder", 30.0), _run("sluice-folder", 2.0, ok=False),
            _run("spacy-full", 60.0)]
    docs = {"sluice-folder": 2000, "spacy-full": 2000}
    assert [r["peer"] for r in ratios(medians(runs), docs)] == ["spacy-full"]
    assert "| 30.0 | 4,000 | 30.0, failed |" in speed_table(runs, docs)


def test_marginal_rates_are_flat_when_cost_is_linear():
    # 15 s fixed start, then 1,000 documents a minute
    points = [(n, 15 + n * 0.06) for n in (1000, 4000, 16000)]
    rates = marginal_rates(points)
    assert rates[0] is None
    assert rates[1:] == [pytest.approx(1000.0), pytest.approx(1000.0)]


def test_proc_fields_are_read_past_a_command_with_parentheses():
    assert parent_of("4242 (python (x) y) S 17 4242 4242 0 -1 4194560") == 17
    status = "Name:\tpython\nVmHWM:\t  524288 kB\nVmRSS:\t  262144 kB\n"
    assert status_kb(status, "VmHWM") == 524288
    assert status_kb(status, "VmSwap") == 0
    assert descendants(1, {2: 1, 3: 2, 4: 9, 5: 3}) == {1, 2, 3, 5}
    stat = f"4242 (python (x) y) S 17 4242 4242 0 -1 4194560 1 2 3 4 {3 * TICKS} {TICKS} 0 0"
    assert cpu_seconds(stat) == pytest.approx(4.0)


def test_tree_watch_counts_the_cpu_of_a_busy_child():
    busy = "import time\nwhile time.process_time() < 0.6: pass\ntime.sleep(0.5)"
    code = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {busy!r}])"
    proc = subprocess.Popen([sys.executable, "-c", code])
    watch = TreeWatch(proc.pid, every=0.1)
    watch.start()
    proc.wait()
    watch.stop()
    child = [p for pid, p in watch.peaks.items() if pid != proc.pid]
    assert len(child) == 1 and child[0]["cpu_s"] >= 0.55
    assert watch.peaks[proc.pid]["cpu_s"] < 0.5  # the parent only waits (its imports aside)


def test_tree_watch_sees_the_peak_of_a_child_process():
    code = ("import subprocess, sys, time; subprocess.run([sys.executable, '-c', "
            "\"b = bytearray(200 * 2**20); b[::4096] = b'x' * len(b[::4096]); "
            "import time; time.sleep(1.5)\"]); time.sleep(0.3)")
    proc = subprocess.Popen([sys.executable, "-c", code])
    watch = TreeWatch(proc.pid, every=0.1)
    watch.start()
    proc.wait()
    time.sleep(0.05)
    watch.stop()
    assert watch.peaks[proc.pid]["peak_mb"] < 100  # the parent only waits
    child = [p for pid, p in watch.peaks.items() if pid != proc.pid]
    assert len(child) == 1 and child[0]["peak_mb"] >= 200
    assert " -c b = bytearray" in child[0]["command"]
    assert watch.tree_max_mb >= 200
