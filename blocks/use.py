"""Turn saved blocks into what the pipeline uses: a store URL, event targets, an S3 client.

The flow's event publisher loads the blocks named in SLUICE_REDIS_BLOCK and
SLUICE_WEBHOOK_BLOCK (tasks.events); a store block's URL is passed as the job's --store.
"""

from __future__ import annotations

from blocks.definitions import CleaningProfile, SluiceRedis, SluiceStore, SluiceWebhook
from sluice import redact
from sluice.config import RunParams
from sluice.io import s3
from sluice.io.event_sinks import Target


def store_url(name: str) -> str:
    """The block's URL with its password, which is masked in this process's logs from now on."""
    url = SluiceStore.load(name).connection_url()
    redact.add_url(url)
    return url


def event_targets(redis: str | None = None, webhook: str | None = None) -> list[Target]:
    """Targets of the named blocks."""
    targets: list[Target] = []
    if redis:
        targets.append(SluiceRedis.load(redis).target())
    if webhook:
        targets.append(SluiceWebhook.load(webhook).target())
    return targets


def use_s3_bucket(name: str) -> str:
    """Make the prefect-aws S3Bucket block `name` the S3 client of this process; returns its
    s3://bucket/folder URI, to use as a source or as the JSONL output."""
    from prefect_aws import S3Bucket

    bucket = S3Bucket.load(name)
    for key in ("aws_secret_access_key", "aws_session_token"):  # masked in logs from now on
        secret = getattr(bucket.credentials, key, None)
        redact.add_secret(secret.get_secret_value() if secret is not None else None)
    s3.use_client(bucket.credentials.get_s3_client())
    return f"s3://{bucket.bucket_name}/{bucket.bucket_folder}".rstrip("/")


def apply_blocks(params: RunParams) -> RunParams:
    """The job's parameters with its named blocks resolved; the S3 block's client becomes this
    process's S3 client. Explicit overrides win over a cleaning profile's settings."""
    if params.store_block:  # the block's URL, never a parameter of another run (shards)
        params = params.with_store(store_url(params.store_block))
    if params.cleaning_profile:
        params = params.model_copy(update={"overrides": {
            **CleaningProfile.load(params.cleaning_profile).overrides(), **params.overrides}})
    if params.s3_block:
        use_s3_bucket(params.s3_block)
    return params
