"""Translations: every statement's original language (the conversation's, for statements written before
languages were recorded), translations of statements, topics and descriptions, and moderators'
decisions on volunteers' translations.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=16), nullable=False, server_default="en"))
    op.execute(
        "UPDATE statements SET language = "
        "(SELECT conversations.language FROM conversations WHERE conversations.id = statements.conversation_id)"
    )
    op.create_table(
        "translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("original", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("translator_id", sa.Integer(), nullable=True),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["statement_id"], ["statements.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["translator_id"], ["participants.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["moderator_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("translations_by_conversation", "translations", ["conversation_id", "language"])
    accepted = sa.text("status = 'accepted' AND statement_id IS NOT NULL")
    op.create_index(
        "one_accepted_translation",
        "translations",
        ["statement_id", "language"],
        unique=True,
        sqlite_where=accepted,
        postgresql_where=accepted,
    )
    op.create_table(
        "translation_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("translation_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["translation_id"], ["translations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["moderator_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_translation_decisions_translation_id", "translation_decisions", ["translation_id"])


def downgrade() -> None:
    op.drop_table("translation_decisions")
    op.drop_index("one_accepted_translation", table_name="translations")
    op.drop_index("translations_by_conversation", table_name="translations")
    op.drop_table("translations")
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.drop_column("language")
