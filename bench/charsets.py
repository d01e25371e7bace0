"""Charset detection on real text in ~50 encodings: Sluice now, Sluice at git HEAD, and the
detectors alone, side by side on the same files.

Usage: python bench/charsets.py [--split held-out|tuning|all] [--runs 3]

The dev set is bench/data/encodings/samples.jsonl (see generate.py there): real translated
sentences, as plain text or a small web page, encoded here into their code page. Nothing is
declared: every decoder has to guess. Correct means the decoded text equals the original,
after one rule: where one byte means the same letter in two code pages under two Unicode names,
either counts (WAVE DASH and FULLWIDTH TILDE in Shift_JIS and cp932; Romanian s-comma in
iso-8859-16 and s-cedilla in cp1250), and a leading U+FEFF is ignored.
Results go to bench/results/charsets.json.
"""

from __future__ import annotations

import argparse
import codecs
import gzip
import html
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import chardet
import charset_normalizer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sluice import charset  # noqa: E402
from sluice.mail import read_mail  # noqa: E402

SAMPLES = ROOT / "bench" / "data" / "encodings" / "samples.jsonl"
RESULTS = ROOT / "bench" / "results" / "charsets.json"
REUTERS = ROOT.parent / "shared" / "corpora" / "reuters-21578.jsonl.gz"
SPAMASSASSIN = ROOT.parent / "shared" / "corpora" / "spamassassin.jsonl.gz"
_BOM = {"utf-8": codecs.BOM_UTF8, "utf-16-le": codecs.BOM_UTF16_LE,
        "utf-16-be": codecs.BOM_UTF16_BE, "utf-32-le": codecs.BOM_UTF32_LE}  # fmt: skip
# One byte, two readings that mean one letter: JIS X 0208 and its Microsoft mapping (cp932)
# differ on a few symbols; Romanian s/t with comma (iso-8859-16) sit on the same bytes as
# s/t with cedilla in cp1250 and iso-8859-2, Romanian's spelling in those code pages.
_SAME = str.maketrans({"\uff5e": "\u301c", "\u2225": "\u2016", "\uff0d": "\u2212",
                       "\uffe0": "\xa2", "\uffe1": "\xa3", "\uffe2": "\xac", "\u2015": "\u2014",
                       "ș": "ş", "ț": "ţ", "Ș": "Ş", "Ț": "Ţ"})  # fmt: skip
Decoder = Callable[[bytes], str | None]


def page(text: str) -> str:
    """The text as a small web page, as a crawler would fetch it (no charset declared)."""
    paragraphs = text.split("\n\n")
    title = html.escape(paragraphs[0].split(". ")[0][:70])
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html>\n<html><head><title>{title}</title>\n"
            f'<link rel="stylesheet" href="/style.css"></head>\n'
            f'<body><div class="content">\n<h1>{title}</h1>\n{body}\n'
            "</div></body></html>\n")  # fmt: skip


def load(split: str) -> list[tuple[dict[str, object], str, bytes]]:
    """(sample, original text, bytes) for each sample of the split."""
    out = []
    for line in SAMPLES.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if split != "all" and row["split"] != split:
            continue
        text = page(row["text"]) if row["kind"] == "html" else row["text"]
        label = str(row["encoding"])
        codec = label.removesuffix("+bom")
        data = (_BOM[codec] if label.endswith("+bom") else b"") + text.encode(codec)
        out.append((row, text, data))
    return out


def same(decoded: str | None, text: str) -> bool:
    if decoded is None:
        return False
    return decoded.removeprefix("\ufeff").translate(_SAME) == text.translate(_SAME)


def head_module() -> object:
    """sluice/charset.py as committed at git HEAD, imported under another name."""
    source = subprocess.run(["git", "show", "HEAD:sluice/charset.py"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout  # fmt: skip
    path = Path(tempfile.mkdtemp()) / "charset_head.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("charset_head", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def by_normalizer(data: bytes) -> str | None:
    best = charset_normalizer.from_bytes(data).best()
    return None if best is None else str(best)


def by_chardet(data: bytes) -> str | None:
    name = chardet.detect(data)["encoding"]
    return None if name is None else data.decode(name, errors="replace")


def by_chardet_then_normalizer(data: bytes) -> str | None:
    """The mix: chardet, with charset-normalizer choosing among chardet's tied best guesses."""
    guesses = [m for m in chardet.detect_all(data) if m["encoding"]]
    if not guesses:
        return None
    tied = {codecs.lookup(m["encoding"]).name for m in guesses
            if m["confidence"] >= 0.99 * guesses[0]["confidence"]}  # fmt: skip
    best = charset_normalizer.from_bytes(data, cp_isolation=sorted(tied)).best()
    return str(best) if best else data.decode(guesses[0]["encoding"], errors="replace")


def decoders() -> dict[str, Decoder]:
    head = head_module()
    return {
        "sluice": lambda data: charset.decode_bytes(data)[0],
        "sluice@HEAD": lambda data: head.decode_bytes(data)[0],  # type: ignore[attr-defined]
        "charset-normalizer": by_normalizer,
        "chardet": by_chardet,
        "chardet+normalizer": by_chardet_then_normalizer,
    }


def score(name: str, decode: Decoder, files: list, runs: int) -> dict[str, object]:
    failures: Counter[str] = Counter()
    decode(files[0][2])  # loads the detector's models, a one-off cost per process
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        results = [decode(data) for _, _, data in files]
        times.append(time.perf_counter() - start)
    for (row, text, _), decoded in zip(files, results, strict=True):
        if not same(decoded, text):
            failures[str(row["encoding"])] += 1
    correct = len(files) - sum(failures.values())
    ms = 1000 * statistics.median(times) / len(files)
    return {"decoder": name, "files": len(files), "correct": correct,
            "percent": round(100 * correct / len(files), 1), "ms_per_file": round(ms, 3),
            "failures": dict(sorted(failures.items()))}  # fmt: skip


def typical_inputs() -> dict[str, list[bytes]]:
    """UTF-8 samples, and ASCII news wires (Reuters) where ../shared is present."""
    files = {"utf-8": [d for r, _, d in load("all") if r["encoding"] == "utf-8"]}
    if REUTERS.exists():
        with gzip.open(REUTERS, "rt", encoding="utf-8") as f:
            wires = [
                json.loads(line).get("body", "") for _, line in zip(range(500), f, strict=False)
            ]
        files["ascii (Reuters)"] = [w.encode() for w in wires if w]
    return files


def mail_changes(head: object) -> dict[str, object]:
    """Real mail (SpamAssassin): bodies that Sluice now decodes differently from git HEAD.

    No labels here, so this counts changes (to read by hand), not accuracy.
    """
    if not SPAMASSASSIN.exists():
        return {}
    changed: Counter[str] = Counter()
    bodies = 0
    with gzip.open(SPAMASSASSIN, "rt", encoding="utf-8") as f:
        for line in f:
            raw = json.loads(line)["raw_message"]
            # Stored as text: bytes that were not UTF-8 came in as latin-1 code points.
            data = raw.encode("latin-1") if max(map(ord, raw), default=0) < 256 else raw.encode()
            part = read_mail(data)
            new = charset.decode_bytes(part.payload, part.charset)
            old = head.decode_bytes(part.payload, part.charset)  # type: ignore[attr-defined]
            bodies += 1
            if new[0] != old[0]:
                changed[f"declared {part.charset}: {old[1]} -> {new[1]}"] += 1
    return {"bodies": bodies, "changed": sum(changed.values()), "changes": dict(changed)}


def speed(decode: Decoder, files: list[bytes], runs: int) -> float:
    decode(files[0])
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        for data in files:
            decode(data)
        times.append(time.perf_counter() - start)
    return round(1000 * statistics.median(times) / len(files), 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", default="held-out", choices=["held-out", "tuning", "all"])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    files = load(args.split)
    table = [score(name, decode, files, args.runs) for name, decode in decoders().items()]
    declared = sum(same(charset.decode_bytes(data, str(row["encoding"]).removesuffix("+bom"))[0],
                        text) for row, text, data in files)  # fmt: skip
    print(f"{args.split}: {len(files)} files, "
          f"{len({r['encoding'] for r, _, _ in files})} encodings\n")  # fmt: skip
    print(f"{'decoder':<20}{'correct':>12}{'%':>8}{'ms/file':>10}  failures by encoding")
    for row in table:
        fails = ", ".join(f"{k} {v}" for k, v in row["failures"].items()) or "-"  # type: ignore[union-attr]
        print(f"{row['decoder']:<20}{row['correct']:>7}/{row['files']:<4}{row['percent']:>8}"
              f"{row['ms_per_file']:>10}  {fails}")  # fmt: skip
    print(f"{'sluice, declared':<20}{declared:>7}/{len(files):<4}  (the right charset declared)")
    typical = {kind: {name: speed(decode, data, args.runs) for name, decode in decoders().items()}
               for kind, data in typical_inputs().items()}  # fmt: skip
    print("\nms per file on typical input")
    for kind, row in typical.items():
        print(f"  {kind:<18}" + "  ".join(f"{n} {ms}" for n, ms in row.items()))
    mail = mail_changes(head_module())
    if mail:
        print(f"\nSpamAssassin bodies decoded differently from HEAD: {mail['changed']} of "
              f"{mail['bodies']}")  # fmt: skip
        for change, n in mail["changes"].items():  # type: ignore[union-attr]
            print(f"  {n}  {change}")
    RESULTS.parent.mkdir(exist_ok=True)
    results = {"split": args.split, "decoders": table, "sluice_declared_correct": declared,
               "typical_ms_per_file": typical,
               "spamassassin_changes": mail}  # fmt: skip
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
