"""mystery: a verdict per checklist item (said, not_said, unsure) and its reason, beside `passed`.

`passed` stays (said = passed) so older readers keep working; rows stored before this revision
become said or not_said from it.

Revision ID: m0003
"""

import sqlalchemy as sa
from alembic import op

revision = "m0003"
down_revision = "m0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scores") as batch:
        batch.add_column(sa.Column("verdict", sa.String(20), nullable=False, server_default="not_said"))
        batch.add_column(sa.Column("reason", sa.Text, nullable=False, server_default=""))
    op.execute("UPDATE scores SET verdict = 'said' WHERE passed")


def downgrade() -> None:
    with op.batch_alter_table("scores") as batch:
        batch.drop_column("reason")
        batch.drop_column("verdict")
