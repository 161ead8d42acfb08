"""Secrets: one for the instance (it signs the participant tokens the server issues), one per
conversation for the embedding site that vouches for external ids (XIDs), and whether a conversation's
moderator accepts unsigned XIDs (never, unless they say so). Login sessions lose their stored CSRF
token: the token is now derived from the session itself.

Revision ID: 0004
Revises: 0003
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

conversations = sa.table("conversations", sa.column("id", sa.Integer), sa.column("xid_secret", sa.String))


def upgrade() -> None:
    op.create_table(
        "instance_secrets",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.bulk_insert(
        sa.table("instance_secrets", sa.column("name", sa.String), sa.column("value", sa.String)),
        [{"name": "participant_tokens", "value": secrets.token_hex(32)}],
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("xid_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("allow_unsigned_xid", sa.Boolean(), nullable=False, server_default=sa.false()))
    connection = op.get_bind()
    for (conversation_id,) in connection.execute(sa.select(conversations.c.id)).all():
        connection.execute(
            conversations.update()
            .where(conversations.c.id == conversation_id)
            .values(xid_secret=secrets.token_urlsafe(32))
        )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.alter_column("xid_secret", existing_type=sa.String(length=64), nullable=False)
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.drop_column("csrf_token")


def downgrade() -> None:
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("csrf_token", sa.String(length=64), nullable=False, server_default=""))
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("allow_unsigned_xid")
        batch_op.drop_column("xid_secret")
    op.drop_table("instance_secrets")
