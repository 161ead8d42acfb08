"""A conversation's scheduled closing time (``closes_ms``: it closes itself then, as a moderator's close
does) and the outcome its moderators write once it is closed (``outcome``: what was decided, what
happens next).

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closes_ms", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("outcome", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("outcome")
        batch_op.drop_column("closes_ms")
