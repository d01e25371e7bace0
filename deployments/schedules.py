"""What a redeploy keeps: schedule switches as the user left them, and usable default paths."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path

import httpx


def _schedule_key(schedule: Mapping) -> str:
    # Schedules get new ids on every deploy: they are matched by what they say.
    return json.dumps(schedule["schedule"], sort_keys=True)


def schedule_flags(deployment: Mapping) -> dict[str, bool]:
    return {_schedule_key(s): bool(s["active"]) for s in deployment.get("schedules") or []}


def restore_schedule_flags(client: httpx.Client, deployment: Mapping,
                           flags: Mapping[str, bool]) -> None:
    for schedule in deployment.get("schedules") or []:
        wanted = flags.get(_schedule_key(schedule))
        if wanted is not None and wanted != schedule["active"]:
            patch(client, f"deployments/{deployment['id']}/schedules/{schedule['id']}",
                  {"active": wanted})


def patch(client: httpx.Client, url: str, body: Mapping, tries: int = 5) -> None:
    """PATCH, retried while the server answers 503 (its SQLite busy for a moment)."""
    for _ in range(tries - 1):
        answer = client.patch(url, json=body)
        if answer.status_code != 503:
            break
        time.sleep(2)
    else:
        answer = client.patch(url, json=body)
    answer.raise_for_status()


PATH_PARAMETERS = ("source", "out")


def make_paths_absolute(client: httpx.Client, deployment: Mapping, repo: Path) -> None:
    """Relative `source`/`out` (and a sqlite store's file) of the deployment's default
    parameters resolved under `repo` (the checkout); a missing local source folder is created,
    so that the first scheduled run finds it (empty) instead of failing."""
    params = dict((deployment.get("parameters") or {}).get("params") or {})
    if not params:
        return
    for key in PATH_PARAMETERS:
        value = params.get(key)
        if value and "://" not in value and not Path(value).is_absolute():
            params[key] = str(repo / value)
    store = params.get("store", "")
    if store.startswith("sqlite:///") and not store.startswith("sqlite:////"):
        params["store"] = f"sqlite:///{repo / store.removeprefix('sqlite:///')}"
    inbox = Path(params.get("source", "s3://"))
    if "://" not in str(inbox) and not inbox.exists() and not inbox.suffix:  # a folder, not a file
        inbox.mkdir(parents=True)
    if params != deployment["parameters"]["params"]:
        patch(client, f"deployments/{deployment['id']}",
              {"parameters": {**deployment["parameters"], "params": params}})
