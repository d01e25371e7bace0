"""Build the encoding dev set `samples.jsonl` from real translated sentences.

Usage: python bench/data/encodings/generate.py [--locale-dir /usr/share/locale]

The text is the GLib and GTK message catalogs (`glib20.mo`, `gtk20.mo`: Debian's
libglib2.0-data and libgtk2.0-common), translated by people into each language: real
sentences such as error messages and help text. Each sample joins consecutive messages of one
language into paragraphs, keeping only messages its encoding can represent, so every sample
is text that could really have been written in that code page. The committed samples.jsonl
holds the text and the encoding; `bench/charsets.py` makes the bytes.

Split (fixed): samples with an even index tune the detector, odd ones are held out.
"""

from __future__ import annotations

import argparse
import gettext
import hashlib
import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "samples.jsonl"
CATALOGS = ("glib20.mo", "gtk20.mo")
PER_ENCODING = 10
LENGTHS = (90, 250, 600, 1400, 3000)  # characters of text: a short e-mail up to a long page

CENTRAL = ["cs", "sk", "pl", "hu", "sl", "hr", "ro"]
BALTIC = ["lt", "lv", "et"]
WESTERN = ["de", "fr", "es", "pt", "it", "nl", "sv", "da", "fi"]
MIXED = ["cs", "ru", "ja", "de", "tr", "el", "zh_CN", "ko", "he", "pl", "ar", "th"]
# encoding label (Python codec, "+bom" to prefix a byte-order mark) -> languages written in it
ENCODINGS: dict[str, list[str]] = {
    "cp1250": CENTRAL, "iso-8859-2": CENTRAL, "iso-8859-16": ["ro", "pl", "hu", "hr", "sl"],
    "cp1257": BALTIC, "iso-8859-13": BALTIC, "iso-8859-4": BALTIC,
    "cp1254": ["tr"], "iso-8859-9": ["tr"],
    "koi8-r": ["ru"], "koi8-u": ["uk"], "cp1251": ["ru", "uk", "bg", "sr", "mk", "be"],
    "cp866": ["ru", "uk"], "iso-8859-5": ["ru", "bg", "sr", "mk"],
    "mac_cyrillic": ["ru", "uk", "bg"],
    "cp1253": ["el"], "iso-8859-7": ["el"],
    "cp1255": ["he"], "iso-8859-8": ["he"],
    "cp1256": ["ar", "fa"], "iso-8859-6": ["ar"],
    "cp874": ["th"], "tis-620": ["th"],
    "shift_jis": ["ja"], "cp932": ["ja"], "euc-jp": ["ja"], "iso-2022-jp": ["ja"],
    "euc-kr": ["ko"], "cp949": ["ko"], "iso-2022-kr": ["ko"],
    "gb2312": ["zh_CN"], "gbk": ["zh_CN"], "gb18030": ["zh_CN"], "big5": ["zh_TW"],
    "cp1252": WESTERN, "latin-1": WESTERN, "iso-8859-15": ["fr", "fi", "de", "es"],
    "mac_roman": ["de", "fr", "es", "sv"], "cp850": ["de", "fr", "es"],
    "utf-8": MIXED, "utf-8+bom": MIXED,
    "utf-16-le": MIXED, "utf-16-be": MIXED, "utf-16-le+bom": MIXED, "utf-16-be+bom": MIXED,
    "utf-32-le": MIXED, "utf-32-be": MIXED, "utf-32-le+bom": MIXED,
}  # fmt: skip
_PLACEHOLDER = re.compile(r"%|\{|\}|\\|<|>|\t|\n|@|\$")
# Languages not written in Latin letters: an all-ASCII message there is left in English.
_SCRIPTS = set("ru uk bg sr mk be el he ar fa th ja ko zh_CN zh_TW".split())


def messages(locale_dir: Path, lang: str) -> list[str]:
    """The language's translated messages that read as prose (no placeholders or markup)."""
    found: dict[str, None] = {}
    for catalog in CATALOGS:
        path = locale_dir / lang / "LC_MESSAGES" / catalog
        if not path.exists():
            continue
        with path.open("rb") as f:
            strings = gettext.GNUTranslations(f)._catalog  # type: ignore[attr-defined]
        for key, value in strings.items():
            text = value.replace("_", "").strip()
            if key != value and _is_prose(text) and not (lang in _SCRIPTS and text.isascii()):
                found[text] = None
    return list(found)


def _is_prose(text: str) -> bool:
    return len(text) >= 25 and " " in text and not _PLACEHOLDER.search(text)


def sample(pool: list[str], encoding: str, length: int, seed: str) -> str:
    """Consecutive messages the encoding can represent, in paragraphs, about `length` long."""
    codec = encoding.removesuffix("+bom")
    start = int(hashlib.sha256(seed.encode()).hexdigest(), 16) % len(pool)
    paragraphs, current, size = [], [], 0
    for i in range(len(pool)):
        text = pool[(start + i) % len(pool)]
        try:
            text.encode(codec)
        except UnicodeEncodeError:
            continue
        current.append(text if text[-1] in ".!?。？！" else text + ".")
        size += len(text) + 1
        if len(current) == 4:
            paragraphs.append(" ".join(current))
            current = []
        if size >= length and not all(t.isascii() for t in paragraphs + current):
            break
    return "\n\n".join(paragraphs + ([" ".join(current)] if current else []))


def build(locale_dir: Path) -> list[dict[str, object]]:
    pools: dict[str, list[str]] = {}
    rows: list[dict[str, object]] = []
    for encoding, langs in ENCODINGS.items():
        for n in range(PER_ENCODING):
            lang = langs[n % len(langs)]
            pool = pools.setdefault(lang, messages(locale_dir, lang))
            length = LENGTHS[n % len(LENGTHS)]
            text = sample(pool, encoding, length, f"{encoding}/{n}")
            kind = "html" if (n // 2) % 2 else "txt"  # both kinds in both halves
            split = "held-out" if len(rows) % 2 else "tuning"
            rows.append({"id": len(rows), "encoding": encoding, "lang": lang, "kind": kind,
                         "split": split, "text": text})  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--locale-dir", type=Path, default=Path("/usr/share/locale"))
    rows = build(parser.parse_args().locale_dir)
    with OUT.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} samples, {OUT.stat().st_size / 1e6:.2f} MB -> {OUT}")


if __name__ == "__main__":
    main()
