"""Tables of the compliance product (SQLAlchemy Core). Migrations: campaigns/store/versions/.

Times are ISO 8601 UTC strings, as in the rest of the store, so SQLite and PostgreSQL return the
same values. Every row that came from a file keeps its file and line.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

audit_runs = sa.Table(
    "campaigns_audit_runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("started_at", sa.String(40), nullable=False),
    sa.Column("finished_at", sa.String(40)),
    sa.Column("log_path", sa.Text, nullable=False),
    sa.Column("log_sha256", sa.String(64)),
    sa.Column("log_format", sa.String(20)),
    sa.Column("packs", sa.JSON, nullable=False),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("evidence", sa.JSON),
    sa.Column("summary", sa.JSON),
    sa.Column("rows", sa.Integer),
    sa.Column("attempts", sa.Integer),
    sa.Column("rejected", sa.Integer),
    sa.Column("violations", sa.Integer),
    sa.Column("exit_code", sa.Integer),
)

violations = sa.Table(
    "campaigns_violations", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("campaigns_audit_runs.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("call_id", sa.String(200), nullable=False),
    sa.Column("rule", sa.String(80), nullable=False),
    sa.Column("phone", sa.String(32), nullable=False),
    sa.Column("person_id", sa.String(200), nullable=False),
    sa.Column("campaign", sa.String(200), nullable=False),
    sa.Column("principal", sa.String(200), nullable=False),
    sa.Column("local_time", sa.String(40), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("evidence", sa.JSON, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("line", sa.Integer, nullable=False),
    sa.Column("started_at_utc", sa.String(40), nullable=False),
    # the rules this finding stands for on the same call (engines/same_act.py), space-separated; "" for none
    sa.Column("also_breaches", sa.Text, nullable=False, server_default=""),
)

rejected_rows = sa.Table(
    "campaigns_rejected_rows", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("campaigns_audit_runs.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("line", sa.Integer, nullable=False),
    sa.Column("field", sa.String(80), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
)

guard_attempts = sa.Table(
    "campaigns_guard_attempts", metadata,
    sa.Column("attempt_id", sa.String(200), primary_key=True),
    sa.Column("phone", sa.String(32), nullable=False, index=True),
    sa.Column("campaign", sa.String(200), nullable=False),
    sa.Column("principal", sa.String(200), nullable=False),
    sa.Column("purpose", sa.String(20), nullable=False),
    sa.Column("disposition", sa.String(20), nullable=False),
    sa.Column("started_at", sa.String(40), nullable=False),
    sa.Column("ts", sa.Float, nullable=False),
    sa.Column("duration_s", sa.Float),
    sa.Column("region", sa.String(20), nullable=False, default=""),
    sa.Column("received_at", sa.String(40), nullable=False),
    # recorded by POST /v1/check-and-record before the dial: its outcome (POST /v1/attempts) may follow once
    sa.Column("outcome_pending", sa.Boolean, nullable=False, server_default=sa.false()),
)

guard_decisions = sa.Table(
    "campaigns_guard_decisions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("decided_at", sa.String(40), nullable=False),
    sa.Column("api_key", sa.String(40), nullable=False),
    sa.Column("phone", sa.String(32), nullable=False),
    sa.Column("campaign", sa.String(200), nullable=False),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("allowed", sa.Boolean, nullable=False),
    sa.Column("reasons", sa.JSON, nullable=False),
    sa.Column("next_allowed_at", sa.String(40)),
    sa.Column("permanent_block", sa.Boolean, nullable=False),
)
