"""Chunk vectors as pgvector `vector` where the extension can be created; REAL[] otherwise.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from sluice.io.search import has_pgvector

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or not _create_vector_extension(bind):
        return
    # REAL[] converts by pgvector's own cast; no dimension, as models of any size share it.
    op.execute("ALTER TABLE chunks ALTER COLUMN vector TYPE vector USING vector::vector")


def _create_vector_extension(bind: sa.Connection) -> bool:
    """True once `vector` is installed; False where the server lacks it or the right to add
    it, which is no error: searches then run over REAL[] instead."""
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS vector")
    except sa.exc.DBAPIError:
        return False
    # Installed earlier into a schema that is not on this store's search_path: the type cannot
    # be named here, so the column stays REAL[] rather than failing the migration.
    return bind.exec_driver_sql("SELECT to_regtype('vector') IS NOT NULL").scalar() is True


def downgrade() -> None:
    if has_pgvector(op.get_bind()):
        op.execute("ALTER TABLE chunks ALTER COLUMN vector TYPE REAL[] USING vector::real[]")
