"""A conversation's settings, declared once (:mod:`concord.service.limits`): each with its default, its
meaning and its limits as data. The service checks a moderator's choice against these declarations; the
API's schemas, the settings form, the conversation's record and which changes its log publishes are
built from them, so a setting is named in one list only."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from concord.languages import TAG_LENGTH
from concord.service.decisions.rules import own_rule, validated_rule
from concord.service.errors import Invalid, Label
from concord.service.limits import EXACT, Limits, checked, declared, limits_of
from concord.service.spaces import SpaceRecord, validate_language
from concord.service.text import checked_text
from concord.states import Access, Moderation

if TYPE_CHECKING:
    from concord.store.models import Conversation

TOPIC_LENGTH = 300
DESCRIPTION_LENGTH = 10_000
STATEMENT_LENGTH_RANGE = (20, 1000)  # Pol.is uses 140
MAX_ATTRIBUTES = 5
ATTRIBUTE_NAME_LENGTH = 40
MAX_OPTIONS = 50
OPTION_LENGTH = 80


def _topic(name: str, value: Any, limits: Limits) -> str:
    topic = checked_text(value or "", Label("a topic"), limits.length or 0, field=name).strip()
    if not topic:
        raise Invalid("a conversation needs a topic of 1–%(limit)s characters", field=name, limit=limits.length)
    return topic


def _description(name: str, value: Any, limits: Limits) -> str:
    return checked_text(value or "", Label("the description"), limits.length or 0, multiline=True, field=name)


def _language(name: str, value: Any, limits: Limits) -> str:
    return validate_language(value, name)


def _choice(name: str, value: Any, limits: Limits) -> StrEnum:
    assert limits.choices is not None
    try:
        return limits.choices(value)
    except ValueError:
        raise Invalid(limits.refusal, field=name) from None


def _statement_length(name: str, value: Any, limits: Limits) -> int:
    if not isinstance(value, int) or not (limits.low or 0) <= value <= (limits.high or 0):
        raise Invalid(
            "max_statement_length must be a whole number from %(low)s to %(high)s",
            field=name,
            low=limits.low,
            high=limits.high,
        )
    return value


def _as_given(name: str, value: Any, limits: Limits) -> Any:
    """A yes or no the API and the form have read as one already."""
    return value


def _private(name: str, value: Any, limits: Limits) -> bool:
    if not isinstance(value, bool):
        raise Invalid("private must be true or false", field=name)
    return value


def _moment(name: str, value: Any, limits: Limits) -> int | None:
    """A moment in milliseconds since the epoch, or none."""
    whole = isinstance(value, int) and not isinstance(value, bool)
    if value is not None and not (whole and (limits.low or 0) <= value <= (limits.high or 0)):
        raise Invalid(
            "%(name)s must be a time in milliseconds since 1970 (up to %(high)s), or none",
            field=name,
            name=name,
            high=limits.high,
        )
    return value


def _rule(name: str, value: Any, limits: Limits) -> dict | None:
    return validated_rule(value) if value is not None else None


def _questions(name: str, value: Any, limits: Limits) -> list[dict]:
    return validate_attributes(value or [], limits.most or 0)


UNSIGNED_XID = (
    "Accept external ids that the embedding site did not sign: anyone who knows or guesses a member's "
    "id could then vote as them. Off unless a moderator accepts that risk."
)
CLOSES = (
    "When it closes itself (ms since the epoch), as a moderator closes it: votes, statements and answers stop and "
    "its decisions are final. None: only when a moderator closes it. Reopening drops a time already past."
)
PRIVATE = (
    "Keep its record (the export and the log's entries) for its moderators; by default anyone may download "
    "and verify it."
)


@dataclass(frozen=True)
class ConversationSettings:
    """What a moderator chooses; :meth:`validated` checks every field against its declaration before
    anything is stored. A word from a form (``moderation="pre"``) becomes its state there."""

    topic: str = field(default="", metadata=declared(_topic, "text", length=TOPIC_LENGTH, required=True))
    description: str = field(
        default="", metadata=declared(_description, "text", length=DESCRIPTION_LENGTH, multiline=True)
    )
    language: str = field(default="en", metadata=declared(_language, "text", length=TAG_LENGTH))  # of both texts
    moderation: Moderation | str = field(
        default=Moderation.POST,
        metadata=declared(
            _choice,
            "choice",
            choices=Moderation,
            refusal=Label("moderation must be 'pre' (statements wait for a moderator) or 'post' (shown at once)"),
            meaning="pre: statements wait for a moderator; post: shown at once, removable.",
        ),
    )
    participants_can_write: bool = field(default=True, metadata=declared(_as_given, "flag"))
    access: Access | str = field(
        default=Access.LINK,
        metadata=declared(
            _choice,
            "choice",
            choices=Access,
            refusal=Label("access must be 'link', 'invite' (one-time codes) or 'xid' (an id from an embedding site)"),
            meaning="link: anyone with the link; invite: one-time codes; xid: an id passed by an embedding site.",
        ),
    )
    max_statement_length: int = field(
        default=140,
        metadata=declared(_statement_length, "whole", low=STATEMENT_LENGTH_RANGE[0], high=STATEMENT_LENGTH_RANGE[1]),
    )
    attributes: list[dict] = field(
        default_factory=list,
        metadata=declared(
            _questions,
            "questions",
            most=MAX_ATTRIBUTES,
            deciding=True,  # the answers make the declared groups
            meaning="Declared attributes asked of participants, used as declared groups.",
        ),
    )
    allow_unsigned_xid: bool = field(
        default=False, metadata=declared(_as_given, "flag", meaning=UNSIGNED_XID, logged=False)
    )
    # Its record (export, log entries) only for its moderators; by default anyone may download and verify it.
    private: bool = field(default=False, metadata=declared(_private, "flag", meaning=PRIVATE, logged=False))
    # The rule of its proposals; None: the space's (concord.service.decisions.rules).
    decision_rule: dict | None = field(
        default=None,
        metadata=declared(_rule, "rule", deciding=True, meaning="The rule of its proposals; none: the space's."),
    )
    closes_ms: int | None = field(default=None, metadata=declared(_moment, "time", low=0, high=EXACT, meaning=CLOSES))

    def validated(self) -> ConversationSettings:
        return checked(self)

    @classmethod
    def of(cls, row: Conversation) -> ConversationSettings:
        """A conversation's settings as chosen: its own rule, not one it kept from its space at closing."""
        return cls(**_chosen(row))


def _chosen(row: Conversation) -> dict[str, Any]:
    return {name: getattr(row, name) for name in LIMITS} | {
        "attributes": row.attributes or [],
        "decision_rule": own_rule(row),
    }


LIMITS = limits_of(ConversationSettings)
DECIDING_SETTINGS = frozenset(name for name, limits in LIMITS.items() if limits.deciding)
LOGGED_SETTINGS = frozenset(name for name, limits in LIMITS.items() if limits.logged)


def validate_attributes(attributes: Any, most: int = MAX_ATTRIBUTES) -> list[dict]:
    """Declared attributes: [{"name": "region", "options": ["north", "south"]}, …]; each becomes a
    declared group partition in the analysis."""
    if not isinstance(attributes, list) or len(attributes) > most:
        raise Invalid(
            "attributes must be a list of at most %(most)s {name, options} objects", field="attributes", most=most
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


@dataclass(frozen=True, kw_only=True)
class ConversationRecord(ConversationSettings):
    """A conversation as the pages and the API show it: its settings, where it is and whether it is open."""

    id: int
    public_id: str  # what links carry
    space_id: int
    space: SpaceRecord
    is_open: bool
    created_ms: int
    closed_ms: int | None
    outcome: str | None  # what was decided and what happens next, written once it is closed

    @classmethod
    def of(cls, row: Conversation) -> ConversationRecord:
        return cls(
            **_chosen(row),
            id=row.id,
            public_id=row.public_id,
            space_id=row.space_id,
            space=SpaceRecord.of(row.space),
            is_open=row.is_open,
            created_ms=row.created_ms,
            closed_ms=row.closed_ms,
            outcome=row.outcome,
        )
