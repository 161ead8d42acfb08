"""Duplicate keys of long statements: a digest of the whole normalised text instead of its first 700
characters, so long statements that differ late are no longer refused as copies.

Keys of 700 characters are the ones 0001 may have cut; they are recomputed from the statement text.
Imported repeats (keys starting with '#') keep theirs; an exact repeat among the recomputed ones is
kept apart by its number, as an import does.

A migration is frozen history: the key is computed by this file's own copy of the rule as it stood at
this revision, never by application code that may change later.

Revision ID: 0002
Revises: 0001
"""

import hashlib
import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

DUPLICATE_KEY_LENGTH = 700
_SPACE = re.compile(r"\s+")


def duplicate_key(text: str) -> str:
    """NFKC, case-folded, punctuation and spacing ignored; a SHA-256 of that when over 700 characters."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    key = _SPACE.sub(" ", "".join(ch if ch.isalnum() else " " for ch in folded)).strip()
    if len(key) <= DUPLICATE_KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


statements = sa.table(
    "statements",
    sa.column("id", sa.Integer),
    sa.column("conversation_id", sa.Integer),
    sa.column("number", sa.Integer),
    sa.column("text", sa.Text),
    sa.column("normalized", sa.String),
)


def upgrade() -> None:
    connection = op.get_bind()
    cut = connection.execute(
        sa.select(statements.c.id, statements.c.conversation_id, statements.c.number, statements.c.text).where(
            sa.func.length(statements.c.normalized) == DUPLICATE_KEY_LENGTH,
            sa.not_(statements.c.normalized.startswith("#")),
        )
    ).all()
    seen = set()
    for statement_id, conversation_id, number, text in cut:
        key = duplicate_key(text)
        if (conversation_id, key) in seen:  # an imported exact repeat: kept apart by its number, as on import
            key = f"#{number} {key}"
        seen.add((conversation_id, key))
        connection.execute(statements.update().where(statements.c.id == statement_id).values(normalized=key))


def downgrade() -> None:
    pass  # a digest cannot be turned back into text; 0001's column holds it unchanged
