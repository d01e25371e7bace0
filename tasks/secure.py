"""A job's guard at the top of its run: secrets masked in every log record of the process, a
store given as `env:VARIABLE` resolved from the run's environment, and the job's paths held
to this machine's roots (sluice.confine) before any document is read.

The flow calls `secure_params` first thing; what it returns is the parameters to run with.
"""

from __future__ import annotations

import os
from pathlib import Path

from sluice import confine, redact
from sluice.config import ENV_REF, RunParams
from sluice.errors import ConfigError
from tasks.limits import in_deployment

DEFAULT_ROOT = "data"  # a deployment run without configured roots: its working dir's data/


def secure_params(params: RunParams) -> RunParams:
    """`params` with the store resolved; raises ConfigError naming the field that is not
    allowed here (outside the roots, an unset environment variable)."""
    redact.install()
    if params.store.startswith(ENV_REF):
        params = params.with_store(store_from_env(params.store))
    redact.add_url(params.store)
    check_roots(params, job_roots())
    return params


def store_from_env(reference: str) -> str:
    name = reference.removeprefix(ENV_REF)
    url = os.environ.get(name)
    if not url:
        raise ConfigError(f"store: {reference} names an environment variable that is not set "
                          "where the job runs (for a deployment: the worker's environment)")
    return url


def job_roots() -> confine.Roots:
    """The configured roots; a deployment run (a job that came through the API) without them is
    held to its working directory's data/ folder. A local `sluice run` is confined only when
    roots are configured."""
    default = Path.cwd() / DEFAULT_ROOT if in_deployment() else None
    return confine.roots_from_env(default=default)


def check_roots(params: RunParams, roots: confine.Roots) -> None:
    try:
        confine.check_source("source", params.source, roots.source)
        if params.config:
            confine.check_source("config", params.config, roots.source)
        confine.check_output("out", params.out, roots.output)
        confine.check_store(params.store, roots.output)
    except ValueError as exc:
        raise ConfigError(f"params.{exc}") from None
