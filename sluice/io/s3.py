"""S3 as a source (s3://bucket/prefix of documents) and as a JSONL sink.

The client comes from boto3's own configuration (env vars, AWS_ENDPOINT_URL, profiles), or is
handed in with `use_client`: blocks.storage does that with a prefect-aws `S3Bucket` block.
Each sink write is one new object: PUT is atomic, so a reader never sees half a batch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sluice.errors import SourceNotFound
from sluice.io import jsonl
from sluice.records import Document

SCHEME = "s3://"
_client: list[Any] = []  # the client handed in by use_client, if any


def is_s3(uri: object) -> bool:
    return str(uri).startswith(SCHEME)


def split(uri: str) -> tuple[str, str]:
    """("bucket", "key/or/prefix") of an s3:// URI."""
    bucket, _, key = uri[len(SCHEME) :].partition("/")
    return bucket, key


def use_client(client: Any) -> None:
    """Make `client` (a boto3 S3 client) the one every S3 read and write of this process uses."""
    _client[:] = [client]


def client() -> Any:
    return _client[0] if _client else _default_client()


@cache
def _default_client() -> Any:
    import boto3

    return boto3.client("s3")


def list_uris(prefix_uri: str) -> list[str]:
    """Every object under the prefix, sorted, except hidden ones (a name starting with ".")."""
    bucket, prefix = split(prefix_uri)
    pages = client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    keys = [obj["Key"] for page in pages for obj in page.get("Contents", [])]
    visible = [k for k in keys if not any(p.startswith(".") for p in k.split("/") if p)]
    if not visible:
        raise SourceNotFound(f"source {prefix_uri!r}: no objects under that prefix")
    return [f"{SCHEME}{bucket}/{key}" for key in sorted(visible)]


def read_bytes(uri: str) -> bytes:
    bucket, key = split(uri)
    return client().get_object(Bucket=bucket, Key=key)["Body"].read()


def write_documents(
    prefix_uri: str,
    docs: Sequence[Document],
    chunk_counts: Mapping[str, int] | None = None,
    now: datetime | None = None,
) -> int:
    """Put the documents that no JSONL object under the prefix holds yet into one new object of
    the UTC day; its key hashes the ids, so writing the same batch again overwrites, never adds."""
    seen = _ids_under(prefix_uri)
    fresh = {doc.id: doc for doc in docs if doc.id not in seen}
    if not fresh:
        return 0
    day = (now or datetime.now(UTC)).astimezone(UTC)
    digest = hashlib.sha256("\n".join(sorted(fresh)).encode()).hexdigest()[:16]
    bucket, prefix = split(prefix_uri.rstrip("/") + "/")
    body = "".join(jsonl.line(doc, chunk_counts) + "\n" for doc in fresh.values())
    key = f"{prefix}documents-{day:%Y-%m-%d}-{digest}.jsonl"
    client().put_object(Bucket=bucket, Key=key, Body=body.encode("utf-8"))
    return len(fresh)


def read_documents(prefix_uri: str) -> list[Document]:
    """The documents of every JSONL object under the prefix, oldest day first."""
    return [doc for uri in _jsonl_uris(prefix_uri) for doc in jsonl.parse_documents(
        read_bytes(uri).decode("utf-8"), uri)]  # fmt: skip


def _jsonl_uris(prefix_uri: str) -> list[str]:
    bucket, prefix = split(prefix_uri.rstrip("/") + "/")
    pages = client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    keys = [obj["Key"] for page in pages for obj in page.get("Contents", [])]
    return [f"{SCHEME}{bucket}/{k}" for k in sorted(keys) if _is_output(k[len(prefix) :])]


def _is_output(name: str) -> bool:
    return "/" not in name and name.startswith("documents-") and name.endswith(".jsonl")


def _ids_under(prefix_uri: str) -> set[str]:
    return {doc.id for doc in read_documents(prefix_uri)}
