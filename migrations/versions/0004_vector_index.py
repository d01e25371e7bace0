"""HNSW indexes on pgvector chunk vectors, one per dimension of the embedders Sluice ships.

Revision ID: 0004
Revises: 0003

Only where migration 0002 made chunks.vector a pgvector column; REAL[] stores have no index
and search them in numpy. The column has no fixed dimension, so each index is a partial one
over the column cast to its dimension (sluice.io.search.create_vector_index).
"""

from alembic import op

from sluice.io.search import INDEXED_DIMS, create_vector_index, has_pgvector, vector_index_name

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if has_pgvector(bind):
        for dim in INDEXED_DIMS:
            create_vector_index(bind, dim)


def downgrade() -> None:
    if has_pgvector(op.get_bind()):
        for dim in INDEXED_DIMS:
            op.execute(f"DROP INDEX IF EXISTS {vector_index_name(dim)}")
