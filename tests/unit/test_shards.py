import pytest
from pydantic import ValidationError

from sluice.config import RunParams, Shard
from sluice.errors import ConfigError
from tasks.progress import JobProgress
from tasks.shards import _job_progress


def test_shards_job_progress_is_the_sum_of_its_shards():
    rows = {"a": JobProgress(total=60, done=30, failed=2, batch=3, batches=6, docs_per_min=100,
                             processed=28, skipped=2, entities=90, corrections=4, chunks=40,
                             parked=5),
            "b": JobProgress(total=40, done=10, failed=0, batch=1, batches=4, docs_per_min=50,
                             processed=10, entities=20, chunks=12)}
    job = _job_progress(rows, total=100, batches=10)
    assert (job.done, job.failed, job.batch, job.batches) == (40, 2, 4, 10)
    assert job.docs_per_min == 150 and job.eta_s == pytest.approx(60 * 58 / 150, abs=0.1)
    report = job.report()
    assert (report.documents, report.processed, report.skipped) == (100, 38, 2)
    assert (report.entities, report.corrections, report.chunks) == (110, 4, 52)
    assert report.parked == 5  # a shard's parked batches reach the job's summary and exit


def test_shards_eta_counts_only_the_rate_of_shards_still_running():
    rows = {"a": JobProgress(total=50, done=50, batch=5, batches=5, docs_per_min=300),
            "b": JobProgress(total=50, done=20, batch=2, batches=5, docs_per_min=100)}
    job = _job_progress(rows, total=100, batches=10, ended={"a"})
    assert job.docs_per_min == 100 and job.eta_s == pytest.approx(60 * 30 / 100, abs=0.1)


def test_shards_before_any_shard_reports_the_job_shows_nothing_done():
    job = _job_progress({}, total=100, batches=10)
    assert (job.done, job.failed, job.eta_s) == (0, 0, None)


@pytest.mark.parametrize("fields", [{"shards": 0}, {"shards": 2, "shard": 0, "job": "j"}])
def test_shards_parameters_out_of_range_or_internal_are_refused(fields):
    with pytest.raises(ValidationError):  # which shard a run is is no job parameter
        RunParams(source=".", **fields)


@pytest.mark.parametrize("fields", [{"job": "", "index": 0}, {"job": "j", "index": -1},
                                    {"job": "j", "index": 0, "shards": 2}])
def test_shards_shard_records_out_of_range_are_refused(fields):
    with pytest.raises(ValidationError):
        Shard(**fields)


def test_shards_shard_beyond_the_jobs_shards_is_refused():
    Shard(job="j", index=1).check(RunParams(source=".", shards=2))
    with pytest.raises(ConfigError, match="shard 2"):
        Shard(job="j", index=2).check(RunParams(source=".", shards=2))
