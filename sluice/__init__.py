"""Sluice core: document records and the pure stage functions. Never imports Prefect."""

__version__ = "0.1.0"
