"""S3 source and JSONL sink against moto's server over real HTTP (boto3 is not patched),
through boto3's own configuration and through prefect-aws's S3Bucket block."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from sluice.io import s3
from sluice.io.files import discover, read_raw
from sluice.records import Document


@pytest.fixture
def bucket(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh bucket; boto3 configured by env vars only, as a deployment would be."""
    for name, value in {"AWS_ENDPOINT_URL": moto_endpoint, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"
                        }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    s3._default_client.cache_clear()  # a client made under other env vars would stay
    name = f"sluice-{uuid.uuid4().hex[:16]}"  # not id(): a freed object's id comes back
    client = boto3.client("s3")
    client.create_bucket(Bucket=name)
    client.put_object(Bucket=name, Key="in/a.txt", Body=b"Alpha text about Paris.")
    client.put_object(Bucket=name, Key="in/sub/.hidden.txt", Body=b"never read")
    lines = b"".join(json.dumps({"text": t}).encode() + b"\n" for t in ("one", "two"))
    client.put_object(Bucket=name, Key="in/sub/b.jsonl.gz", Body=gzip.compress(lines))
    yield name
    s3._default_client.cache_clear()


def test_s3_source_is_discovered_and_read(bucket: str) -> None:
    refs = discover(f"s3://{bucket}/in")
    assert [(r.uri, r.format, r.part) for r in refs] == [
        (f"s3://{bucket}/in/a.txt", "txt", None),
        (f"s3://{bucket}/in/sub/b.jsonl.gz", "jsonl", 1),
        (f"s3://{bucket}/in/sub/b.jsonl.gz", "jsonl", 2),
    ]
    raws, failures = read_raw(refs)
    assert failures == []
    assert [r.data for r in raws] == [b"Alpha text about Paris.", b'{"text": "one"}',
                                      b'{"text": "two"}']


def test_s3_jsonl_sink_writes_each_document_once(bucket: str) -> None:
    out = f"s3://{bucket}/out"
    docs = [Document(id=f"d{i}", source=f"s{i}", format="txt", text=f"text {i}") for i in range(3)]
    assert s3.write_documents(out, docs[:2], {"d0": 2}) == 2
    assert s3.write_documents(out, docs, {}) == 1  # d0, d1 are there already
    assert s3.write_documents(out, docs) == 0
    assert sorted(d.id for d in s3.read_documents(out)) == ["d0", "d1", "d2"]
    assert {d.id: d for d in s3.read_documents(out)}["d0"] == docs[0]


def test_s3_through_the_prefect_aws_block(bucket: str, moto_endpoint: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect_aws import AwsCredentials, S3Bucket

    monkeypatch.delenv("AWS_ENDPOINT_URL")  # only the block knows where S3 is
    credentials = AwsCredentials(aws_access_key_id="testing", aws_secret_access_key="testing",
                                 region_name="us-east-1",
                                 aws_client_parameters={"endpoint_url": moto_endpoint})
    block = S3Bucket(bucket_name=bucket, credentials=credentials, bucket_folder="in")
    s3.use_client(block.credentials.get_s3_client())
    try:
        refs = discover(f"s3://{bucket}/{block.bucket_folder}")
        assert len(refs) == 3
        assert read_raw(refs[:1])[0][0].data == block.read_path("a.txt")
    finally:
        s3._client.clear()


def test_s3_flow_reads_a_prefix_and_writes_jsonl_to_s3(bucket: str, prefect_harness,
                                                       tmp_path: Path) -> None:
    from flows.pipeline import pipeline
    from sluice.config import RunParams

    out = f"s3://{bucket}/out"
    summary = pipeline(RunParams(source=f"s3://{bucket}/in", store=f"sqlite:///{tmp_path}/s.db",
                                 out=out))
    assert summary.totals.processed == 3
    assert sorted(d.source for d in s3.read_documents(out)) == [
        f"s3://{bucket}/in/a.txt", f"s3://{bucket}/in/sub/b.jsonl.gz#L1",
        f"s3://{bucket}/in/sub/b.jsonl.gz#L2",
    ]
