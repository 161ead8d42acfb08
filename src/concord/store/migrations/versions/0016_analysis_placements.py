"""Every analysed participant's place on the opinion map and group, stored beside the results
(``analyses.placements``, :class:`concord.report.opinion_map.Placements` as bytes) instead of inside
them: the results every reader downloads stay small at any size (results version 5), while the export
and a participant's own page still read each participant's place.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("analyses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("placements", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("analyses", schema=None) as batch_op:
        batch_op.drop_column("placements")
