import pytest

from sluice.correct import load_speller


@pytest.fixture(scope="module")
def speller():
    """The corrector's speller, for the correction tests that do not define their own."""
    return load_speller()
