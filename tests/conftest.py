"""Fixtures shared by every test folder."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

PG_URL = os.environ.get("SLUICE_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
PG_START = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[sa.Engine]:
    """The shared test PostgreSQL. Unreachable, it skips its tests with the reason, or fails
    them where SLUICE_REQUIRE_PG=1 (CI), so that a missing server cannot pass unnoticed."""
    engine = sa.create_engine(PG_URL)
    error = _connect_error(engine)
    if error is not None:
        engine.dispose()
        reason = f"PostgreSQL at {PG_URL} unreachable after 3 tries ({error}); start it: {PG_START}"
        if os.environ.get("SLUICE_REQUIRE_PG") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    yield engine
    engine.dispose()


def _connect_error(engine: sa.Engine, tries: int = 3, pause_s: float = 1.0) -> str | None:
    """None once a connection opens; else the last error, the server may be just starting."""
    error = ""
    for attempt in range(tries):
        try:
            with engine.connect():
                return None
        except sa.exc.OperationalError as exc:
            error = str(exc.orig).strip().splitlines()[0]
            if attempt < tries - 1:
                time.sleep(pause_s)
    return error


@pytest.fixture
def pg_url(pg_server: sa.Engine) -> Iterator[str]:
    """URL of an empty schema of this test's own on the shared server (other suites use it
    too), first on `search_path`; dropped with everything in it afterwards."""
    schema = f"sluice_test_{uuid.uuid4().hex[:12]}"
    with pg_server.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = pg_server.url.update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with pg_server.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
