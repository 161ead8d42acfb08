"""A budget's outcome served as stored while its log is the size it was computed at, and computed again
by one server process at a time (a lease per budget); a pabulib import written in batches, its budget
hidden until the last one (``importing_until``), and an import that failed half-way deleted again, which
needs the references to a participant indexed (each deleted participant is looked up in the tables that
refer to it: without an index, a scan of each of them per participant).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "budget_outcome_leases",
        sa.Column("budget_id", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("expires", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["budget_id"], ["budgets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("budget_id"),
    )
    with op.batch_alter_table("budgets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("importing_until", sa.BigInteger(), nullable=True))
    op.create_index("statements_by_author", "statements", ["author_id"])
    op.create_index("translations_by_translator", "translations", ["translator_id"])
    op.create_index("budget_ballots_by_participant", "budget_ballots", ["participant_id"])


def downgrade() -> None:
    op.drop_index("budget_ballots_by_participant", table_name="budget_ballots")
    op.drop_index("translations_by_translator", table_name="translations")
    op.drop_index("statements_by_author", table_name="statements")
    with op.batch_alter_table("budgets", schema=None) as batch_op:
        batch_op.drop_column("importing_until")
    op.drop_table("budget_outcome_leases")
