"""Compliance audit runs for the dashboard, read through `campaigns.store.repo` only.

A large audit holds hundreds of thousands of violations, so a run's page shows counts per rule
and only one page of rows of each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from campaigns.store import repo as campaigns_repo
from mystery_core.store.engine import Engine


@dataclass(frozen=True, slots=True)
class RuleGroup:
    """The violations of one rule in a run: how many, and the first of them (oldest first)."""

    rule: str
    count: int
    shown: tuple[dict[str, Any], ...]


@dataclass(frozen=True, slots=True)
class RunPage:
    run: dict[str, Any]
    rules: tuple[RuleGroup, ...]
    rejected: tuple[dict[str, Any], ...]
    rule_filter: str | None
    offset: int
    limit: int

    def rule_info(self, rule: str) -> dict[str, Any]:
        """Title, citation and evaluated count of a rule, from the run's stored summary (may be empty)."""
        summary = self.run.get("summary") or {}
        for info in summary.get("rules", []) if isinstance(summary, dict) else []:
            if isinstance(info, dict) and info.get("rule") == rule:
                return info
        return {}


def list_runs(engine: Engine) -> list[dict[str, Any]]:
    """Every audit run, newest first, without the bulky JSON columns."""
    return campaigns_repo.list_runs(engine)


def load_run_page(engine: Engine, run_id: int, rule: str | None = None, offset: int = 0,
                  limit: int = 50) -> RunPage | None:
    """A run with its violations grouped by rule (`limit` rows per rule from `offset`); None if unknown."""
    if not campaigns_repo.run_exists(engine, run_id):
        return None
    run = campaigns_repo.load_run(engine, run_id)
    groups = []
    for name, count in campaigns_repo.count_violations_by_rule(engine, run_id):
        if rule is not None and name != rule:
            continue
        rows = campaigns_repo.load_rule_violations(engine, run_id, name, offset if rule is not None else 0, limit)
        groups.append(RuleGroup(name, count, tuple(rows)))
    rejected = tuple(campaigns_repo.load_rejected(engine, run_id)[:limit]) if rule is None else ()
    return RunPage(run, tuple(groups), rejected, rule, offset, limit)
