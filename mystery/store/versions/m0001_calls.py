"""mystery: call campaigns, calls, SIP events, segments, words, scores, revenue estimates.

Revision ID: m0001
"""

import sqlalchemy as sa
from alembic import op

revision = "m0001"
down_revision = None
branch_labels = ("mystery",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_campaigns",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("client", sa.String(200), nullable=False),
        sa.Column("scenario_path", sa.Text, nullable=False),
        sa.Column("scenario", sa.JSON, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("finished_at", sa.String(40)),
        sa.Column("status", sa.String(20), nullable=False),
    )
    op.create_table(
        "calls",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("call_key", sa.String(64), nullable=False, unique=True),
        sa.Column("campaign_id", sa.Integer, sa.ForeignKey("call_campaigns.id", ondelete="CASCADE")),
        sa.Column("line", sa.String(200), nullable=False),
        sa.Column("target_uri", sa.Text, nullable=False),
        sa.Column("started_at", sa.String(40), nullable=False),
        sa.Column("outcome", sa.String(40), nullable=False),
        sa.Column("sip_status", sa.Integer),
        sa.Column("sip_reason", sa.String(200), nullable=False),
        sa.Column("pdd_s", sa.Float),
        sa.Column("ring_s", sa.Float),
        sa.Column("time_to_answer_s", sa.Float),
        sa.Column("talk_s", sa.Float),
        sa.Column("talk_basis", sa.String(20), nullable=False),
        sa.Column("ivr_s", sa.Float),
        sa.Column("hold_s", sa.Float),
        sa.Column("time_to_human_s", sa.Float),
        sa.Column("wait_basis", sa.String(40), nullable=False),
        sa.Column("duration_s", sa.Float),
        sa.Column("hangup_by", sa.String(20), nullable=False),
        sa.Column("recording", sa.Text),
        sa.Column("recording_offset_s", sa.Float, nullable=False),
        sa.Column("extra", sa.JSON, nullable=False),
    )
    op.create_table(
        "sip_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("call_id", sa.Integer, sa.ForeignKey("calls.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("t_s", sa.Float, nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("status", sa.Integer),
        sa.Column("detail", sa.Text, nullable=False),
        sa.UniqueConstraint("call_id", "seq"),
    )
    op.create_table(
        "segments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("call_id", sa.Integer, sa.ForeignKey("calls.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("start_s", sa.Float, nullable=False),
        sa.Column("end_s", sa.Float, nullable=False),
        sa.Column("label", sa.String(40), nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
    )
    op.create_table(
        "words",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("call_id", sa.Integer, sa.ForeignKey("calls.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("start_s", sa.Float, nullable=False),
        sa.Column("end_s", sa.Float, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
    )
    op.create_table(
        "scores",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("call_id", sa.Integer, sa.ForeignKey("calls.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("item", sa.String(100), nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("at_s", sa.Float),
        sa.Column("quote", sa.Text, nullable=False),
    )
    op.create_table(
        "revenue_estimates",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("campaign_id", sa.Integer, sa.ForeignKey("call_campaigns.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("estimate", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    for table in ("revenue_estimates", "scores", "words", "segments", "sip_events", "calls", "call_campaigns"):
        op.drop_table(table)
