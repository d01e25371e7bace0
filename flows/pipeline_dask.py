"""The pipeline on a Dask cluster (prefect-dask, extra `dask`): each batch, all of its stages,
is one task on a Dask worker process, so one job uses every worker of the cluster.

    SLUICE_DASK_ADDRESS=tcp://scheduler:8786 prefect deploy --name dask   # an existing cluster
    python -m flows.pipeline_dask SOURCE    # no address: a local cluster, one process per core

Only references (the batch's source refs) go to the workers and a small report comes back;
each worker loads spaCy, SymSpell and the embedder once and writes to the store itself, so
the store must be one that every worker reaches (PostgreSQL, or SQLite on one host).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from distributed import LocalCluster
from prefect.settings import PREFECT_API_URL
from prefect_dask import DaskTaskRunner

import flows  # noqa: F401 - Prefect defaults before Prefect is imported
from flows.pipeline import pipeline
from sluice.config import RunParams

DASK_ADDRESS = "SLUICE_DASK_ADDRESS"


def dask_runner() -> DaskTaskRunner:
    address = os.environ.get(DASK_ADDRESS)
    if address:
        return DaskTaskRunner(address=address)
    # Processes, one thread each: spaCy and the speller hold the GIL.
    return DaskTaskRunner(cluster_class=local_cluster,
                          cluster_kwargs={"n_workers": os.cpu_count() or 1,
                                          "threads_per_worker": 1, "processes": True})


def local_cluster(**kwargs: Any) -> LocalCluster:
    """A LocalCluster whose workers report to this flow's Prefect server. The worker processes
    inherit only the environment: a server set in a settings context (a test harness), or the
    flow's own temporary server, they would not know, and each would start another."""
    url = PREFECT_API_URL.value()
    if not url:
        from prefect.server.api.server import SubprocessASGIServer

        server = SubprocessASGIServer()  # the flow's own, started already: one per process
        server.start()
        url = server.api_url
    os.environ["PREFECT_API_URL"] = url
    return LocalCluster(**kwargs)


pipeline_on_dask = pipeline.with_options(task_runner=dask_runner())

if __name__ == "__main__":
    pipeline_on_dask(RunParams(source=sys.argv[1]))
