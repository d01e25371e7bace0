"""The document store's tables: documents, entities, corrections, chunks, failures, ledger.

Revision ID: 0001
Revises:
"""

from alembic import op

from sluice.io.store_schema import schema

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


# The tables of this revision; tables added later (batches, 0006) come with their revision.
TABLES = ("documents", "entities", "corrections", "chunks", "failures", "ledger")


def upgrade() -> None:
    # checkfirst: a store created before migrations existed already has these tables and
    # is adopted as it is. Later schema changes come as their own revisions, never here.
    schema.create_all(op.get_bind(), tables=_initial(), checkfirst=True)


def downgrade() -> None:
    schema.drop_all(op.get_bind(), tables=_initial())


def _initial() -> list:
    return [schema.tables[name] for name in TABLES]
