"""Decisions: statements marked as proposals; the decision rule of a conversation, and the default of a
space for everything below it; proposals put by a space to the spaces below it, decided in each and
rolled up, with tallies that places report when they voted elsewhere; a space's weight and population
as a place.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "space_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("place_rule", sa.JSON(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["space_id"], ["spaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("space_proposals", schema=None) as batch_op:
        batch_op.create_index("ix_space_proposals_space_id", ["space_id"], unique=False)
    op.create_table(
        "reported_tallies",
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=False),
        sa.Column("agree", sa.Integer(), nullable=False),
        sa.Column("disagree", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.Column("reported_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["proposal_id"], ["space_proposals.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["space_id"], ["spaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("proposal_id", "space_id"),
    )
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_proposal", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("space_proposal_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_statements_space_proposal", "space_proposals", ["space_proposal_id"], ["id"], ondelete="SET NULL"
        )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision_rule", sa.JSON(), nullable=True))
    with op.batch_alter_table("spaces", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision_rule", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("weight", sa.Float(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("population", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("spaces", schema=None) as batch_op:
        batch_op.drop_column("population")
        batch_op.drop_column("weight")
        batch_op.drop_column("decision_rule")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("decision_rule")
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.drop_constraint("fk_statements_space_proposal", type_="foreignkey")
        batch_op.drop_column("space_proposal_id")
        batch_op.drop_column("is_proposal")
    op.drop_table("reported_tallies")
    op.drop_table("space_proposals")
