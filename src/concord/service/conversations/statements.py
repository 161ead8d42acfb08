"""Statements: writing them (seed statements by moderators, participants' own), refusing duplicates
in every script, and listing them. Moderating them is :mod:`concord.service.conversations.moderation`."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from concord.languages import guess_language
from concord.service.accounts.moderators import user_of
from concord.service.caller import Caller
from concord.service.clock import now_ms
from concord.service.conversations.lifecycle import conversation_by_public_id, lock_for_writing, take_number
from concord.service.conversations.wordings import statement_translations
from concord.service.errors import Conflict, Forbidden, Invalid, NotFound
from concord.service.participation.joining import acting_participant
from concord.service.participation.voting import record_vote
from concord.service.ratelimit import STATEMENTS
from concord.service.spaces import moderates, require_moderator, validate_language
from concord.states import Moderation, StatementStatus, VoteChoice
from concord.store.models import MAX_ID, Conversation, Participant, Statement, User, VoteEvent

if TYPE_CHECKING:
    from concord.service.runtime import Runtime

DUPLICATE_KEY_LENGTH = 700  # the width of Statement.normalized
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class StatementRecord:
    """A statement as pages and the API show it, read while its session is open (a row would not be)."""

    number: int
    text: str
    language: str
    status: StatementStatus
    is_seed: bool
    is_proposal: bool
    created_ms: int

    @classmethod
    def of(cls, row: Statement) -> StatementRecord:
        return cls(
            number=row.number,
            text=row.text,
            language=row.language,
            status=row.status,
            is_seed=row.is_seed,
            is_proposal=row.is_proposal,
            created_ms=row.created_ms,
        )


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


def clean_text(text: object, limit: int) -> str:
    """Trimmed text, refused when empty, too long, or carrying control characters."""
    if not isinstance(text, str):
        raise Invalid("a statement must be text")
    text = unicodedata.normalize("NFC", text).strip()
    text = _SPACE.sub(" ", text)
    if not text:
        raise Invalid("a statement cannot be empty", "statement_empty")
    if len(text) > limit:
        raise Invalid(
            "a statement is limited to %(limit)s characters; this one has %(length)s",
            "statement_too_long",
            field="text",
            limit=limit,
            length=len(text),
        )
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
    language: str | None = None,
    reader: str | None = None,
) -> Statement:
    """A seed statement (by a moderator, shown at once) or a participant's statement (shown at once in
    post-moderation, after a moderator accepts it in pre-moderation). Its language is the one the
    writer names, else a guess from its script (:func:`concord.languages.guess_language`), preferring
    the writer's interface language (``reader``) and then the conversation's."""
    if moderator is not None:
        require_moderator(session, moderator, conversation.space)
    if not conversation.is_open:  # seed statements too: a closed conversation's list is final
        raise Conflict("this conversation is closed", "conversation_closed")
    if moderator is None:
        if not conversation.participants_can_write:
            raise Forbidden("participants cannot write statements in this conversation", "writing_disabled")
        if author is None:
            raise Forbidden("join the conversation first", "join_first")
    text = clean_text(text, conversation.max_statement_length)
    if language:
        language = validate_language(language)
    else:
        language = guess_language(text, [reader, conversation.language]) or conversation.language
    key = duplicate_key(text)
    if not key:
        raise Invalid("a statement needs at least one letter or digit", "statement_empty")
    lock_for_writing(session, conversation)
    existing = session.scalar(
        select(Statement.number).where(Statement.conversation_id == conversation.id, Statement.normalized == key)
    )
    if existing is not None:
        raise Conflict(
            "this statement is already in the conversation (statement %(number)s)",
            "duplicate_statement",
            field="text",
            number=existing,
        )
    shown_at_once = moderator is not None or conversation.moderation == Moderation.POST
    status = StatementStatus.ACCEPTED if shown_at_once else StatementStatus.PENDING
    statement = Statement(
        conversation_id=conversation.id,
        number=take_number(session, conversation, "next_statement_number"),
        text=text,
        language=language,
        normalized=key,
        author_id=author.id if author else None,
        is_seed=moderator is not None,
        status=status,
        created_ms=now_ms(),
    )
    session.add(statement)
    session.flush()
    return statement


def agree_as_author(session: Session, conversation: Conversation, statement: Statement) -> None:
    """The writer's agreement with their own statement, stored as Pol.is stores it: a vote of +1 by the
    author (an ordinary vote entry in the log, in the export's votes), once the statement is shown. So
    the writer is never asked to vote on it, it is not among their statements left, and the analysis
    counts their agreement. Not while the statement waits for a moderator (an analysis never reads a
    pending text), nor after closing (votes are no longer taken)."""
    if statement.author_id is None or statement.status != StatementStatus.ACCEPTED or not conversation.is_open:
        return
    agreed = select(VoteEvent.id).where(
        VoteEvent.participant_id == statement.author_id, VoteEvent.statement_id == statement.id
    )
    if session.scalar(agreed.limit(1)) is None:  # accepted again after going back to the queue: once
        author = session.get_one(Participant, statement.author_id)
        record_vote(session, conversation, author, statement.number, VoteChoice.AGREE)


def statement_by_number(session: Session, conversation: Conversation, number: int) -> Statement:
    statement = (
        session.scalar(
            select(Statement).where(Statement.conversation_id == conversation.id, Statement.number == number)
        )
        if 0 <= number <= MAX_ID
        else None
    )
    if statement is None:
        raise NotFound("no statement %(number)s in this conversation", number=number)
    return statement


def statements_of(
    session: Session, conversation: Conversation, status: StatementStatus | None = StatementStatus.ACCEPTED
) -> list[Statement]:
    query = select(Statement).where(Statement.conversation_id == conversation.id)
    if status is not None:
        query = query.where(Statement.status == status)
    return list(session.scalars(query.order_by(Statement.number)))


# --- use cases ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    statement: StatementRecord
    token: str | None  # the writing participant's, for their client to keep (None for a moderator's seed)


def write_statement(
    runtime: Runtime,
    caller: Caller,
    public_id: str,
    text: str,
    *,
    language: str | None = None,
    reader: str | None = None,
) -> Written:
    """A moderator of the conversation's space writes a seed statement, shown at once. Anyone else
    writes as a participant (joining, in a conversation open to anyone with the link), within the
    limit on statements per participant. ``language``: the one it is written in, if the writer said;
    ``reader``: the writer's interface language, the first guess otherwise."""
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        user = user_of(session, caller)
        if user is not None and moderates(session, user, conversation.space):
            written = add_statement(session, conversation, text, moderator=user, language=language, reader=reader)
            return Written(StatementRecord.of(written), None)
        joined = acting_participant(session, conversation, caller, runtime.limiter)
        runtime.limiter.check(session.connection(), STATEMENTS, joined.participant.id)
        written = add_statement(
            session, conversation, text, author=joined.participant, language=language, reader=reader
        )
        agree_as_author(session, conversation, written)
        return Written(StatementRecord.of(written), joined.token)


@dataclass(frozen=True)
class Listed:
    statement: StatementRecord
    translations: dict[str, str]  # accepted ones, by language


def list_statements(
    runtime: Runtime, caller: Caller, public_id: str, status: StatementStatus | None = StatementStatus.ACCEPTED
) -> list[Listed]:
    """Shown statements, with their translations, for anyone; moderators may ask for those pending,
    rejected or all (None)."""
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        if status != StatementStatus.ACCEPTED:
            require_moderator(session, user_of(session, caller), conversation.space)
        found = statements_of(session, conversation, status)
        translated = statement_translations(session, found)
        return [Listed(StatementRecord.of(statement), translated[statement.id]) for statement in found]
