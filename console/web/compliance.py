"""Compliance audit runs for the dashboard, read from the `campaigns` tables.

`campaigns.store.repo` loads one run and all of its violations; the dashboard also needs the
list of runs and, for large audits, counts per rule with only the first rows of each, so those
two reads are written here with SQLAlchemy Core.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine

from campaigns.store import repo as campaigns_repo
from campaigns.store import schema

RUN_COLUMNS = ("id", "started_at", "finished_at", "log_path", "log_format", "packs", "rows", "attempts",
               "rejected", "violations", "exit_code")


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
    runs = schema.audit_runs
    query = sa.select(*(runs.c[name] for name in RUN_COLUMNS)).order_by(runs.c.id.desc())
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def load_run_page(engine: Engine, run_id: int, rule: str | None = None, offset: int = 0,
                  limit: int = 50) -> RunPage | None:
    """A run with its violations grouped by rule (`limit` rows per rule from `offset`); None if unknown."""
    v = schema.violations
    with engine.connect() as conn:
        exists = conn.execute(sa.select(schema.audit_runs.c.id).where(schema.audit_runs.c.id == run_id)).first()
    if exists is None:
        return None
    run = campaigns_repo.load_run(engine, run_id)
    columns = (v.c.call_id, v.c.rule, v.c.phone, v.c.person_id, v.c.campaign, v.c.principal, v.c.local_time,
               v.c.message, v.c.evidence, v.c.source, v.c.line, v.c.started_at_utc)
    groups = []
    with engine.connect() as conn:
        counts = conn.execute(sa.select(v.c.rule, sa.func.count()).where(v.c.run_id == run_id)
                              .group_by(v.c.rule).order_by(sa.func.count().desc(), v.c.rule)).all()
        for name, count in counts:
            if rule is not None and name != rule:
                continue
            rows = conn.execute(sa.select(*columns).where(v.c.run_id == run_id, v.c.rule == name)
                                .order_by(v.c.started_at_utc, v.c.call_id, v.c.id)
                                .offset(offset if rule is not None else 0).limit(limit))
            groups.append(RuleGroup(str(name), int(count), tuple(dict(r._mapping) for r in rows)))
    rejected = tuple(campaigns_repo.load_rejected(engine, run_id)[:limit]) if rule is None else ()
    return RunPage(run, tuple(groups), rejected, rule, offset, limit)
