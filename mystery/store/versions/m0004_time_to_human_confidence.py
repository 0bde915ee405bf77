"""mystery: how sure the time to a person is (high, medium, low) and the reasons it is not surer.

Rows stored before this revision were never graded: their confidence stays NULL, their reasons empty.

Revision ID: m0004
"""

import sqlalchemy as sa
from alembic import op

revision = "m0004"
down_revision = "m0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("time_to_human_confidence", sa.String(10)))
        batch.add_column(sa.Column("time_to_human_reasons", sa.JSON, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("time_to_human_reasons")
        batch.drop_column("time_to_human_confidence")
