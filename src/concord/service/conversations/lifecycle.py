"""Conversations in a space: their settings, and opening and closing them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from concord.service.accounts.moderators import user_of
from concord.service.accounts.xids import new_xid_secret
from concord.service.caller import Caller
from concord.service.clock import now_ms
from concord.service.decisions.rules import effective_rule, frozen_rule, own_rule, validated_rule
from concord.service.errors import Conflict, Forbidden, Invalid, Label, NotFound
from concord.service.spaces import moderates, require_moderator, space_by_id, validate_language
from concord.service.text import checked_text
from concord.states import Access, Moderation, StatementStatus
from concord.store.models import Conversation, Participant, Space, Statement, User, Vote, being_imported

if TYPE_CHECKING:
    from concord.service.runtime import Runtime

STATEMENT_LENGTH_RANGE = (20, 1000)  # Pol.is uses 140
TOPIC_LENGTH = 300
DESCRIPTION_LENGTH = 10_000
MAX_ATTRIBUTES = 5
ATTRIBUTE_NAME_LENGTH = 40
MAX_OPTIONS = 50
OPTION_LENGTH = 80
# What decides its proposals besides the votes: the rule, and the questions whose answers make the
# declared groups. A closed conversation's decisions are final, so these are too.
DECIDING_SETTINGS = frozenset({"decision_rule", "attributes"})


@dataclass
class ConversationSettings:
    """What a moderator chooses; every field is validated before anything is stored."""

    topic: str = ""
    description: str = ""
    language: str = "en"
    moderation: Moderation | str = Moderation.POST  # a word from a form is checked by validated()
    participants_can_write: bool = True
    access: Access | str = Access.LINK
    max_statement_length: int = 140
    attributes: list | None = None
    allow_unsigned_xid: bool = False  # accept external ids the embedding site did not sign (a risk)
    decision_rule: dict | None = None  # the rule of its proposals; None: the space's (concord.service.decisions.rules)
    # Its record (export, log entries) only for its moderators; by default anyone may download and verify it.
    private: bool = False

    def validated(self) -> ConversationSettings:
        self.topic = checked_text(self.topic or "", Label("a topic"), TOPIC_LENGTH, field="topic").strip()
        if not self.topic:
            raise Invalid("a conversation needs a topic of 1–%(limit)s characters", field="topic", limit=TOPIC_LENGTH)
        self.description = checked_text(
            self.description or "", Label("the description"), DESCRIPTION_LENGTH, multiline=True, field="description"
        )
        self.language = validate_language(self.language)
        try:
            self.moderation = Moderation(self.moderation)
        except ValueError:
            raise Invalid(
                "moderation must be 'pre' (statements wait for a moderator) or 'post' (shown at once)",
                field="moderation",
            ) from None
        try:
            self.access = Access(self.access)
        except ValueError:
            raise Invalid(
                "access must be 'link', 'invite' (one-time codes) or 'xid' (an id from an embedding site)",
                field="access",
            ) from None
        low, high = STATEMENT_LENGTH_RANGE
        if not isinstance(self.max_statement_length, int) or not low <= self.max_statement_length <= high:
            raise Invalid(
                "max_statement_length must be a whole number from %(low)s to %(high)s",
                field="max_statement_length",
                low=low,
                high=high,
            )
        if not isinstance(self.private, bool):
            raise Invalid("private must be true or false", field="private")
        self.decision_rule = validated_rule(self.decision_rule) if self.decision_rule is not None else None
        self.attributes = validate_attributes(self.attributes or [])
        return self


def validate_attributes(attributes: Any) -> list[dict]:
    """Declared attributes: [{"name": "region", "options": ["north", "south"]}, …]; each becomes a
    declared group partition in the analysis."""
    if not isinstance(attributes, list) or len(attributes) > MAX_ATTRIBUTES:
        raise Invalid(
            "attributes must be a list of at most %(most)s {name, options} objects",
            field="attributes",
            most=MAX_ATTRIBUTES,
        )
    cleaned, names = [], set()
    for attribute in attributes:
        if not isinstance(attribute, dict):
            raise Invalid("each attribute must be an object with 'name' and 'options'")
        name = checked_text(
            attribute.get("name", ""), Label("an attribute's name"), ATTRIBUTE_NAME_LENGTH, field="attributes"
        ).strip()
        options = attribute.get("options")
        if not name or name in names:
            raise Invalid(
                "each attribute needs a distinct name of 1–%(limit)s characters",
                field="attributes",
                limit=ATTRIBUTE_NAME_LENGTH,
            )
        if not isinstance(options, list) or not 2 <= len(options) <= MAX_OPTIONS:
            raise Invalid(
                "the question %(name)s needs 2–%(most)s answers", field="attributes", name=name, most=MAX_OPTIONS
            )
        options = [
            checked_text(option, Label("an answer"), OPTION_LENGTH, field="attributes").strip() for option in options
        ]
        if not all(options) or len(set(options)) != len(options):
            raise Invalid(
                "the answers to %(name)s must be distinct texts of 1–%(limit)s characters",
                field="attributes",
                name=name,
                limit=OPTION_LENGTH,
            )
        names.add(name)
        cleaned.append({"name": name, "options": options})
    return cleaned


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
        next_statement_number=0,
        next_participant_number=0,
        **{f.name: getattr(settings, f.name) for f in fields(settings)},
    )
    session.add(conversation)
    session.flush()
    return conversation


def update_settings(session: Session, user: User | None, conversation: Conversation, changes: dict) -> Conversation:
    require_moderator(session, user, conversation.space)
    known = {f.name for f in fields(ConversationSettings)}
    unknown = set(changes) - known
    if unknown:
        raise Invalid("unknown setting(s): %(names)s", names=", ".join(sorted(unknown)))
    stored = {name: getattr(conversation, name) for name in known}
    stored |= {"attributes": conversation.attributes or [], "decision_rule": own_rule(conversation)}
    current = ConversationSettings(**stored)
    for name, value in changes.items():
        setattr(current, name, value)
    current.validated()
    changed = {name: getattr(current, name) for name in known if getattr(current, name) != stored[name]}
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
    if not is_open and conversation.is_open and not conversation.decision_rule:
        conversation.decision_rule = frozen_rule(conversation)
    elif is_open and conversation.decision_rule and own_rule(conversation) is None:
        conversation.decision_rule = None
    conversation.is_open = is_open
    conversation.closed_ms = None if is_open else now_ms()
    return conversation


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
    conversation: Conversation
    counts: Counts
    effective_rule: dict[str, Any]  # the rule that decides its proposals (its own, else a space's above)


def detail_of(session: Session, conversation: Conversation) -> ConversationDetail:
    return ConversationDetail(conversation, counts(session, conversation), effective_rule(conversation))


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
