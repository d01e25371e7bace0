"""Sluice jobs on Prefect's state engine: a job is a flow run of the pipeline deployment, and its
id is the flow run id. No second registry: everything here asks the Prefect API.

Pause holds the run warm: `sluice pause` sets Prefect's blocking Paused state, the run stops
after the batch it is storing and waits in its process, models loaded, until it is resumed
(Running again: it goes on at once) or its warm time passes; then it suspends itself
(tasks/warm_pause.py). A suspended run (also `sluice pause --warm-for 0`, a sharded job, the
UI's Suspend) has exited and holds no worker slot; resume reschedules it, and the flow
re-enters from the top, skipping what the job stored.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import UUID, uuid4

import httpx
from prefect import get_client
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.responses import SetStateStatus
from prefect.exceptions import FlowPauseTimeout, NotPausedError, ObjectNotFound, Pause
from prefect.flow_runs import resume_flow_run, suspend_flow_run
from prefect.settings import PREFECT_API_URL
from prefect.states import Cancelled, Cancelling, Paused, Scheduled
from pydantic import BaseModel

from sluice.config import RunParams
from sluice.errors import SluiceError
from tasks.progress import JobProgress, at_rest, post_filter, read_progress
from tasks.shards import SHARD_TAG
from tasks.warm_pause import WARM_KEY, WARM_PAUSE_S

FLOW = "sluice-pipeline"
DEPLOYMENT = f"{FLOW}/pipeline"
RERUNNABLE = {StateType.FAILED, StateType.CRASHED, StateType.CANCELLED}
UNFINISHED = {StateType.SCHEDULED, StateType.PENDING, StateType.RUNNING, StateType.PAUSED,
              StateType.CANCELLING}


class JobView(BaseModel):
    """What `sluice jobs` and `sluice status` show of one job."""

    id: UUID
    name: str
    state: str
    state_type: StateType
    message: str | None = None
    source: str | None = None  # what the job reads: its `source` parameter
    progress: JobProgress | None = None
    last_error: str | None = None


@contextmanager
def prefect_api() -> Iterator[SyncPrefectClient]:
    """A client of the configured Prefect server; an unset or unreachable one is a clear error
    (never an embedded throwaway server that would hand out a job id nobody else can see)."""
    url = PREFECT_API_URL.value()
    if not url:
        raise SluiceError("PREFECT_API_URL is not set: start the stack (python -m "
                          "deployments.stack) and export PREFECT_API_URL=http://127.0.0.1:4200/api")
    try:
        with get_client(sync_client=True) as client:
            yield client
    except httpx.TransportError as exc:
        raise SluiceError(f"cannot reach the Prefect API at {url}: {exc or type(exc).__name__}; "
                          "is the server up?") from None
    except ObjectNotFound as exc:
        raise SluiceError(f"not found on the Prefect server at {url}: {exc}") from None
    except httpx.HTTPStatusError as exc:
        if exc.response.status_code not in (401, 403):
            raise
        raise SluiceError(f"the Prefect API at {url} refused us ({exc.response.status_code}): "
                          "set PREFECT_API_AUTH_STRING to the server's user:password (the stack "
                          "keeps it in PREFECT_HOME/api-auth)") from None


def submit(params: RunParams, deployment: str = DEPLOYMENT) -> UUID:
    """Create a flow run of `deployment`; its id is the job id."""
    params = absolute(params)
    with prefect_api() as client:
        target = client.read_deployment_by_name(deployment)
        run = client.create_flow_run_from_deployment(
            target.id, parameters={"params": params.to_parameters()})
    return run.id


def absolute(params: RunParams) -> RunParams:
    """Local paths made absolute: the worker runs the job in another working directory."""
    update = {"out": str(Path(params.out).resolve())}
    if "://" not in params.source:
        update["source"] = str(Path(params.source).resolve())
    if params.config:
        update["config"] = str(Path(params.config).resolve())
    prefix = "sqlite:///"
    path = params.store.removeprefix(prefix)
    if params.store.startswith(prefix) and not path.startswith(("/", ":memory:", "file:")):
        update["store"] = prefix + str(Path(path).resolve())
    return params.model_copy(update=update)


def wait(job_id: str | UUID, timeout_s: float | None = None, poll_s: float = 2.0) -> JobView:
    """Poll until the job is final, or paused (a paused job waits for a person, not for us)."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while True:
        view = status(job_id)
        if view.state_type not in UNFINISHED or view.state_type == StateType.PAUSED:
            return view
        if deadline is not None and time.monotonic() > deadline:
            raise SluiceError(f"job {job_id} still {view.state} after {timeout_s:.0f} s")
        time.sleep(poll_s)


def list_jobs(limit: int = 20) -> list[JobView]:
    with prefect_api() as client:
        # Shard runs are parts of jobs, not jobs; the API has no "tag is not" filter.
        found = post_filter(client, "/flow_runs/filter", flows={"name": {"any_": [FLOW]}},
                            sort="EXPECTED_START_TIME_DESC", limit=limit * 4)
        runs = [FlowRun.model_validate(run) for run in found
                if SHARD_TAG not in run["tags"]][:limit]
        progress = _progress(client, runs)
    return [_view(run, progress.get(str(run.id))) for run in runs]


def status(job_id: str | UUID) -> JobView:
    with prefect_api() as client:
        run = _read_job(client, job_id)
        view = _view(run, _progress(client, [run]).get(str(run.id)))
        view.last_error = _last_error(client, run.id)
    return view


def pause(job_id: str | UUID, warm_s: float = WARM_PAUSE_S) -> None:
    """Pause the job after the batch it is storing (no timeout: it waits for `resume` or
    `cancel`). Its process waits `warm_s` with its models loaded (tasks.warm_pause), then
    suspends; 0, or a sharded job: Prefect's suspend at once, which frees the worker."""
    with prefect_api() as client:
        run = _read_job(client, job_id)
        if run.state_type != StateType.RUNNING:
            raise SluiceError(f"job {run.id} is {run.state_name}; only a running job can pause")
        if warm_s > 0 and _shards(run) <= 1:
            # Prefect's blocking pause, set from outside; a key pauses once, so a fresh one,
            # which also tells the run how long to hold.
            key = f"{WARM_KEY}{warm_s:g}:{uuid4()}"
            answer = client.set_flow_run_state(run.id, Paused(reschedule=False, pause_key=key))
            if answer.status != SetStateStatus.ACCEPT:
                raise SluiceError(f"job {run.id} could not pause: {answer.details.reason}")
            return
        for target in [run.id, *_running_shards(client, str(run.id))]:
            try:
                suspend_flow_run(flow_run_id=target, timeout=None)
            except Pause as exc:
                # The client retried a suspend the server had already made (its answer was
                # lost or slow under load): the server rejects the repeat with the run's
                # current state, and Prefect raises that as a Pause signal.
                if not (exc.state and exc.state.is_paused()):
                    raise SluiceError(f"job {run.id} could not pause: {exc}") from None
            except RuntimeError as exc:
                if target != run.id and client.read_flow_run(target).state.is_final():
                    continue  # a shard that ended since it was listed: nothing left to pause
                raise SluiceError(f"job {run.id} could not pause: {exc}") from None


def _shards(run: FlowRun) -> int:
    params = (run.parameters or {}).get("params") or {}
    return int(params.get("shards") or 1) if isinstance(params, dict) else 1


def _running_shards(client: SyncPrefectClient, job_id: str) -> list[UUID]:
    """A sharded job's running shard runs: they pause with it, and its resume resumes them."""
    found = post_filter(client, "/flow_runs/filter",
                        flow_runs={"tags": {"all_": [f"sluice-job:{job_id}", SHARD_TAG]},
                                   "state": {"type": {"any_": ["RUNNING"]}}})
    return [UUID(child["id"]) for child in found]


def resume(job_id: str | UUID, force: bool = False) -> str:
    """Resume a paused job, or re-run a failed, crashed or cancelled one; both go on from the
    first unfinished batch. `force` also re-runs a job that shows Running but whose worker died.
    Returns what was done."""
    with prefect_api() as client:
        run = _read_job(client, job_id)
        kind = run.state_type
        if kind == StateType.PAUSED:
            try:
                resume_flow_run(run.id)
                return "resumed"
            except (FlowPauseTimeout, NotPausedError, RuntimeError):
                pass  # its pause ran out a moment ago: re-run it below
        elif kind == StateType.COMPLETED:
            raise SluiceError(f"job {run.id} has completed; submit a new job to run again")
        elif kind not in RERUNNABLE and not force:
            raise SluiceError(f"job {run.id} is {run.state_name}, not paused; if its worker died, "
                              "resume --force re-runs it")
        client.set_flow_run_state(run.id, Scheduled(name="Resuming"), force=True)
    return "rescheduled"


def cancel(job_id: str | UUID) -> None:
    """A running job stops within one batch; a paused or scheduled one has no process to stop."""
    with prefect_api() as client:
        run = _read_job(client, job_id)
        if run.state_type not in UNFINISHED:
            raise SluiceError(f"job {run.id} is already {run.state_name}")
        # A warm pause (not Prefect's suspend) waits in its process, which the cancel stops.
        held = run.state_type == StateType.PAUSED and not run.state.state_details.pause_reschedule
        has_process = held or run.state_type in (StateType.RUNNING, StateType.PENDING)
        state = Cancelling() if has_process else Cancelled(message="cancelled while not running")
        client.set_flow_run_state(run.id, state, force=True)
        _cancel_children(client, str(run.id))


def cancel_children(job_id: str) -> int:
    """Cancel the job's unfinished NER deployment runs: Prefect does not cancel the runs a
    cancelled flow started with run_deployment. Returns how many were cancelled."""
    with prefect_api() as client:
        return _cancel_children(client, job_id)


def _cancel_children(client: SyncPrefectClient, job_id: str) -> int:
    unfinished = [t.value for t in UNFINISHED if t is not StateType.CANCELLING]
    found = post_filter(client, "/flow_runs/filter",
                    flow_runs={"tags": {"all_": [f"sluice-job:{job_id}"]},
                               "state": {"type": {"any_": unfinished}}})
    for child in found:
        # A run that never started has no process to stop: Cancelling would stay forever.
        started = child["state_type"] == "RUNNING" or child.get("start_time")
        state = Cancelling() if started else Cancelled(message="its job was cancelled")
        client.set_flow_run_state(UUID(child["id"]), state, force=True)
    return len(found)


def _read_job(client: SyncPrefectClient, job_id: str | UUID) -> FlowRun:
    try:
        return client.read_flow_run(UUID(str(job_id)))
    except ValueError:
        raise SluiceError(f"{job_id!r} is not a job id (a flow run UUID)") from None
    except ObjectNotFound:
        raise SluiceError(f"no job {job_id} on the Prefect server") from None


def _progress(client: SyncPrefectClient, runs: list[FlowRun]) -> dict[str, JobProgress]:
    return read_progress(client, [str(run.id) for run in runs])


def _last_error(client: SyncPrefectClient, run_id: UUID) -> str | None:
    """The last warning or error logged by the run's current attempt (since it last started
    Running): a job resumed after a failure that then runs clean shows none."""
    logs = {"flow_run_id": {"any_": [str(run_id)]}, "level": {"ge_": logging.WARNING}}
    starts = [s.timestamp for s in client.read_flow_run_states(run_id)
              if s.type == StateType.RUNNING]
    if starts:
        logs["timestamp"] = {"after_": max(starts).isoformat()}
    found = post_filter(client, "/logs/filter", sort="TIMESTAMP_DESC", limit=1, logs=logs)
    return found[0]["message"].splitlines()[0] if found else None


def _view(run: FlowRun, progress: JobProgress | None) -> JobView:
    params = (run.parameters or {}).get("params") or {}
    return JobView(id=run.id, name=run.name, state=run.state_name or "?",
                   state_type=run.state_type or StateType.PENDING,
                   message=run.state.message if run.state else None,
                   source=params.get("source") if isinstance(params, dict) else None,
                   progress=progress and at_rest(progress, run.state_type))

