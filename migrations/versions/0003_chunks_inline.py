"""Keep chunk rows (text and a vector, 2-4 KB) inline in PostgreSQL instead of TOAST.

Revision ID: 0003
Revises: 0002

Above about 2 KB a row's largest value is compressed first; float vectors do not compress,
so every write paid for a failed pglz pass. Up to 8 KB now stays in the row as it is.
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE chunks SET (toast_tuple_target = 8160)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE chunks RESET (toast_tuple_target)")
