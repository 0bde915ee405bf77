"""campaigns: each stored finding lists the rules it stands for (`also_breaches`).

Why: where two rules describe the same act on one call the audit keeps one finding and lists the other
rule in its also_breaches (engines/same_act.py); the store kept only the finding, so a run read back from
the database lost what the JSON output says. Rule ids separated by spaces; "" for none (rows stored
before this revision had none recorded).

Revision ID: c0003
"""

import sqlalchemy as sa
from alembic import op

revision = "c0003"
down_revision = "c0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("campaigns_violations",
                  sa.Column("also_breaches", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("campaigns_violations") as batch:
        batch.drop_column("also_breaches")
