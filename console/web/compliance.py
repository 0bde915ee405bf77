"""Compliance audit runs for the dashboard, read through `campaigns.store.repo` only.

A large audit holds hundreds of thousands of violations, so a run's page shows counts per rule
and only one page of rows of each. Its charts are the HTML report's (campaigns/output_report.py): the findings
per rule, campaign and day from the store's counts; the hour x weekday heatmap and the per-person timeline need
every call, which the store does not hold, so they read the run's log again, as the report does, when the
file is still where the run read it and still has the SHA-256 the run recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
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
    charts: tuple[tuple[str, str], ...] = ()
    """(heading, svg) of each chart, as in the HTML report."""
    charts_note: str = ""
    """Why the calls' heatmap and timeline are missing, when they are."""

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
    charts, note = run_charts(engine, run) if rule is None else ([], "")
    return RunPage(run, tuple(groups), rejected, rule, offset, limit, tuple(charts), note)


def run_charts(engine: Engine, run: dict[str, Any]) -> tuple[list[tuple[str, str]], str]:
    """The report's charts for a stored run, and a note when the calls' charts cannot be drawn."""
    from campaigns.output_report import TIMELINE_PERSONS, calls_charts, findings_charts

    run_id = int(run["id"])
    charts = findings_charts(campaigns_repo.count_violations_by(engine, run_id, "rule"),
                             campaigns_repo.count_violations_by(engine, run_id, "campaign"),
                             campaigns_repo.count_violations_by(engine, run_id, "day"), "en")
    log = ((run.get("evidence") or {}).get("inputs") or {}).get("log") or {}
    path = Path(str(log.get("path") or run.get("log_path") or ""))
    sha256 = str(log.get("sha256") or run.get("log_sha256") or "")
    if not log or not path.is_file():
        return charts, (f"The heatmap of calls and the timeline per person need every call of the log, and the log "
                        f"{path} is not readable here.")
    from campaigns.ingest.text import file_sha256

    if file_sha256(path) != sha256:
        return charts, (f"The heatmap of calls and the timeline per person need every call of the log, and {path} "
                        f"has changed since the run read it (its SHA-256 differs).")
    persons = [label for label, _ in campaigns_repo.count_violations_by(engine, run_id, "person")[:TIMELINE_PERSONS]]
    found = campaigns_repo.load_person_findings(engine, run_id, persons)
    watched = tuple(sorted({(phone, label) for label, phone, _ in found}))
    dispositions = ((run.get("evidence") or {}).get("inputs") or {}).get("dispositions") or {}
    grid = _call_grid(str(path), sha256, str(log.get("format") or run.get("log_format") or ""),
                      log.get("source_tz"), str(log.get("encoding") or "utf-8"),
                      str((run.get("evidence") or {}).get("default_region") or "FR"),
                      str(dispositions.get("path") or ""), watched)
    packs = _packs(tuple(run.get("packs") or ()), tuple(sorted((run.get("params") or {}).items())))
    return charts + calls_charts(grid, packs, {call_id for _, _, call_id in found}, "en"), ""


@lru_cache(maxsize=8)
def _call_grid(path: str, sha256: str, log_format: str, source_tz: str | None, encoding: str, region: str,
               dispositions: str, watched: tuple[tuple[str, str], ...]) -> Any:
    """The log's calls per weekday and hour and the watched persons' attempts (a log is read once per run
    while the dashboard runs: the key holds the file's SHA-256)."""
    from campaigns.output_report import read_call_grid

    return read_call_grid(Path(path), log_format, dict(watched), source_tz=source_tz, encoding=encoding,
                          default_region=region, dispositions=Path(dispositions) if dispositions else None)


@lru_cache(maxsize=8)
def _packs(names: tuple[str, ...], params: tuple[tuple[str, str], ...]) -> list[Any]:
    """The run's rule packs (their calling windows are drawn on the heatmap)."""
    from campaigns.rules.load import load_packs

    return load_packs(list(names), dict(params))
