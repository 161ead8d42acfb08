"""Conversations in a space: their settings, and opening and closing them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from concord.service.accounts.moderators import user_of
from concord.service.accounts.xids import new_xid_secret
from concord.service.caller import Caller
from concord.service.clock import now_ms
from concord.service.conversations.settings import DECIDING_SETTINGS, LIMITS, ConversationRecord, ConversationSettings
from concord.service.decisions.rules import effective_rule, frozen_rule, own_rule
from concord.service.errors import Conflict, Forbidden, Invalid, NotFound
from concord.service.spaces import moderates, require_moderator, space_by_id
from concord.states import Access, StatementStatus
from concord.store.models import Conversation, Participant, Space, Statement, User, Vote, being_imported, past_closing

if TYPE_CHECKING:
    from concord.service.runtime import Runtime


def create_conversation(
    session: Session, user: User | None, space: Space, settings: ConversationSettings
) -> Conversation:
    require_moderator(session, user, space)
    settings = settings.validated()
    conversation = Conversation(
        public_id=secrets.token_urlsafe(8).replace("-", "x").replace("_", "y"),
        space=space,
        xid_secret=new_xid_secret(),
        created_ms=now_ms(),
        is_open=True,
        next_statement_number=1,
        next_participant_number=0,
        **{name: getattr(settings, name) for name in LIMITS},
    )
    session.add(conversation)
    session.flush()
    return conversation


def update_settings(session: Session, user: User | None, conversation: Conversation, changes: dict) -> Conversation:
    require_moderator(session, user, conversation.space)
    unknown = set(changes) - set(LIMITS)
    if unknown:
        raise Invalid("unknown setting(s): %(names)s", names=", ".join(sorted(unknown)))
    stored = ConversationSettings.of(conversation)
    current = replace(stored, **changes).validated()
    changed = {name: getattr(current, name) for name in LIMITS if getattr(current, name) != getattr(stored, name)}
    if DECIDING_SETTINGS & set(changed):
        require_open(conversation)
    for name, value in changed.items():
        setattr(conversation, name, value)
    return conversation


def accounts_are_cheap(conversation: Conversation) -> bool:
    """Whether one person can take part as many people: anyone with the link may, and so may anyone
    who names an unsigned external id. Invitation codes and signed ids give one voice per person."""
    return conversation.access == Access.LINK or (conversation.access == Access.XID and conversation.allow_unsigned_xid)


def require_open(conversation: Conversation) -> None:
    """Refuse what would change a closed conversation's decisions (votes, answers, its rule, which
    statements are proposals): they are final until a moderator reopens it."""
    if not conversation.is_open:
        raise Conflict("this conversation is closed", "conversation_closed")


def set_open(session: Session, user: User | None, conversation: Conversation, is_open: bool) -> Conversation:
    """Closing keeps the rule in force with the conversation when it has none of its own (a space's
    rule changed later must not change its decisions); reopening drops the rule kept so, and the
    conversation follows its space's rule again."""
    require_moderator(session, user, conversation.space)
    mark_open(conversation, is_open, now_ms())
    return conversation


def mark_open(conversation: Conversation, is_open: bool, at: int) -> None:
    """Open or close it as of ``at``, whoever does (a moderator, or its closing time). Reopening drops a
    closing time already past, which would close it again at once."""
    if not is_open and conversation.is_open and not conversation.decision_rule:
        conversation.decision_rule = frozen_rule(conversation)
    elif is_open and conversation.decision_rule and own_rule(conversation) is None:
        conversation.decision_rule = None
    if is_open and conversation.closes_ms is not None and conversation.closes_ms <= at:
        conversation.closes_ms = None
    conversation.is_open = is_open
    conversation.closed_ms = None if is_open else at


def close_if_due(session: Session, conversation: Conversation) -> None:
    """A conversation past its closing time closes itself, as a moderator's close, when it is next read
    (as a budget's voting closes at its time): closed as of its closing time. Its row is locked and
    read again first, so that two readers at that moment close it once (one log entry). It is part of the
    reader's transaction: a request refused afterwards stores nothing, and the next read closes it; votes
    are refused from the closing time on meanwhile (:func:`concord.store.models.open_at`)."""
    if not past_closing(conversation, now_ms()):
        return
    lock_for_writing(session, conversation)
    session.refresh(conversation)
    if past_closing(conversation, now_ms()) and conversation.closes_ms is not None:
        mark_open(conversation, False, conversation.closes_ms)


def record_is_public(session: Session, user: User | None, conversation: Conversation) -> bool:
    """Whether this reader may download the conversation's record (its export, its log's entries): anyone
    may, as anyone may read its results, so that anyone can verify them; where the convener made it
    private, only its moderators."""
    return not conversation.private or moderates(session, user, conversation.space)


def require_public_record(session: Session, user: User | None, conversation: Conversation) -> None:
    if not record_is_public(session, user, conversation):
        raise Forbidden("this conversation's record is private: only its moderators may download it", "private_record")


def conversation_by_public_id(session: Session, public_id: str) -> Conversation:
    conversation = session.scalar(
        select(Conversation).where(Conversation.public_id == public_id, ~being_imported(Conversation.id))
    )
    if conversation is None:
        raise NotFound("no conversation %(conversation)s", conversation=public_id)
    close_if_due(session, conversation)
    return conversation


def lock_for_writing(session: Session, conversation: Conversation) -> None:
    """Make concurrent writers of one conversation take turns until this transaction ends, so a rule
    checked by reading (no duplicate statement, one participant per external id) still holds when the
    row is written. PostgreSQL locks the conversation row; SQLite has one writer at a time already."""
    session.execute(select(Conversation.id).where(Conversation.id == conversation.id).with_for_update())


def take_number(session: Session, conversation: Conversation, counter: str) -> int:
    """The next per-conversation number (statement or participant), atomically: one UPDATE …
    RETURNING, so concurrent writers never get the same number."""
    column = getattr(Conversation, counter)
    number = session.execute(
        update(Conversation).where(Conversation.id == conversation.id).values({column: column + 1}).returning(column)
    ).scalar_one()
    return number - 1


@dataclass(frozen=True)
class Counts:
    statements: int  # shown ones
    participants: int
    votes: int  # current votes (one per participant and statement)


def counts(session: Session, conversation: Conversation) -> Counts:
    def count(column: Any, *where: Any) -> int:
        return session.scalar(select(func.count(column)).where(*where)) or 0

    return Counts(
        statements=count(
            Statement.id, Statement.conversation_id == conversation.id, Statement.status == StatementStatus.ACCEPTED
        ),
        participants=count(Participant.id, Participant.conversation_id == conversation.id),
        votes=count(Vote.statement_id, Vote.conversation_id == conversation.id),
    )


# --- use cases ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConversationDetail:
    conversation: ConversationRecord
    counts: Counts
    effective_rule: dict[str, Any]  # the rule that decides its proposals (its own, else a space's above)


def detail_of(session: Session, conversation: Conversation) -> ConversationDetail:
    return ConversationDetail(
        ConversationRecord.of(conversation), counts(session, conversation), effective_rule(conversation)
    )


def conversation_detail(runtime: Runtime, public_id: str) -> ConversationDetail:
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        return detail_of(session, conversation)


def start_conversation(
    runtime: Runtime, caller: Caller, space_id: int, settings: ConversationSettings
) -> ConversationDetail:
    with runtime.transaction() as session:
        conversation = create_conversation(session, user_of(session, caller), space_by_id(session, space_id), settings)
        return detail_of(session, conversation)


def change_settings(runtime: Runtime, caller: Caller, public_id: str, changes: dict[str, Any]) -> ConversationDetail:
    """Change some settings; the others keep their values. The topic is part of the results, so the
    live analysis hears of it."""
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        update_settings(session, user_of(session, caller), conversation, changes)
        detail = detail_of(session, conversation)
    runtime.live.notify(conversation.id)
    return detail


def open_or_close(runtime: Runtime, caller: Caller, public_id: str, is_open: bool) -> ConversationDetail:
    """Closing stops votes, statements, joins and answers, and fixes what decides its proposals (its
    decisions are final); results stay readable. Reopening resumes them."""
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        set_open(session, user_of(session, caller), conversation, is_open)
        return detail_of(session, conversation)


@dataclass(frozen=True)
class Embedding:
    """What a site that embeds the conversation needs to vouch for its members' ids."""

    xid_secret: str
    allow_unsigned_xid: bool


def embedding(runtime: Runtime, caller: Caller, public_id: str) -> Embedding:
    """The conversation's XID key, for its moderators only."""
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        require_moderator(session, user_of(session, caller), conversation.space)
        return Embedding(conversation.xid_secret, conversation.allow_unsigned_xid)
