"""PostgreSQL bulk load: rows go by binary COPY into a temporary staging table, which the caller
merges into the real table with one INSERT … SELECT … ON CONFLICT.

COPY skips the per-row parse and plan of an INSERT; the binary format also skips turning 384
floats per chunk into text and back, the cost that dominates text COPY of embeddings.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy import Connection, Table

HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
TRAILER = struct.pack(">h", -1)
NULL = struct.pack(">i", -1)
PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
FLOAT4_OID = 700
COPY_READ_SIZE = 1 << 20  # psycopg2 reads the buffer 8 KiB at a time by default

Encoder = Callable[[list[Any]], list[bytes]]


def copy_to_staging(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> Table:
    """A temporary table with `table`'s columns named in `rows[0]`, holding just `rows`; the
    caller reads it in the same transaction, and commit empties it."""
    names = list(rows[0])
    types = {name: table.c[name].type.compile(dialect=conn.dialect) for name in names}
    staging = sa.table(_staging_name(table.name, types), *(sa.column(name) for name in names))
    columns = ", ".join(f'"{name}" {types[name]}' for name in names)
    # Kept for the life of the pooled connection: creating it per batch costs more than a
    # 1,000-row COPY. Rows up to 8 KB stay inline, so vectors are not run through compression.
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging.name} ({columns}) "
        f"WITH (toast_tuple_target = 8160) ON COMMIT DELETE ROWS"
    )
    quoted = ", ".join(f'"{name}"' for name in names)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        stream = _Stream(encode_rows(rows, [ENCODERS[types[name]] for name in names]))
        cursor.copy_expert(
            f"COPY {staging.name} ({quoted}) FROM STDIN WITH (FORMAT binary)",
            stream,
            size=COPY_READ_SIZE,
        )
    finally:
        cursor.close()
    return staging


def _staging_name(table: str, types: dict[str, str]) -> str:
    # Named after its columns too: a batch with other columns must not meet an older table.
    spec = hashlib.sha1(repr(sorted(types.items())).encode()).hexdigest()[:8]
    return f"stage_{table}_{spec}"


class _Stream(io.RawIOBase):
    """A file over the encoded rows, so the server parses one part while we encode the next."""

    def __init__(self, parts: Iterator[bytes]) -> None:
        self._parts = parts
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        pieces, length = [self._buffer], len(self._buffer)
        for part in self._parts:
            pieces.append(part)
            length += len(part)
            if 0 <= size <= length:
                break
        data = b"".join(pieces)
        cut = len(data) if size < 0 else size
        self._buffer = data[cut:]
        return data[:cut]


def encode_rows(rows: Sequence[dict[str, Any]], encoders: list[Encoder]) -> Iterator[bytes]:
    """The COPY binary stream of `rows`: per row a field count, then each field length-prefixed."""
    names = list(rows[0])
    fields = [
        encoder([row[name] for row in rows]) for name, encoder in zip(names, encoders, strict=True)
    ]
    count = struct.pack(">h", len(names))
    yield HEADER
    for row in zip(*fields, strict=True):
        yield count + b"".join(row)
    yield TRAILER


# Column encoders: values of one column in, their length-prefixed fields out, a column at a
# time because a call per value is what a 20k rows/s writer cannot afford.
_SIZE = struct.Struct(">i").pack
_INT4 = struct.Struct(">ii").pack
_FLOAT8 = struct.Struct(">id").pack
_INT8 = struct.Struct(">iq").pack


def _texts(values: list[Any]) -> list[bytes]:
    encoded = (None if v is None else str(v).encode("utf-8") for v in values)
    return [NULL if b is None else _SIZE(len(b)) + b for b in encoded]


def _int4s(values: list[Any]) -> list[bytes]:
    return [NULL if v is None else _INT4(4, v) for v in values]


def _float8s(values: list[Any]) -> list[bytes]:
    return [NULL if v is None else _FLOAT8(8, v) for v in values]


def _timestamptzs(values: list[datetime | None]) -> list[bytes]:
    micros = timedelta(microseconds=1)
    return [NULL if v is None else _INT8(8, (v - PG_EPOCH) // micros) for v in values]


def _jsonbs(values: list[Any]) -> list[bytes]:
    # JSONB's binary form is a version byte, 1, then the JSON text.
    return _texts(
        [None if v is None else "\x01" + json.dumps(v, ensure_ascii=False) for v in values]
    )


def _real_arrays(values: list[Any]) -> list[bytes]:
    """float4[] fields, built with numpy a block of equal-length vectors at a time: each element
    is its length (4) then its big-endian value, after a one-dimension array header."""
    out: list[bytes] = []
    for block in _equal_length_blocks(values):
        dim = len(block[0])
        header = struct.pack(">iiiiii", 20 + 8 * dim, 1, 0, FLOAT4_OID, dim, 1)
        cells = np.empty((len(block), dim), dtype=[("size", ">i4"), ("value", ">f4")])
        cells["size"] = 4
        cells["value"] = np.asarray(block, dtype=np.float32).reshape(len(block), dim)
        out += [header + row.tobytes() for row in cells]
    return out


def _equal_length_blocks(values: list[Any]) -> list[list[Any]]:
    blocks: list[list[Any]] = []
    for value in values:
        if blocks and len(blocks[-1][0]) == len(value):
            blocks[-1].append(value)
        else:
            blocks.append([value])
    return blocks


# Keyed by the type names that store_schema's columns compile to on PostgreSQL.
ENCODERS: dict[str, Encoder] = {
    "TEXT": _texts,
    "INTEGER": _int4s,
    "FLOAT": _float8s,
    "TIMESTAMP WITH TIME ZONE": _timestamptzs,
    "JSONB": _jsonbs,
    "REAL[]": _real_arrays,
}
