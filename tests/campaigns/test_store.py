"""Results are stored, and SQLite and PostgreSQL hold the same results for the same inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from campaigns.store.repo import load_run, load_violations
from mystery.store.engine import make_engine

DATA = Path(__file__).resolve().parents[1] / "data" / "campaigns"

ARGS = ("--source-tz", "Europe/Paris", "--dispositions", str(DATA / "vicidial_dispositions.csv"),
        "--campaigns", str(DATA / "campaigns_registry.csv"))


def _stored(audit, database_url):  # type: ignore[no-untyped-def]
    run = audit(DATA / "vicidial_log.csv", "fr-2023,fr-2026", *ARGS, database_url=database_url)
    engine = make_engine(database_url)
    try:
        return run, load_violations(engine, run.summary["run_id"]), load_run(engine, run.summary["run_id"])
    finally:
        engine.dispose()


def test_stored_violations_match_the_report(audit, database_url):  # type: ignore[no-untyped-def]
    run, rows, stored_run = _stored(audit, database_url)

    key = lambda v: (v["started_at_utc"], v["call_id"], v["rule"])  # noqa: E731
    reported = sorted(({k: v[k] for k in rows[0]} for v in run.violations), key=key)
    assert reported == rows
    assert 7 == len(rows)  # 5 sector bans, the refusal bar on lead 501, a 13:10 call
    assert (5, 5, 0, 7, 1) == tuple(stored_run[k] for k in ("rows", "attempts", "rejected", "violations",
                                                              "exit_code"))
    assert ["fr-2023", "fr-2026"] == stored_run["packs"]
    evidence = stored_run["evidence"]
    assert 64 == len(evidence["inputs"]["log"]["sha256"])
    assert {"fr-2023", "fr-2026", "gdpr"} == {p["name"] for p in evidence["packs"]}
    assert 4 == next(r for r in evidence["rules"] if r["id"] == "fr-2023.frequency")["params"]["max_attempts"]


@pytest.mark.postgres
def test_sqlite_and_postgresql_hold_the_same_results(audit, tmp_path, postgres_url):  # type: ignore[no-untyped-def]
    _, on_sqlite, run_sqlite = _stored(audit, f"sqlite:///{tmp_path / 'a.db'}")
    _, on_postgres, run_postgres = _stored(audit, postgres_url)

    assert on_sqlite == on_postgres
    assert run_sqlite["summary"]["rules"] == run_postgres["summary"]["rules"]
