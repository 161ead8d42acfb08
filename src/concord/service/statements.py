"""Writing statements and moderating them, with every decision and its reason kept."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from concord.service.clock import now_ms
from concord.service.conversations import lock_for_writing, take_number
from concord.service.errors import Conflict, Forbidden, Invalid, NotFound
from concord.service.spaces import require_moderator
from concord.states import Moderation, StatementStatus
from concord.store.models import MAX_ID, Conversation, ModerationEvent, Participant, Statement, User

DUPLICATE_KEY_LENGTH = 700  # the width of Statement.normalized
_SPACE = re.compile(r"\s+")


def normalised(text: str) -> str:
    """The form used to refuse duplicates: Unicode NFKC, case-folded, punctuation and spacing ignored.
    Works for every script (Arabic-script letters are letters to ``isalnum``)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(ch if ch.isalnum() else " " for ch in folded)
    return _SPACE.sub(" ", kept).strip()


def duplicate_key(text: str) -> str:
    """What the unique ``normalized`` column holds: the normalised text itself while it fits (readable
    in the database), else a digest of all of it, so long statements that differ late are not copies."""
    key = normalised(text)
    if len(key) <= DUPLICATE_KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def clean_text(text: str, limit: int) -> str:
    """Trimmed text, refused when empty, too long, or carrying control characters."""
    if not isinstance(text, str):
        raise Invalid("a statement must be text")
    text = unicodedata.normalize("NFC", text).strip()
    text = _SPACE.sub(" ", text)
    if not text:
        raise Invalid("a statement cannot be empty", "statement_empty")
    if len(text) > limit:
        raise Invalid(f"a statement is limited to {limit} characters; this one has {len(text)}", "statement_too_long")
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text):
        raise Invalid("a statement cannot contain control characters or lone surrogates")
    return text


def add_statement(
    session: Session,
    conversation: Conversation,
    text: str,
    *,
    author: Participant | None = None,
    moderator: User | None = None,
) -> Statement:
    """A seed statement (by a moderator, shown at once) or a participant's statement (shown at once in
    post-moderation, after a moderator accepts it in pre-moderation)."""
    if moderator is not None:
        require_moderator(session, moderator, conversation.space)
    else:
        if not conversation.is_open:
            raise Conflict("this conversation is closed", "conversation_closed")
        if not conversation.participants_can_write:
            raise Forbidden("participants cannot write statements in this conversation", "writing_disabled")
        if author is None:
            raise Forbidden("join the conversation first", "join_first")
    text = clean_text(text, conversation.max_statement_length)
    key = duplicate_key(text)
    if not key:
        raise Invalid("a statement needs at least one letter or digit", "statement_empty")
    lock_for_writing(session, conversation)
    existing = session.scalar(
        select(Statement.number).where(Statement.conversation_id == conversation.id, Statement.normalized == key)
    )
    if existing is not None:
        raise Conflict(f"this statement is already in the conversation (statement {existing})", "duplicate_statement")
    shown_at_once = moderator is not None or conversation.moderation == Moderation.POST
    status = StatementStatus.ACCEPTED if shown_at_once else StatementStatus.PENDING
    statement = Statement(
        conversation_id=conversation.id,
        number=take_number(session, conversation, "next_statement_number"),
        text=text,
        normalized=key,
        author_id=author.id if author else None,
        is_seed=moderator is not None,
        status=status,
        created_ms=now_ms(),
    )
    session.add(statement)
    session.flush()
    return statement


def statement_by_number(session: Session, conversation: Conversation, number: int) -> Statement:
    statement = (
        session.scalar(
            select(Statement).where(Statement.conversation_id == conversation.id, Statement.number == number)
        )
        if 0 <= number <= MAX_ID
        else None
    )
    if statement is None:
        raise NotFound(f"no statement {number} in this conversation")
    return statement


def moderate(
    session: Session,
    user: User | None,
    statement: Statement,
    conversation: Conversation,
    status: StatementStatus | str,
    reason: str,
) -> ModerationEvent:
    """Accept, reject or send back to the queue, with a reason (required for rejection)."""
    moderator = require_moderator(session, user, conversation.space)
    try:
        status = StatementStatus(status)
    except ValueError:
        raise Invalid("status must be 'accepted', 'rejected' or 'pending'") from None
    reason = (reason or "").strip()
    if status == StatementStatus.REJECTED and not reason:
        raise Invalid("say why a statement is rejected: the reason is published in the moderation log")
    if len(reason) > 500:
        raise Invalid("a moderation reason is limited to 500 characters")
    statement.status = status
    event = ModerationEvent(
        statement_id=statement.id, status=status, reason=reason, moderator_id=moderator.id, created_ms=now_ms()
    )
    session.add(event)
    session.flush()
    return event


def statements_of(
    session: Session, conversation: Conversation, status: StatementStatus | None = StatementStatus.ACCEPTED
) -> list[Statement]:
    query = select(Statement).where(Statement.conversation_id == conversation.id)
    if status is not None:
        query = query.where(Statement.status == status)
    return list(session.scalars(query.order_by(Statement.number)))


@dataclass(frozen=True)
class LogEntry:
    statement: int
    status: str
    reason: str
    time_ms: int
    text: str | None  # only for statements that are shown


def moderation_log(session: Session, conversation: Conversation) -> list[LogEntry]:
    """The public log: every decision and reason, never who made it. Texts of rejected statements are
    not repeated here."""
    rows = session.execute(
        select(
            Statement.number,
            Statement.status,
            Statement.text,
            ModerationEvent.status,
            ModerationEvent.reason,
            ModerationEvent.created_ms,
        )
        .join(ModerationEvent, ModerationEvent.statement_id == Statement.id)
        .where(Statement.conversation_id == conversation.id)
        .order_by(ModerationEvent.id)
    )
    return [
        LogEntry(number, decided, reason, when, text if current == StatementStatus.ACCEPTED else None)
        for number, current, text, decided, reason, when in rows
    ]
