"""Per-document budgets: one input may cost a bounded amount of bytes, characters, MIME parts,
PDF pages, time and memory, and a document over one becomes an `OverBudget` failure row.

The message names the budget's config key so the fix (raise it, or drop the file) is obvious.
"""

from __future__ import annotations

from sluice.config import BudgetConfig
from sluice.errors import OverBudget

DEFAULT = BudgetConfig()


def over_budget(what: str, value: float, key: str, limit: float, unit: str = "") -> OverBudget:
    """e.g. "input 52,428,800 bytes > budgets.max_input_bytes 20,971,520"."""
    unit = f" {unit}" if unit else ""
    return OverBudget(f"{what} {value:,}{unit} > budgets.{key} {limit:,}")


def check(what: str, value: int, key: str, budgets: BudgetConfig, unit: str = "") -> None:
    limit = getattr(budgets, key)
    if value > limit:
        raise over_budget(what, value, key, limit, unit)


def overran(stage: str, seconds: float) -> OverBudget:
    return OverBudget(f"{stage} took more than {seconds:g} s > budgets.{stage}_seconds {seconds:g}")


def out_of_memory(stage: str, budgets: BudgetConfig) -> OverBudget:
    return OverBudget(f"{stage} ran out of memory > budgets.memory_mb {budgets.memory_mb:,}")
