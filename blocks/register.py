"""Register Sluice's block types, and prefect-aws's S3 ones, with the Prefect server in use.

Usage: python -m blocks.register   (idempotent: registering again updates the schemas)
"""

from __future__ import annotations

from prefect.blocks.core import Block
from prefect_aws import AwsCredentials, S3Bucket

from blocks.definitions import SLUICE_BLOCKS

ALL_BLOCKS: tuple[type[Block], ...] = (*SLUICE_BLOCKS, AwsCredentials, S3Bucket)


def register() -> list[str]:
    """Register every block type; returns their slugs."""
    for block in ALL_BLOCKS:
        block.register_type_and_schema()
    return [block.get_block_type_slug() for block in ALL_BLOCKS]


if __name__ == "__main__":
    print("registered block types:", ", ".join(register()))
