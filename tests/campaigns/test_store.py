"""Results are stored, and SQLite and PostgreSQL hold the same results for the same inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from campaigns.store.repo import load_run, load_violations
from mystery_core.store.engine import make_engine
from tests.campaigns.conftest import store_upgraded_from

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
    reported = sorted(({k: v.get(k, []) for k in rows[0]} for v in run.violations), key=key)  # [] also_breaches
    assert reported == rows
    assert 7 == len(rows)  # 5 sector bans, the refusal bar on lead 501, a 13:10 call
    assert (5, 5, 0, 7, 3) == tuple(stored_run[k] for k in ("rows", "attempts", "rejected", "violations",
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


def test_findings_in_several_batches_read_back_as_written_whatever_their_text(database_url):  # type: ignore[no-untyped-def]
    """A run's findings reach the store in batches on a worker thread (PostgreSQL: COPY, whose text format
    escapes tabs, line breaks and backslashes; SQLite: executemany); more than one batch, with text a log can
    hold, reads back field for field."""
    from campaigns.model.records import Violation
    from campaigns.store.repo import BATCH, RunRecorder
    from mystery_core import jsontext
    from mystery_core.store.engine import open_store

    awkward = ["tab\there", "line\nbreak", "back\\slash", "\\N", "quote \" and ' ", "é ü 中 ☎", ",;|", ""]
    written = [Violation(call_id=f"c{i:05d}", rule="fr-2023.hours", phone=f"+3361234{i:04d}",
                         person_id=awkward[i % len(awkward)], person_key_basis="number", campaign=f"camp {i % 3}",
                         principal="acme", local_time="2026-03-02T07:07:01+01:00", zones=("Europe/Paris",),
                         message=f"called {awkward[(i + 1) % len(awkward)]}", evidence={"n": i, "text": awkward[i % 8]},
                         source="log.csv", line=i + 2, started_at_utc=f"2026-03-02T06:{i // 60 % 60:02d}:{i % 60:02d}Z")
               for i in range(BATCH * 2 + 7)]
    engine = open_store(database_url)
    try:
        with engine.begin() as connection:
            recorder = RunRecorder(connection, "log.csv", ["fr-2023"], {})
            for v in written:
                recorder.violation(v, jsontext.dumps(v.evidence) if v.line % 2 else None)
            recorder.finish(log_sha256="0" * 64, log_format="generic", evidence={}, summary={}, rows=len(written),
                            attempts=len(written), rejected=0, violations=len(written), exit_code=1)
        stored = load_violations(engine, recorder.run_id)
    finally:
        engine.dispose()
    expected = sorted(({**{k: getattr(v, k) for k in stored[0] if k not in ("evidence", "also_breaches")},
                        "evidence": v.evidence, "also_breaches": list(v.also_breaches)}
                       for v in written), key=lambda row: (row["started_at_utc"], row["call_id"], row["rule"]))
    assert expected == stored


def test_guard_decision_log_fast_writer_stores_what_sqlalchemy_stores(database_url):  # type: ignore[no-untyped-def]
    """The guard writes decisions through the driver's executemany (repo.decision_writer); the rows must read
    back exactly as rows inserted by SQLAlchemy's own insert path, on SQLite and PostgreSQL."""
    import json

    import sqlalchemy as sa

    from campaigns.store import schema
    from campaigns.store.repo import DECISION_COLUMNS, decision_writer
    from mystery_core.store.engine import open_store

    rows = [("2026-03-02T09:00:00.000+00:00", "abc123", "+33600000001", "solar", "2026-03-02T09:00:00Z", True,
             json.dumps([]), None, False),
            ("2026-03-02T09:00:01.000+00:00", "abc123", "+33600000002", "solar", "2026-03-02T21:00:00Z", False,
             json.dumps(["fr-2023.hours", "fr-2023.frequency"]), "2026-03-03T09:00:00Z", False),
            ("2026-03-02T09:00:02.000+00:00", "", "+33600000003", "c'amp \"x\"", "2026-03-02T10:00:00Z", False,
             json.dumps(["gdpr.objection"]), None, True)]
    engine = open_store(database_url)
    try:
        decision_writer(engine)(rows)
        decision_writer(engine)([])  # nothing to write is not an error
        with engine.begin() as connection:
            connection.execute(schema.guard_decisions.insert(), [
                {**dict(zip(DECISION_COLUMNS, row, strict=True)), "reasons": json.loads(row[6])} for row in rows])
            stored = connection.execute(sa.select(*(schema.guard_decisions.c[name] for name in DECISION_COLUMNS))
                                        .order_by(schema.guard_decisions.c.id)).all()
    finally:
        engine.dispose()
    assert 6 == len(stored)
    assert stored[:3] == stored[3:]
    assert ["fr-2023.hours", "fr-2023.frequency"] == stored[1].reasons
    assert (True, False, False) == tuple(row.allowed for row in stored[:3])


def test_guard_attempts_stored_before_c0002_are_outcomes_already_known(database_url):  # type: ignore[no-untyped-def]
    """A store at the first `campaigns` revision, with a guard attempt in it, brought to the newest schema:
    the attempt is not waiting for an outcome, so it is read back as it was and its id stays taken."""
    import sqlalchemy as sa

    from campaigns.store import schema
    from campaigns.store.guard_history import person_attempts

    engine = make_engine(database_url)
    try:
        store_upgraded_from(
            engine, "c0001",
            "INSERT INTO campaigns_guard_attempts (attempt_id, phone, campaign, principal, purpose, disposition,"
            " started_at, ts, duration_s, region, received_at) VALUES ('old-1', '+33612345678', 'solar',"
            " 'SolarCo', 'canvassing', 'refused', '2026-03-02T11:00:00+01:00', 1772445600.0, 30.0, '',"
            " '2026-03-02T10:00:01+00:00')")
        with engine.connect() as connection:
            rows = person_attempts(connection, "SolarCo", ["+33612345678"], 0.0)
            columns = {column["name"] for column in sa.inspect(connection).get_columns(schema.guard_attempts.name)}
    finally:
        engine.dispose()
    assert "outcome_pending" in columns
    assert [("old-1", "refused", 1772445600.0, 30.0, False)] == [
        (r["attempt_id"], r["disposition"], r["ts"], r["duration_s"], r["outcome_pending"]) for r in rows]
