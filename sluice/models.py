"""The models a job's batches load in this process, as the cached loaders the stages call,
so that a caller may load them ahead of the first batch (in a thread, or while a server
starts) and the stages then find them loaded."""

from __future__ import annotations

from collections.abc import Callable

from sluice.config import PipelineConfig


def model_loaders(cfg: PipelineConfig) -> list[Callable[[], object]]:
    """NER and the speller unless NER runs on a pool (or in worker processes, which are
    started here and load them there), and the embedder if embedding is on."""
    from sluice.correct import load_speller
    from sluice.embed import load_embedder
    from sluice.ner import load_ner
    from sluice.ner_workers import pool_for, processes_for

    loads: list[Callable[[], object]] = []
    if cfg.ner.mode != "pool" and processes_for(cfg):
        loads.append(pool_for(cfg).start)
    elif cfg.ner.mode != "pool":
        loads.append(lambda: load_ner(cfg.ner.model))
        if cfg.correct.enabled:
            loads.append(load_speller)
    if cfg.embed.enabled:
        loads.append(lambda: load_embedder(cfg.embed.model, cfg.embed.dim))
    return loads
