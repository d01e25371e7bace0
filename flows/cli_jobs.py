"""`sluice submit | jobs | status | pause | resume | cancel`: jobs on a Prefect server.

They need PREFECT_API_URL (see the README, "Jobs"); `sluice run` needs none.
"""

from __future__ import annotations

import argparse

from prefect.client.schemas.objects import StateType

from flows import jobs
from flows.jobs import JobView
from sluice.config import RunParams


def add_job_commands(sub: argparse._SubParsersAction) -> None:
    from flows.cli import add_job_arguments  # flows.cli imports this module

    submit = sub.add_parser("submit", help="submit a job to the Prefect server; prints its id")
    add_job_arguments(submit)
    submit.add_argument("--shards", type=int, default=1,
                        help="split the job into N runs on the pool's `shards` queue, one per "
                             "free worker (default 1: the job runs alone)")
    submit.add_argument("--deployment", default="pipeline",
                        help="the sluice-pipeline deployment to run (default pipeline; dask: "
                             "see the README)")
    submit.add_argument("--wait", action="store_true",
                        help="wait until the job ends (or pauses) and print its status")
    submit.set_defaults(handler=cmd_submit)
    listing = sub.add_parser("jobs", help="list recent jobs with state and progress")
    listing.add_argument("--limit", type=int, default=20)
    listing.set_defaults(handler=cmd_jobs)
    for name, handler, text in (
        ("status", cmd_status, "a job's state, progress, rate, ETA and last error"),
        ("pause", cmd_pause, "pause a running job after the batch it is storing"),
        ("resume", cmd_resume, "resume a paused job, or re-run a failed/cancelled/crashed one"),
        ("cancel", cmd_cancel, "cancel a job; the batch being written is written whole"),
    ):
        command = sub.add_parser(name, help=text)
        command.add_argument("job", help="job id (the flow run id)")
        command.set_defaults(handler=handler)
        if name == "resume":
            command.add_argument("--force", action="store_true",
                                 help="re-run a job that shows Running but whose worker died")
        if name == "pause":
            command.add_argument("--warm-for", type=float, default=jobs.WARM_PAUSE_S,
                                 metavar="SECONDS",
                                 help="how long the paused job waits in its process with its "
                                      "models loaded, so that a resume goes on at once; then "
                                      "it suspends and frees its worker (default "
                                      f"{jobs.WARM_PAUSE_S:g}; 0: suspend now)")


def cmd_submit(args: argparse.Namespace) -> int:
    from flows.cli import job_params

    params = job_params(args, local=False).model_copy(update={"shards": args.shards})
    job_id = jobs.submit(RunParams.model_validate(params.model_dump()),  # bad: fails here
                         deployment=f"{jobs.FLOW}/{args.deployment}")
    print(job_id, flush=True)
    if not args.wait:
        return 0
    view = jobs.wait(job_id)
    print("\n".join(status_lines(view)))
    return 0 if view.state_type == StateType.COMPLETED else 1


def cmd_jobs(args: argparse.Namespace) -> int:
    print(f"{'job':36}  {'state':12}  {'done':>13}  {'failed':>6}  {'name':24}  source")
    for view in jobs.list_jobs(args.limit):
        p = view.progress
        done = f"{p.done}/{p.total}" if p else "-"
        print(f"{view.id!s:36}  {view.state:12}  {done:>13}  {p.failed if p else '-':>6}  "
              f"{view.name:24}  {view.source or '-'}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    print("\n".join(status_lines(jobs.status(args.job))))
    return 0


def cmd_pause(args: argparse.Namespace) -> int:
    jobs.pause(args.job, warm_s=args.warm_for)
    how = "pausing after its current batch" if args.warm_for > 0 else "suspending"
    print(f"job {args.job}: {how}; `sluice resume {args.job}` goes on")
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    what = jobs.resume(args.job, force=args.force)
    print(f"job {args.job}: {what}; it goes on from its first unfinished batch")
    return 0


def cmd_cancel(args: argparse.Namespace) -> int:
    jobs.cancel(args.job)
    print(f"job {args.job}: cancelling")
    return 0


def status_lines(view: JobView) -> list[str]:
    lines = [f"job:        {view.id} ({view.name})", f"state:      {view.state}"
             + (f" - {view.message}" if view.message else "")]
    if p := view.progress:
        eta = "-" if p.eta_s is None else f"{p.eta_s:.0f} s"
        # Not running (paused, crashed, ...): no rate; running: this attempt's rate.
        rate = f"{p.docs_per_min:.0f} docs/min" if p.docs_per_min else "-"
        lines += [
            f"documents:  {p.total} total, {p.done} done, {p.failed} failed",
            f"batch:      {p.batch} of {p.batches} done",
            f"rate:       {rate}   ETA {eta}",
        ]
    else:
        lines.append("documents:  no progress reported yet")
    lines.append(f"last error: {view.last_error or '-'}")
    return lines

