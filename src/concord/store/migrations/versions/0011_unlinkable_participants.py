"""Nothing in the database links a participant to who they are outside it: external ids are kept only as
keyed hashes (each conversation's own, so the same member's rows in two conversations do not match),
and a used invitation code keeps neither who used it nor when. Participants keep the declared answers
published in their conversation's log (an answer is published beside a participant's number only once
enough others share it); a conversation may keep its record private.

Existing databases: every external id is replaced by its hash, every used code forgets its participant
and time, and the answers already published (every answer is in the logs migration 0008 built) are
recorded as published, so the logs still verify and no vote is touched.

Revision ID: 0011
Revises: 0010
"""

import hashlib
import hmac
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

XID_KEY = "external_ids"  # the instance secret that keys the hashes, as concord.service.xids names it

participants = sa.table(
    "participants",
    sa.column("id", sa.Integer),
    sa.column("conversation_id", sa.Integer),
    sa.column("xid", sa.String),
    sa.column("attributes", sa.JSON),
    sa.column("published", sa.JSON),
)
conversations = sa.table("conversations", sa.column("id", sa.Integer), sa.column("public_id", sa.String))
invitations = sa.table("invitations", sa.column("used_ms", sa.BigInteger), sa.column("used", sa.Boolean))


def xid_hash(key: str, conversation: str, xid: str) -> str:
    """This migration's own copy of the rule (frozen history): HMAC-SHA-256 of the conversation's public
    id and the external id under the instance's key, in hex."""
    return hmac.new(key.encode(), f"{conversation}\n{xid}".encode(), hashlib.sha256).hexdigest()


def upgrade() -> None:
    key = secrets.token_hex(32)
    op.bulk_insert(
        sa.table("instance_secrets", sa.column("name", sa.String), sa.column("value", sa.String)),
        [{"name": XID_KEY, "value": key}],
    )
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published", sa.JSON(), nullable=True))
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("private", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("used", sa.Boolean(), nullable=False, server_default=sa.false()))
    connection = op.get_bind()
    connection.execute(invitations.update().where(invitations.c.used_ms.is_not(None)).values(used=True))
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_column("participant_id")
        batch_op.drop_column("used_ms")
    public_id = dict(connection.execute(sa.select(conversations.c.id, conversations.c.public_id)).all())
    rows = connection.execute(
        sa.select(participants.c.id, participants.c.conversation_id, participants.c.xid, participants.c.attributes)
    ).all()
    for row_id, conversation_id, xid, attributes in rows:
        changes = {"published": attributes or {}}
        if xid is not None:
            changes["xid"] = xid_hash(key, public_id[conversation_id], xid)
        connection.execute(participants.update().where(participants.c.id == row_id).values(**changes))


def downgrade() -> None:
    # The external ids and who used which code are gone for good: the hashes stay in the xid column.
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("used_ms", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("participant_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(None, "participants", ["participant_id"], ["id"], ondelete="SET NULL")
    connection = op.get_bind()
    connection.execute(sa.text("UPDATE invitations SET used_ms = 0 WHERE used = :used").bindparams(used=True))
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_column("used")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("private")
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_column("published")
    op.execute(sa.text("DELETE FROM instance_secrets WHERE name = :name").bindparams(name=XID_KEY))
