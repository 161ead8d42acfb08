"""A conversation's scheduled closing time (``closes_ms``: it closes itself then, as a moderator's close
does) and the outcome its moderators write once it is closed (``outcome``: what was decided, what
happens next), and the translations of spaces' names and descriptions (``space_translations``: spaces
have no conversation to keep them under), and of budgets' and their projects' names and descriptions
(``budget_translations``).

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
    op.create_table(
        "space_translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("original", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["space_id"], ["spaces.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["moderator_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("space_translations_by_space", "space_translations", ["space_id", "language"])
    op.create_table(
        "budget_translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("budget_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("original", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["budget_id"], ["budgets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["budget_projects.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["moderator_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("budget_translations_by_budget", "budget_translations", ["budget_id", "language"])


def downgrade() -> None:
    op.drop_index("budget_translations_by_budget", table_name="budget_translations")
    op.drop_table("budget_translations")
    op.drop_index("space_translations_by_space", table_name="space_translations")
    op.drop_table("space_translations")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("outcome")
        batch_op.drop_column("closes_ms")
