"""Taking part by SMS: the numbers phones text (``sms_numbers``, each connected to a conversation), the
phones taking part (``sms_phones``: a keyed hash of the number, the participant, where the dialogue
stands), and two instance secrets: the key of the phones' hashes and the secret that authenticates
the SMS gateway (Kannel) to this server.

Revision ID: 0015
Revises: 0014
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

SMS_PHONE_KEY = "sms_phone_key"  # as concord.service.sms.phones names it
SMS_GATEWAY_SECRET = "sms_gateway_secret"  # as concord.service.sms.numbers names it


def upgrade() -> None:
    op.create_table(
        "sms_numbers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    op.create_index("ix_sms_numbers_conversation_id", "sms_numbers", ["conversation_id"])
    op.create_table(
        "sms_phones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("phone_hash", sa.String(length=64), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("stopped", sa.Boolean(), nullable=False),
        sa.Column("asking", sa.String(length=200), nullable=True),
        sa.Column("statement_number", sa.Integer(), nullable=True),
        sa.Column("draft", sa.Text(), nullable=True),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conversation_id", "phone_hash"),
        sa.UniqueConstraint("participant_id"),
    )
    op.bulk_insert(
        sa.table("instance_secrets", sa.column("name", sa.String), sa.column("value", sa.String)),
        [
            {"name": SMS_PHONE_KEY, "value": secrets.token_hex(32)},
            {"name": SMS_GATEWAY_SECRET, "value": secrets.token_hex(20)},
        ],
    )


def downgrade() -> None:
    op.execute(
        sa.text("DELETE FROM instance_secrets WHERE name IN (:key, :secret)").bindparams(
            key=SMS_PHONE_KEY, secret=SMS_GATEWAY_SECRET
        )
    )
    op.drop_table("sms_phones")
    op.drop_index("ix_sms_numbers_conversation_id", table_name="sms_numbers")
    op.drop_table("sms_numbers")
