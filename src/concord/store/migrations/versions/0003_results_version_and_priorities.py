"""Analyses carry the version of their results payload, and the next-statement priorities in a column
of their own instead of inside the payload.

Existing analyses get version 0: readers treat them as missing and the server analyses those
conversations again at start-up, which writes the current payload and the priorities.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("analyses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("results_version", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("priorities", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("analyses", schema=None) as batch_op:
        batch_op.drop_column("priorities")
        batch_op.drop_column("results_version")
