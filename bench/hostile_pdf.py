"""PDF inputs of bench/hostile.py: real PDFs cut short or with flipped bytes, encrypted and
scanned ones, and hand-made ones: a FlateDecode bomb, a page tree that claims 20,000 pages, and
one that has them."""

from __future__ import annotations

import random
import zlib

from bench.hostile_inputs import MB, Corpora, Folder, Sizes


def pdf_from(objects: list[bytes], title: str) -> bytes:
    """A PDF of numbered objects (1 is the catalog) with a correct xref table."""
    out, offsets = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    info = len(objects) + 1
    offsets.append(len(out))
    out += b"%d 0 obj\n<< /Title (%s) >>\nendobj\n" % (info, title.encode())
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (info + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        info + 1, info, xref)
    return bytes(out)


FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def page_objects(content: bytes, count: int = 1, kids: int = 1) -> list[bytes]:
    """Catalog, page tree (claiming `count` pages), font, content stream, then `kids` pages."""
    refs = b" ".join(b"%d 0 R" % (5 + k) for k in range(kids))
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R " \
           b"/Resources << /Font << /F1 3 0 R >> >> >>"
    return [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [%s] /Count %d >>" % (refs, count), FONT, content,
            *([page] * kids)]


def text_stream(text: str) -> bytes:
    words = text.encode("latin-1", "replace").replace(b"\\", b"").replace(b"(", b"") \
        .replace(b")", b"")[:2000]
    ops = b"BT /F1 10 Tf 40 750 Td (" + words + b") Tj ET"
    return b"<< /Length %d >>\nstream\n%s\nendstream" % (len(ops), ops)


def bomb_stream(inflated_mb: int) -> bytes:
    """A FlateDecode content stream that inflates to `inflated_mb` MB: text, then spaces."""
    packer = zlib.compressobj(9)
    parts = [packer.compress(b"BT /F1 10 Tf 40 750 Td (decompression bomb) Tj ET\n")]
    block = b" " * MB
    parts += [packer.compress(block) for _ in range(inflated_mb)]
    data = b"".join(parts) + packer.flush()
    return b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(data), data)


def make_pdfs(f: Folder, c: Corpora, s: Sizes, rng: random.Random) -> None:
    texts = c.text_pdfs()
    for i in range(s.n(60)):
        data = texts[i % len(texts)]
        f.file("pdf_truncated", f"trunc-{i}.pdf", data[: rng.randint(10, max(11, len(data) - 10))])
    for i in range(s.n(80)):
        data = bytearray(texts[i % len(texts)])
        for _ in range(rng.choice((1, 10, 100, 1000))):
            data[rng.randrange(len(data))] = rng.randrange(256)
        f.file("pdf_byte_flipped", f"flip-{i}.pdf", bytes(data) + b"%% %d\n" % i)
    for kind, pool, full in (("pdf_encrypted", c.encrypted_pdfs(), 20),
                             ("pdf_scanned_no_text", c.scanned_pdfs(), 12)):
        for i in range(s.n(full)):  # a comment after %%EOF keeps the file valid and unique
            f.file(kind, f"{kind}-{i}.pdf", pool[i % len(pool)] + b"\n%% copy %d\n" % i)
    bomb = bomb_stream(s.bomb_mb)
    for i in range(s.n(4)):
        f.file("pdf_decompression_bomb", f"bomb-{i}.pdf", pdf_from(page_objects(bomb), f"b{i}"))
    for i in range(s.n(6)):
        objs = page_objects(text_stream(c.body(i)), count=20_000)
        f.file("pdf_page_count_lie", f"count-lie-{i}.pdf", pdf_from(objs, f"lie{i}"))
    for i in range(s.n(2)):
        objs = page_objects(text_stream(c.body(i + 50)), count=20_000, kids=20_000)
        f.file("pdf_20000_pages", f"pages-{i}.pdf", pdf_from(objs, f"pages{i}"))
