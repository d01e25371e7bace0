"""Alembic environment: Sluice runs migrations on a connection it already holds (see
sluice.io.migrate), inside its own transaction and schema lock; offline SQL is not supported."""

from alembic import context

from sluice.io.store_schema import schema

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=schema,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters by copying a table
)
with context.begin_transaction():
    context.run_migrations()
