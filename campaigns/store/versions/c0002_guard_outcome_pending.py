"""campaigns: guard attempts recorded by check-and-record before the dial wait for their outcome.

Why: POST /v1/check-and-record stores the attempt when it allows it, before the call is made; the
dialer then reports the outcome (a refusal, an opt-out) under the same attempt_id. The flag tells
such a first report apart from a reused id (409).

Revision ID: c0002
"""

import sqlalchemy as sa
from alembic import op

revision = "c0002"
down_revision = "c0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("campaigns_guard_attempts",
                  sa.Column("outcome_pending", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("campaigns_guard_attempts") as batch:
        batch.drop_column("outcome_pending")
