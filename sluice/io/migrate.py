"""Bring a store's schema to the newest Alembic revision in migrations/ (run by open_store)."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine


def _migrations_folder() -> Path:
    """migrations/ of the checkout, or, for an installed package (a worker image), of the
    working directory or $SLUICE_MIGRATIONS."""
    candidates = [
        os.environ.get("SLUICE_MIGRATIONS"),
        Path(__file__).resolve().parents[2] / "migrations",
        Path.cwd() / "migrations",
    ]
    found = [Path(c) for c in candidates if c and (Path(c) / "env.py").is_file()]
    return found[0] if found else Path(__file__).resolve().parents[2] / "migrations"


MIGRATIONS = _migrations_folder()
# The newest revision in migrations/versions; a test keeps the two in step. Knowing it here
# lets an up-to-date store open with one query instead of loading the migration scripts.
HEAD = "0006"
VERSION_TABLE = "alembic_version"


def current_revision(conn: Connection) -> str | None:
    if not sa.inspect(conn).has_table(VERSION_TABLE):
        return None
    return conn.scalar(sa.text(f"SELECT version_num FROM {VERSION_TABLE}"))


def is_current(engine: Engine) -> bool:
    with engine.connect() as conn:
        return current_revision(conn) == HEAD


def upgrade(conn: Connection, revision: str = "head") -> None:
    """Run the missing migrations on `conn`, inside the transaction the caller holds."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    command.upgrade(config, revision)


def head_of_scripts() -> str | None:
    """The head revision as the migration scripts say (slow: it loads them)."""
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()
