"""Every state hook of the pipeline flow takes the keywords Prefect's runner passes: it calls
cancellation and crash hooks as hook(flow=, flow_run=, state=), and a hook with other parameter
names raises TypeError there, so its side effects (events, cancelled shards) never happen."""

from __future__ import annotations

import inspect

import pytest

from flows.pipeline import pipeline

HOOK_LISTS = ["on_completion_hooks", "on_failure_hooks", "on_cancellation_hooks",
              "on_crashed_hooks", "on_running_hooks"]


@pytest.mark.parametrize("kind", HOOK_LISTS)
def test_pipeline_hooks_bind_prefects_keywords(kind: str) -> None:
    hooks = getattr(pipeline, kind)
    for hook in hooks:
        inspect.signature(hook).bind(flow=pipeline, flow_run=object(), state=object())
    if kind != "on_running_hooks":
        assert hooks, f"the pipeline has no {kind}: its job events would never be sent"
