"""mystery: the planned-call table, a campaign's durable state (resume after any stop).

Revision ID: m0002
"""

import sqlalchemy as sa
from alembic import op

revision = "m0002"
down_revision = "m0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "planned_calls",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("campaign_id", sa.Integer, sa.ForeignKey("call_campaigns.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("call_key", sa.String(64), nullable=False, unique=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("line", sa.String(200), nullable=False),
        sa.Column("site", sa.String(200), nullable=False),
        sa.Column("due_at", sa.String(40)),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("plan", sa.JSON, nullable=False),
        sa.Column("pid", sa.Integer),
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("history", sa.JSON, nullable=False),
        sa.Column("policy", sa.JSON),
        sa.Column("retry_of", sa.String(64)),
        sa.Column("retry_n", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("planned_calls")
