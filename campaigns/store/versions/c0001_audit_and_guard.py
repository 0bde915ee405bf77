"""campaigns: audit runs, violations, rejected rows, guard attempts and decisions.

Revision ID: c0001
"""

import sqlalchemy as sa
from alembic import op

revision = "c0001"
down_revision = None
branch_labels = ("campaigns",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaigns_audit_runs",
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
    op.create_table(
        "campaigns_violations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("campaigns_audit_runs.id", ondelete="CASCADE"),
                  nullable=False, index=True),
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
    )
    op.create_table(
        "campaigns_rejected_rows",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("campaigns_audit_runs.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("line", sa.Integer, nullable=False),
        sa.Column("field", sa.String(80), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_table(
        "campaigns_guard_attempts",
        sa.Column("attempt_id", sa.String(200), primary_key=True),
        sa.Column("phone", sa.String(32), nullable=False, index=True),
        sa.Column("campaign", sa.String(200), nullable=False),
        sa.Column("principal", sa.String(200), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("disposition", sa.String(20), nullable=False),
        sa.Column("started_at", sa.String(40), nullable=False),
        sa.Column("ts", sa.Float, nullable=False),
        sa.Column("duration_s", sa.Float),
        sa.Column("region", sa.String(20), nullable=False),
        sa.Column("received_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "campaigns_guard_decisions",
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


def downgrade() -> None:
    for table in ("campaigns_guard_decisions", "campaigns_guard_attempts", "campaigns_rejected_rows",
                  "campaigns_violations", "campaigns_audit_runs"):
        op.drop_table(table)
