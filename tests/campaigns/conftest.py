"""Fixtures of the compliance tests: small input files written per test, and the CLI run in-process."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from campaigns.cli import main

GENERIC_HEADER = "call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent"


@dataclass
class AuditRun:
    """What `campaigns audit --format json` produced."""

    exit_code: int
    violations: list[dict[str, Any]]
    summary: dict[str, Any]
    stderr: str
    coverage: dict[str, dict[str, Any]]
    """The `record: coverage` lines that end the JSON output, by rule id."""

    def rules_of(self, call_id: str) -> list[str]:
        return sorted(v["rule"] for v in self.violations if v["call_id"] == call_id)

    def count(self, rule: str) -> int:
        return sum(1 for v in self.violations if v["rule"] == rule)


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """write(name, text) -> path of a file in the test's tmp dir."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text.strip() + "\n", encoding="utf-8")
        return path

    return _write


@pytest.fixture
def audit(tmp_path: Path) -> Callable[..., AuditRun]:
    """audit(log, rules, *extra_args, database_url=None) runs `campaigns audit --format json` in-process."""

    def _audit(log: Path, rules: str, *args: str, database_url: str | None = None) -> AuditRun:
        out = tmp_path / "violations.jsonl"
        summary = tmp_path / "summary.json"
        cli = ["--database-url", database_url] if database_url else []
        store = [] if database_url else ["--no-store"]
        result = CliRunner().invoke(main, [*cli, "audit", "--log", str(log), "--rules", rules, "--format", "json",
                                           "--output", str(out), "--summary", str(summary), *store, *args])
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        records = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
        violations = [r for r in records if r.get("record") != "coverage"]
        coverage = {r["rule"]: r for r in records if r.get("record") == "coverage"}
        data = json.loads(summary.read_text()) if summary.exists() else {}
        return AuditRun(result.exit_code, violations, data, result.stderr, coverage)

    return _audit


def store_upgraded_from(engine: Engine, revision: str, *statements: str) -> None:
    """A user's store of an older version: the schema at `revision`, `statements` (SQL inserts) run in it,
    then migrated to the newest schema as `campaigns` does on start."""
    import sqlalchemy as sa
    from alembic import command

    from mystery_core.store.engine import _alembic_config, migrate

    config = _alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        for statement in statements:
            connection.execute(sa.text(statement))
    migrate(engine)
