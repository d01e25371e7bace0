import pytest

from sluice.io.staging import batch_key, drop_staged, read_staged, stage_documents
from sluice.io.store import open_store
from sluice.records import Document, Entity, Failure


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    if request.param == "sqlite":
        return open_store(f"sqlite:///{tmp_path}/s.db")
    return open_store(request.getfixturevalue("pg_url"))


def test_staging_round_trip_and_overwrite(engine):
    doc = Document(id="a", source="x.txt", format="txt", text="Paris is nice.",
                   entities=(Entity(start=0, end=5, label="GPE", text="Paris"),))
    bad = Failure(source="y.txt", stage="ner", error_class="ValueError", message="boom")
    key = batch_key("job-1", 3, "ner")
    stage_documents(engine, key, [doc], [bad])
    assert read_staged(engine, key) == ([doc], [bad])
    stage_documents(engine, key, [doc])  # a retried child replaces its own batch
    assert read_staged(engine, key) == ([doc], [])
    drop_staged(engine, "job-1/")
    with pytest.raises(KeyError, match="no staged batch"):
        read_staged(engine, key)
