"""Schedules on a real Prefect server: the scheduler service creates the runs of an active
schedule (it did not with SQLAlchemy 2.1), and the stack's redeploy keeps a schedule switched
on or off as the user left it, with the nightly deployment's paths absolute and its inbox
created."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from deployments import stack
from tests.integration.conftest import free_port

NIGHTLY = f"{stack.FLOW}/nightly-ingest"
pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def schedule_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A server whose scheduler looks every second (Prefect's default: 60 s), with the pools
    and prefect.yaml's deployments, as `python -m deployments.stack` sets them up."""
    home = tmp_path_factory.mktemp("schedules")
    env = stack.stack_env(free_port(), home, ui=False)
    env["PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS"] = "1"
    server = stack.start_server(env, home / "server.log")
    try:
        stack.wait_healthy(env["PREFECT_API_URL"])
        stack.create_pool(env)
        stack.deploy(env)
        yield env
    finally:
        stack.stop(server)
    assert "bulk DML" not in (home / "server.log").read_text(errors="replace")


def nightly(api: str) -> dict:
    return httpx.get(f"{api}/deployments/name/{NIGHTLY}", timeout=30).json()


def set_active(api: str, active: bool) -> None:
    deployment = nightly(api)
    for schedule in deployment["schedules"]:
        for _ in range(5):  # a busy server's SQLite answers 503 for a moment: retry, as curl
            answer = httpx.patch(
                f"{api}/deployments/{deployment['id']}/schedules/{schedule['id']}",
                json={"active": active}, timeout=30)  # the UI's schedule toggle
            if answer.status_code != 503:
                break
            time.sleep(2)
        answer.raise_for_status()


def scheduled_runs(api: str, deployment_id: str) -> list[dict]:
    body = {"deployments": {"id": {"any_": [deployment_id]}},
            "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}}}
    return httpx.post(f"{api}/flow_runs/filter", json=body, timeout=30).json()


def test_schedule_switched_on_gets_runs_from_the_scheduler(schedule_stack) -> None:
    api = schedule_stack["PREFECT_API_URL"]
    deployment = nightly(api)
    assert [s["active"] for s in deployment["schedules"]] == [False]  # shipped off
    assert scheduled_runs(api, deployment["id"]) == []
    set_active(api, True)
    runs = stack.wait_for(lambda: scheduled_runs(api, deployment["id"]), bool,
                          "the scheduler creating runs", timeout_s=60)
    assert all(run["auto_scheduled"] for run in runs)
    assert {run["expected_start_time"][11:16] for run in runs} == {"02:00"}  # cron 0 2 * * * UTC


def test_redeploy_keeps_the_schedule_flag_and_absolute_paths(schedule_stack) -> None:
    api = schedule_stack["PREFECT_API_URL"]
    for active in (True, False, True):
        set_active(api, active)
        stack.deploy(schedule_stack)  # what every start of deployments.stack does
        assert [s["active"] for s in nightly(api)["schedules"]] == [active]
    params = nightly(api)["parameters"]["params"]
    assert params["source"] == str(stack.REPO / "data" / "inbox")
    assert params["out"] == str(stack.REPO / "data" / "out")
    assert params["store"] == f"sqlite:///{stack.REPO / 'data' / 'sluice.db'}"
    assert Path(params["source"]).is_dir()
