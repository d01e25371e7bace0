import pytest
from prefect.testing.utilities import prefect_test_harness

import flows  # noqa: F401 - Prefect defaults before Prefect is imported


@pytest.fixture(scope="session", autouse=True)
def prefect_server():
    """A real, temporary Prefect server (own SQLite database) for the whole session."""
    with prefect_test_harness(server_startup_timeout=120):
        yield
