"""Job progress: the rate and ETA come from this attempt's own work only."""

from __future__ import annotations

from prefect.client.schemas.objects import StateType

from sluice.records import BatchReport
from tasks.progress import at_rest, measure

EARLIER = BatchReport(documents=1200, processed=1180, failed=20, entities=9000)


def test_progress_resumed_job_shows_earlier_batches_done_without_a_rate():
    p = measure(EARLIER, BatchReport(), total=2000, batch=6, batches=10, elapsed_s=0.0)

    assert (p.done, p.failed, p.batch, p.entities) == (1180, 20, 6, 9000)
    assert p.docs_per_min == 0.0 and p.eta_s is None


def test_progress_rate_counts_only_what_this_attempt_worked_through():
    attempt = BatchReport(documents=200, processed=200, entities=1500)

    p = measure(EARLIER, attempt, total=2000, batch=7, batches=10, elapsed_s=60.0)

    assert p.docs_per_min == 200.0  # not the 1,400 done in all
    assert p.eta_s == 60.0 * 600 / 200  # 600 left at 200 a minute
    assert (p.done, p.entities) == (1380, 10500)


def test_progress_documents_found_done_in_a_reread_batch_are_not_work():
    attempt = BatchReport(documents=200, processed=200)

    p = measure(BatchReport(), attempt, total=400, batch=1, batches=2, elapsed_s=30.0,
                resumed=150)

    assert p.docs_per_min == 100.0 and p.eta_s == 120.0


def test_progress_only_a_running_job_has_a_rate_and_eta():
    p = measure(EARLIER, BatchReport(processed=200), total=2000, batch=7, batches=10,
                elapsed_s=60.0)

    assert at_rest(p, StateType.RUNNING) == p
    for state in (StateType.PAUSED, StateType.CRASHED, StateType.CANCELLED, StateType.FAILED,
                  StateType.SCHEDULED, None):
        shown = at_rest(p, state)
        assert shown.docs_per_min == 0.0 and shown.eta_s is None and shown.done == p.done
    done = at_rest(p, StateType.COMPLETED)
    assert done.docs_per_min == p.docs_per_min and done.eta_s is None
