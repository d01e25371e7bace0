"""The automations a stack installs on its server."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from deployments.access import api_client

CRASH_AFTER_S = 90  # three heartbeats missed: its process, or its machine, is gone
CRASH_DETECTOR = "sluice: crashed when heartbeats stop"
# The events that may follow a heartbeat: another one, or the run leaving Running on its own.
# And the event of the flow's body being left (tasks/events.py): a suspended run's process may
# send a heartbeat after its Suspended state, before it reaches its next task and exits.
ALIVE_OR_ENDED = ["prefect.flow-run.heartbeat", "sluice.flow-run.left",
                  *(f"prefect.flow-run.{state}" for state in (
                      "Completed", "Failed", "Cancelled", "Cancelling", "Crashed", "Suspended",
                      "Paused"))]


def install_crash_detector(api: str | Mapping[str, str], within_s: int = CRASH_AFTER_S) -> dict:
    """Prefect's own dead-run detection: an automation that marks a flow run Crashed when no
    heartbeat and no end of its run follows its last heartbeat within `within_s`. A worker
    killed with its flow-run process (a lost machine) otherwise leaves the run Running for
    ever; Crashed, `sluice resume` re-runs it. Replaces an older one of the same name.
    `api`: the API URL, or the stack's environment (its auth)."""
    with api_client(api) as client:
        return _install_crash_detector(client, within_s)


def _install_crash_detector(client: httpx.Client, within_s: int) -> dict:
    found = client.post("automations/filter",
                        json={"automations": {"name": {"any_": [CRASH_DETECTOR]}}})
    found.raise_for_status()
    for old in found.json():
        client.delete(f"automations/{old['id']}").raise_for_status()
    body = {
        "name": CRASH_DETECTOR,
        "description": f"No heartbeat for {within_s} s: the run's process or machine is gone. "
                       "Installed by deployments/stack.py; `sluice resume JOB` re-runs it.",
        "enabled": True,
        "trigger": {
            "type": "event", "posture": "Proactive",
            "match": {"prefect.resource.id": "prefect.flow-run.*"},
            "after": ["prefect.flow-run.heartbeat"], "expect": ALIVE_OR_ENDED,
            "for_each": ["prefect.resource.id"], "threshold": 1, "within": within_s,
        },
        "actions": [{"type": "change-flow-run-state", "state": "CRASHED",
                     "message": f"no heartbeat for {within_s} s: its process or machine is "
                                "gone (sluice resume JOB re-runs it)"}],
    }  # fmt: skip
    created = client.post("automations/", json=body)
    created.raise_for_status()
    return created.json()
