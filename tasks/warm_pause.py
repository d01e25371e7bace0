"""A paused job held warm, in its run: `sluice pause` (flows/jobs.py) sets Prefect's blocking
Paused state; after each stored batch the run looks at its state, and while paused it waits in
its process, the models, the NER workers and the next batch's NER kept, until it is resumed
(Running: it goes on at once) or the pause's warm time is over; then it suspends itself
(Prefect's suspend: the process exits and frees its worker; a resume reschedules it).
"""

from __future__ import annotations

import time
from uuid import UUID, uuid4

import httpx
from prefect import get_client, get_run_logger
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.objects import State
from prefect.client.schemas.responses import SetStateStatus
from prefect.flow_runs import suspend_flow_run

from tasks.events import emit_job_event

WARM_PAUSE_S = 300.0  # how long a paused run holds its worker by default, models loaded
WARM_KEY = "sluice-warm:"  # pause keys of `sluice pause`: sluice-warm:SECONDS:UUID
HOLD_POLL_S = 0.25  # how often a paused run asks whether it was resumed


def warm_for(key: str | None) -> float:
    """How long a pause holds the run warm: said by `sluice pause`'s key; a blocking pause
    set otherwise (the REST API) holds WARM_PAUSE_S."""
    if key and key.startswith(WARM_KEY):
        try:
            return float(key[len(WARM_KEY):].split(":")[0])
        except ValueError:
            pass
    return WARM_PAUSE_S


def hold_while_paused(run_id: str, job_id: str, warm_s: float | None = None) -> None:
    """In the job's run, after a batch is stored: if `sluice pause` paused it, wait here (the
    models, the NER workers and the next batch's NER stay in this process) until it is
    resumed, then go on at once; after `warm_s` (default: what the pause said) suspend,
    which exits the process and frees the worker. Cancelling while held: the worker's
    SIGTERM ends the run here as anywhere else."""
    with get_client(sync_client=True) as client:
        state = _state_of(client, run_id)
        if not (state and state.is_paused() and not state.state_details.pause_reschedule):
            return
        warm_s = warm_for(state.state_details.pause_key) if warm_s is None else warm_s
        log = get_run_logger()
        log.info("paused; holding the models warm for up to %.0f s, then suspending", warm_s)
        emit_job_event("job.paused", job_id, {"warm_s": warm_s})
        while True:
            resumed = _wait_for_resume(client, run_id, warm_s)
            if resumed is not None:
                log.info("resumed (%s); going on with warm models", resumed.name)
                emit_job_event("job.resumed", job_id, {"warm": True})
                return
            # Leave the blocking pause the way a resume does (which fails if someone resumed
            # or cancelled meanwhile: then go on), then suspend under a key of its own.
            try:
                left = client.resume_flow_run(UUID(run_id))
            except httpx.HTTPError:
                warm_s = 5.0  # the server did not answer: hold on a little and try again
                continue
            if left.status != SetStateStatus.ACCEPT:
                return
            break
    log.info("paused as long as asked: suspending, which frees the worker")
    suspend_flow_run(key=f"sluice-suspend-{uuid4()}")


def _wait_for_resume(client: SyncPrefectClient, run_id: str, seconds: float) -> State | None:
    """The run's state once it is no longer paused (resumed; a cancel's SIGTERM ends the
    wait), or None after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(HOLD_POLL_S)
        state = _state_of(client, run_id)
        if state is not None and not state.is_paused() and not state.is_cancelling():
            return state
    return None


def _state_of(client: SyncPrefectClient, run_id: str) -> State | None:
    """The run's state; None while the server does not answer (a paused run keeps waiting,
    a running one goes on: neither fails for a server that is busy for a moment)."""
    try:
        return client.read_flow_run(UUID(run_id)).state
    except httpx.HTTPError:
        return None
