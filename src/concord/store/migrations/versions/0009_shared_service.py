"""Many servers on one database: rate-limit buckets, recent login failures and analysis leases in the
database, shared by every server process; which process stored each analysis; the instance secret that
hashes network addresses (and usernames) in rate limits.

Revision ID: 0009
Revises: 0008
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

RATE_LIMIT_KEY = "rate_limit_key"  # as concord.service.runtime names it


def upgrade() -> None:
    op.create_table(
        "rate_buckets",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("tokens", sa.Double(), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key"),
    )
    op.create_index("rate_buckets_by_time", "rate_buckets", ["at"])
    op.create_table(
        "login_failures",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure", sa.Double(), nullable=False),
        sa.Column("last_slot", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key"),
    )
    op.create_table(
        "analysis_leases",
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("expires", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("conversation_id"),
    )
    with op.batch_alter_table("analyses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("computed_by", sa.String(length=100), nullable=True))
    op.bulk_insert(
        sa.table("instance_secrets", sa.column("name", sa.String), sa.column("value", sa.String)),
        [{"name": RATE_LIMIT_KEY, "value": secrets.token_hex(32)}],
    )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM instance_secrets WHERE name = :name").bindparams(name=RATE_LIMIT_KEY))
    with op.batch_alter_table("analyses", schema=None) as batch_op:
        batch_op.drop_column("computed_by")
    op.drop_table("analysis_leases")
    op.drop_table("login_failures")
    op.drop_index("rate_buckets_by_time", table_name="rate_buckets")
    op.drop_table("rate_buckets")
