"""The batches table: which batches of a job's batch plan are stored, and what each did.

Revision ID: 0006
Revises: 0005

A resumed job used to read every batch again to find the documents its ledger holds; with
this table it goes straight to its first unfinished batch, and its summary adds up the stored
reports of the batches it passes by.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("batches"):
        return  # a store made before migrations, with today's tables, is adopted as it is
    op.create_table(
        "batches",
        sa.Column("job_id", sa.Text, primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("refs_digest", sa.Text, nullable=False),
        sa.Column("report", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                  nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("batches")
