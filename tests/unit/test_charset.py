"""Charset decoding on real translated sentences (GLib/GTK messages in bench/data/encodings).

Each cause of mojibake the old decoder had gets a case: Central European and Turkish code
pages read as cp1252, 7-bit ISO-2022 read as ASCII with its escapes left in, UTF-16/32
without a byte-order mark read as UTF-8 with NULs between the letters.
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path

import pytest

from sluice.charset import decode_bytes
from sluice.parse import parse_documents
from sluice.records import Document, RawDocument, SourceRef

REUTERS = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "reuters-21578.jsonl.gz"
COMMA_TO_CEDILLA = str.maketrans("șțȘȚ", "şţŞŢ")
SAMPLES = Path(__file__).resolve().parents[2] / "bench" / "data" / "encodings" / "samples.jsonl"


@cache
def _samples() -> list[dict[str, str]]:
    return [json.loads(line) for line in SAMPLES.read_text(encoding="utf-8").splitlines()]


def real_text(encoding: str, lang: str, longest: int = 4000, shortest: int = 0) -> str:
    """The first tuning text of that language and encoding, cut to about `longest` chars.

    Tuning texts only: the held-out half stays unseen for bench/charsets.py.
    """
    for row in _samples():
        key = (row["encoding"], row["lang"], row["split"])
        if key == (encoding, lang, "tuning") and len(row["text"]) >= shortest:
            text = row["text"]
            return text if len(text) <= longest else text[: text.rfind(" ", 0, longest)]
    raise LookupError(f"no {lang} sample in {encoding}")


def parse_one(data: bytes, fmt: str) -> Document:
    raw = RawDocument(id="id", ref=SourceRef(uri=f"in/doc.{fmt}", format=fmt), data=data)
    docs, failures = parse_documents([raw])
    assert failures == [], failures
    return docs[0]


@pytest.mark.parametrize(
    ("encoding", "lang"),
    [
        ("cp1250", "cs"), ("iso-8859-2", "cs"), ("cp1250", "sk"), ("iso-8859-2", "sk"),
        ("cp1250", "pl"), ("cp1250", "sl"), ("cp1250", "ro"), ("iso-8859-2", "ro"),
        ("iso-8859-16", "hu"), ("iso-8859-16", "hr"), ("cp1257", "et"),
        ("cp1254", "tr"), ("iso-8859-9", "tr"), ("cp1257", "lt"), ("iso-8859-13", "lv"),
    ],
)  # fmt: skip
def test_charset_central_european_and_turkish_pages_are_not_read_as_cp1252(
    encoding: str, lang: str
) -> None:
    # Whole texts: in two lines without s/z-caron (cp1250's bytes 0x9A/0x9E), cp1250 and
    # iso-8859-2 differ in one letter or none and can still swap (see the README).
    text = real_text(encoding, lang)

    decoded, _ = decode_bytes(text.encode(encoding))

    assert decoded == text


def test_charset_romanian_iso_8859_16_reads_as_the_same_letters() -> None:
    # s- and t-comma sit on the very bytes where cp1250 has s- and t-cedilla, the letters
    # Romanian was written with in cp1250: the bytes cannot tell the two code pages apart.
    text = real_text("iso-8859-16", "ro")

    decoded, _ = decode_bytes(text.encode("iso-8859-16"))

    assert decoded.translate(COMMA_TO_CEDILLA) == text.translate(COMMA_TO_CEDILLA)
    assert any(c in decoded for c in "şţŞŢșțȘȚ")


@pytest.mark.parametrize(
    ("encoding", "lang"),
    [("koi8-r", "ru"), ("koi8-u", "uk"), ("cp866", "ru"), ("iso-8859-5", "sr"),
     ("cp1253", "el"), ("iso-8859-8", "he"), ("cp1256", "ar"), ("tis-620", "th"),
     ("shift_jis", "ja"), ("euc-jp", "ja"), ("euc-kr", "ko"), ("gb2312", "zh_CN"),
     ("big5", "zh_TW")],
)  # fmt: skip
def test_charset_other_legacy_code_pages(encoding: str, lang: str) -> None:
    text = real_text(encoding, lang)

    assert decode_bytes(text.encode(encoding))[0] == text


@pytest.mark.parametrize(
    ("encoding", "lang", "codec"),
    [("iso-2022-jp", "ja", "iso2022_jp"), ("iso-2022-kr", "ko", "iso2022_kr")],
)
def test_charset_seven_bit_iso_2022_is_not_read_as_ascii(
    encoding: str, lang: str, codec: str
) -> None:
    text = real_text(encoding, lang)
    data = text.encode(encoding)
    assert data.isascii()  # so UTF-8 would have taken it, escapes and all

    assert decode_bytes(data) == (text, codec)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
@pytest.mark.parametrize("lang", ["cs", "ja", "he"])
def test_charset_utf16_and_utf32_without_bom(codec: str, lang: str) -> None:
    text = real_text("utf-8", lang)

    assert decode_bytes(text.encode(codec)) == (text, codec)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_charset_english_utf16_without_bom_is_not_utf8_with_nuls(codec: str) -> None:
    # All-ASCII text in UTF-16/32 is valid UTF-8 byte for byte, NULs and all.
    if not REUTERS.exists():
        pytest.skip(f"needs the Reuters corpus at {REUTERS}")
    with gzip.open(REUTERS, "rt", encoding="utf-8") as f:
        text = json.loads(f.readline())["body"]

    assert decode_bytes(text.encode(codec)) == (text, codec)


def test_charset_utf16_label_on_a_page_without_nuls_is_ignored() -> None:
    if not REUTERS.exists():
        pytest.skip(f"needs the Reuters corpus at {REUTERS}")
    with gzip.open(REUTERS, "rt", encoding="utf-8") as f:
        text = json.loads(f.readline())["body"]

    assert decode_bytes(text.encode(), "utf-16") == (text, "utf-8")


def test_charset_declared_cjk_charset_with_a_broken_pair_is_still_read_in_it() -> None:
    text = real_text("gb2312", "zh_CN", shortest=1000)
    data = text.encode("gb2312")
    lead = next(i for i, byte in enumerate(data) if byte > 0x7F)
    broken = data[: lead + 1] + b"\n" + data[lead + 1 :]  # a pair cut by a stray line break

    decoded, codec = decode_bytes(broken, "gb2312")

    # The label's superset (GBK, as browsers read "gb2312"), one bad pair replaced.
    assert codec == "gb18030"
    assert 1 <= decoded.count("\ufffd") <= 2
    assert decoded.endswith(text[-200:])


def test_charset_legacy_text_after_a_long_english_preamble() -> None:
    # The detector reads 64 KB: from just before the first non-ASCII byte when it is late.
    if not REUTERS.exists():
        pytest.skip(f"needs the Reuters corpus at {REUTERS}")
    with gzip.open(REUTERS, "rt", encoding="utf-8") as f:
        preamble = "\n".join(
            json.loads(line).get("body", "") for _, line in zip(range(200), f, strict=False)
        )
    text = preamble + "\n\n" + real_text("cp1250", "sk")
    assert len(preamble) > 100_000 and preamble.isascii()

    assert decode_bytes(text.encode("cp1250")) == (text, "cp1250")


def test_charset_utf8_with_stray_nuls_stays_utf8() -> None:
    text = real_text("utf-8", "cs") + "\x00\x00\x00\x00"

    assert decode_bytes(text.encode("utf-8")) == (text, "utf-8")


def test_charset_valid_utf8_and_ascii_take_the_fast_path() -> None:
    text = real_text("utf-8", "ja")

    assert decode_bytes(text.encode()) == (text, "utf-8")
    assert decode_bytes(b"Plain ASCII mail body.\r\n") == ("Plain ASCII mail body.\r\n", "utf-8")


def test_charset_declared_charset_wins_when_it_decodes() -> None:
    text = real_text("iso-8859-2", "cs")
    data = text.encode("iso-8859-2")

    # cp1250 decodes these bytes too, into other letters: what the sender declared decides.
    assert decode_bytes(data, "iso-8859-2") == (text, "iso8859-2")
    assert decode_bytes(data, "cp1250")[1] == "cp1250"


def test_charset_declared_charset_that_fails_is_guessed_past() -> None:
    text = real_text("cp1250", "cs")

    assert decode_bytes(text.encode("cp1250"), "utf-8") == (text, "cp1250")


def test_charset_declared_ebcdic_on_seven_bit_bytes_still_decides() -> None:
    assert decode_bytes("Hello".encode("cp037"), "cp037") == ("Hello", "cp037")


def test_charset_never_fails_on_binary_noise_with_nuls() -> None:
    data = bytes(range(256)) * 8

    text, _ = decode_bytes(data)

    assert len(text) == len(data)


def test_charset_bom_less_utf16_text_file_through_parse() -> None:
    text = real_text("utf-8", "tr")

    doc = parse_one(text.encode("utf-16-le"), "txt")

    assert (doc.text, doc.metadata["charset"]) == (text, "utf-16-le")


def test_charset_iso_2022_jp_mail_without_charset_parameter_through_parse() -> None:
    text = real_text("iso-2022-jp", "ja")
    headers = (
        "From: Taro <taro@example.jp>\nSubject: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=\n"
        "MIME-Version: 1.0\nContent-Type: text/plain\nContent-Transfer-Encoding: 7bit\n"
    )
    message = headers.replace("\n", "\r\n").encode() + b"\r\n" + text.encode("iso-2022-jp")

    doc = parse_one(message, "eml")

    assert (doc.text, doc.metadata["charset"]) == (text, "iso2022_jp")
    assert doc.title == "テスト"


def test_charset_czech_web_page_without_meta_through_parse() -> None:
    body = real_text("cp1250", "sk", longest=600)
    page = f"<html><head><title>Nápověda</title></head><body><p>{body}</p></body></html>"

    doc = parse_one(page.encode("cp1250"), "html")

    assert (doc.text, doc.title) == (page, "Nápověda")


@pytest.mark.parametrize("text", [
    "It\u2019s 5\u20ac.",  # too short for any detector: the bytes alone decide
    "Don\u2019t worry \u2013 the state of our Union is strong\u2026",  # SOTU 1998, with typography
    "\u201cWe\u2019ll meet at the Caf\u00e9 de Flore at 9 \u2014 don\u2019t be late,\u201d "
    "he wrote, and signed it \u201cJ.\u201d, as he always did in his letters to the editor.",
])
def test_charset_mostly_english_with_windows_typography_is_cp1252(text: str) -> None:
    # chardet alone reads such snippets as Mac Central European or DOS Hebrew ("Itís 5Ä.").
    assert decode_bytes(text.encode("cp1252")) == (text, "cp1252")
