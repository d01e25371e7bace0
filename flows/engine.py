"""The `sluice-cpu` pool's flow-run command (deployments/sluice-cpu.json): Prefect's own engine,
`python -m prefect.engine`, started directly by the worker.

Without a command of its own, Prefect 3.8.8's process worker starts a workspace supervisor
(`python -m prefect.runner._workspace_supervisor`) that imports Prefect, prepares the run's
workspace and then execs the engine, which imports Prefect again: a second interpreter start
and Prefect import (1-2 s on a loaded machine) before every start and every resume of a job.
The runs of this pool need no prepared workspace: the deployments' pull step only sets the
working directory to this checkout, and the engine runs pull steps itself.

The run leads a session of its own, as under the supervisor: a signal to the worker's process
group (the stack stopping its worker) does not reach it, and a kill of the run's group
(`kill -- -PID`) reaches the run and every process it started.
"""

from __future__ import annotations

import os
import runpy

import flows  # noqa: F401 - Prefect defaults before Prefect is imported


def lead_session() -> None:
    try:
        os.setsid()
    except PermissionError:  # already a group leader (started with a session of its own)
        pass


if __name__ == "__main__":
    lead_session()
    runpy.run_module("prefect.engine", run_name="__main__", alter_sys=True)
