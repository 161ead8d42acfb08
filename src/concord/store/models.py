"""The tables. Storage knows rows, not math: the analysis lives in ``concord.engine``.

Times are integer milliseconds since the Unix epoch (UTC), as in Pol.is exports: exact, sortable and the
same on SQLite and PostgreSQL. Statements and participants carry a per-conversation ``number`` (Pol.is's
comment id and participant id), so a conversation exports and re-imports with the same ids.

Participants are anonymous: a participant row holds a hash of the random token the browser keeps, an
optional external id (XID) chosen by an embedding site, and the declared attributes the conversation
asks for. No names, e-mail addresses or IP addresses are stored anywhere.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    and_,
    exists,
    or_,
)
from sqlalchemy import text as sql
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from concord.languages import TAG_LENGTH
from concord.states import Access, BlocVerdict, Moderation, StatementStatus, Translated, TranslationStatus

MAX_ID = 2**31 - 1  # ids and numbers are INTEGER columns; a larger one can name no row
LANGUAGE_TAG_LENGTH = TAG_LENGTH
SPACE_PATH_LENGTH = 1024


class Base(DeclarativeBase):
    pass


def state_column(states: type[StrEnum], length: int) -> Enum:
    """A column of named states (:mod:`concord.states`), stored as the state's word in a VARCHAR as
    before (no database enum type to migrate); rows read back as the enum."""
    return Enum(
        states,
        native_enum=False,
        create_constraint=False,
        length=length,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )


class Space(Base):
    """A place that decides its own matters: a country, a province, a district, a city, a cooperative.

    ``path`` is the slugs from the root ("/afghanistan/herat"), so "this space or any space below it" is
    a prefix test, which is how moderation rights flow down the tree.
    """

    __tablename__ = "spaces"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("spaces.id", ondelete="RESTRICT"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(SPACE_PATH_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(LANGUAGE_TAG_LENGTH), default="en")
    created_ms: Mapped[int] = mapped_column(BigInteger)
    # The default decision rule of every conversation below ({"name", "parameters"}), if set.
    decision_rule: Mapped[dict | None] = mapped_column(JSON)
    # As a place in a roll-up: its weight (a half-place weighs 0.5) and its declared population.
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    population: Mapped[float | None] = mapped_column(Float)

    parent: Mapped[Space | None] = relationship(remote_side="Space.id")


class User(Base):
    """A moderator or administrator account (participants never have accounts)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_ms: Mapped[int] = mapped_column(BigInteger)


class SpaceRole(Base):
    """A user's role in a space; it also covers every space below."""

    __tablename__ = "space_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), default="moderator")


class LoginSession(Base):
    """A moderator's login: the cookie holds a random token, the table only its hash."""

    __tablename__ = "login_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_ms: Mapped[int] = mapped_column(BigInteger)
    expires_ms: Mapped[int] = mapped_column(BigInteger)


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)  # what links carry
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="RESTRICT"), index=True)
    topic: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(LANGUAGE_TAG_LENGTH), default="en")  # of topic and description
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    moderation: Mapped[Moderation] = mapped_column(state_column(Moderation, 8), default=Moderation.POST)
    participants_can_write: Mapped[bool] = mapped_column(Boolean, default=True)
    access: Mapped[Access] = mapped_column(state_column(Access, 8), default=Access.LINK)
    max_statement_length: Mapped[int] = mapped_column(Integer, default=140)
    # Declared attributes asked of participants, e.g. [{"name": "region", "options": ["north", "south"]}].
    attributes: Mapped[list] = mapped_column(JSON, default=list)
    # The embedding site's key: it signs the external ids it vouches for (concord.service.accounts.xids).
    xid_secret: Mapped[str] = mapped_column(String(64))
    allow_unsigned_xid: Mapped[bool] = mapped_column(Boolean, default=False)
    # Its record (export, log) only for its moderators: else anyone may download and verify it.
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    decision_rule: Mapped[dict | None] = mapped_column(JSON)  # {"name", "parameters"}; else the space's
    next_statement_number: Mapped[int] = mapped_column(Integer, default=0)
    next_participant_number: Mapped[int] = mapped_column(Integer, default=0)
    created_ms: Mapped[int] = mapped_column(BigInteger)
    closed_ms: Mapped[int | None] = mapped_column(BigInteger)
    # When it closes itself, as a moderator's close (None: only when a moderator closes it).
    closes_ms: Mapped[int | None] = mapped_column(BigInteger)
    # What was decided and what happens next, written by its moderators once it is closed (None: nothing yet).
    outcome: Mapped[str | None] = mapped_column(Text)

    # Loaded with the conversation: pages name the space, and use cases return conversations to the
    # web layer after their transaction has ended.
    space: Mapped[Space] = relationship(lazy="joined")


class Participant(Base):
    __tablename__ = "participants"
    __table_args__ = (
        UniqueConstraint("conversation_id", "number"),
        UniqueConstraint("conversation_id", "token_hash"),
        UniqueConstraint("conversation_id", "xid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    token_hash: Mapped[str | None] = mapped_column(String(64))  # None for imported participants
    # The external id as a keyed hash only (concord.service.accounts.xids.xid_hash), never the id itself.
    xid: Mapped[str | None] = mapped_column(String(200))
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)  # their declared answers
    # The answers published beside their number in the conversation's log: only those enough others share.
    published: Mapped[dict | None] = mapped_column(JSON)
    created_ms: Mapped[int] = mapped_column(BigInteger)


class Statement(Base):
    __tablename__ = "statements"
    __table_args__ = (
        UniqueConstraint("conversation_id", "number"),
        UniqueConstraint("conversation_id", "normalized"),
        Index("statements_by_author", "author_id"),  # a participant deleted: their statements found at once
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(
        String(LANGUAGE_TAG_LENGTH)
    )  # the original's; translations in their own table
    normalized: Mapped[str] = mapped_column(String(700))  # for refusing duplicates
    author_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"))
    is_seed: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[StatementStatus] = mapped_column(state_column(StatementStatus, 16))
    created_ms: Mapped[int] = mapped_column(BigInteger)
    is_proposal: Mapped[bool] = mapped_column(Boolean, default=False)  # decided by the conversation's rule
    # When the proposal was put by a wider space to this conversation's space (a roll-up).
    space_proposal_id: Mapped[int | None] = mapped_column(ForeignKey("space_proposals.id", ondelete="SET NULL"))


class ModerationEvent(Base):
    """Every moderation decision with its reason. The public log leaves out ``moderator_id``."""

    __tablename__ = "moderation_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id", ondelete="CASCADE"), index=True)
    status: Mapped[StatementStatus] = mapped_column(state_column(StatementStatus, 16))
    reason: Mapped[str] = mapped_column(Text, default="")
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_ms: Mapped[int] = mapped_column(BigInteger)


class Translation(Base):
    """A text of a conversation in another language: a statement, its topic or its description.

    Readers of a language see the one ``accepted`` translation of a text in that language; a
    volunteer's waits as ``pending`` where a moderator must read it first, and one that a newer
    translation took the place of is kept as ``replaced``. ``original`` is the text it translates, as it
    was: when a moderator rewrites the topic, translations of the old one are no longer shown.
    """

    __tablename__ = "translations"
    __table_args__ = (
        Index("translations_by_conversation", "conversation_id", "language"),
        Index("translations_by_translator", "translator_id"),
        # At most one accepted translation of a text in a language (topic and description have no
        # statement: their uniqueness is kept by the service under the conversation's write lock).
        Index(
            "one_accepted_translation",
            "statement_id",
            "language",
            unique=True,
            sqlite_where=sql("status = 'accepted' AND statement_id IS NOT NULL"),
            postgresql_where=sql("status = 'accepted' AND statement_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    subject: Mapped[Translated] = mapped_column(state_column(Translated, 16))
    statement_id: Mapped[int | None] = mapped_column(ForeignKey("statements.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(LANGUAGE_TAG_LENGTH))
    text: Mapped[str] = mapped_column(Text)
    original: Mapped[str] = mapped_column(Text)
    status: Mapped[TranslationStatus] = mapped_column(state_column(TranslationStatus, 16))
    translator_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"))
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))  # wrote it
    created_ms: Mapped[int] = mapped_column(BigInteger)


class TranslationDecision(Base):
    """A moderator's decision on a volunteer's translation, with its reason; public like the decisions
    on statements (the log leaves out ``moderator_id``)."""

    __tablename__ = "translation_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    translation_id: Mapped[int] = mapped_column(ForeignKey("translations.id", ondelete="CASCADE"), index=True)
    status: Mapped[TranslationStatus] = mapped_column(state_column(TranslationStatus, 16))
    reason: Mapped[str] = mapped_column(Text, default="")
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_ms: Mapped[int] = mapped_column(BigInteger)


class SpaceTranslation(Base):
    """A space's name or description in another language. Spaces have no conversation (so no
    participants, no conversation log and no translation queue), so their texts' translations are kept
    here rather than as :class:`Translation` rows with a conversation: each is a moderator's of the space,
    accepted at once in the place of the one shown before (kept as ``replaced``), and logged in the
    space's own log, which ``concord verify`` replays. ``original`` is the text it translates, as it was:
    when a moderator renames the space, translations of the old name are no longer shown.
    """

    __tablename__ = "space_translations"
    __table_args__ = (Index("space_translations_by_space", "space_id", "language"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(16))  # "name" or "description"
    language: Mapped[str] = mapped_column(String(LANGUAGE_TAG_LENGTH))
    text: Mapped[str] = mapped_column(Text)
    original: Mapped[str] = mapped_column(Text)
    status: Mapped[TranslationStatus] = mapped_column(state_column(TranslationStatus, 16))
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_ms: Mapped[int] = mapped_column(BigInteger)


class BudgetTranslation(Base):
    """A budget's name or description, or one of its projects' (``project_id``), in another language.

    Kept apart from :class:`Translation` (a conversation's statements, topic and description, which
    flow into its PO files, its exports' ``translations.csv``, its translation queue and the API's
    subjects, none of which know budgets) though logged, like them, in the budget's own conversation's
    log. A moderator's of the budget's space, accepted at once in the place of the one shown before
    (kept as ``replaced``); ``original`` is the text as it was, so renaming a project hides the old
    name's translations.
    """

    __tablename__ = "budget_translations"
    __table_args__ = (Index("budget_translations_by_budget", "budget_id", "language"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budgets.id", ondelete="CASCADE"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("budget_projects.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(16))  # "name" or "description"
    language: Mapped[str] = mapped_column(String(LANGUAGE_TAG_LENGTH))
    text: Mapped[str] = mapped_column(Text)
    original: Mapped[str] = mapped_column(Text)
    status: Mapped[TranslationStatus] = mapped_column(state_column(TranslationStatus, 16))
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_ms: Mapped[int] = mapped_column(BigInteger)


class Invitation(Base):
    """A one-time code; only its hash is kept, and whether it has been redeemed: never by whom or when,
    so that whoever holds the list of who received which code cannot find their votes."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(8))  # first characters, so moderators can tell codes apart
    created_ms: Mapped[int] = mapped_column(BigInteger)
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class Vote(Base):
    """The current vote of a participant on a statement (the latest event)."""

    __tablename__ = "votes"
    __table_args__ = (Index("votes_by_conversation", "conversation_id"),)

    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id", ondelete="CASCADE"), primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    value: Mapped[int] = mapped_column(SmallInteger)
    updated_ms: Mapped[int] = mapped_column(BigInteger)


class VoteEvent(Base):
    """Every vote as cast, in order; exports write these, so changed votes stay visible. ``seq`` is the
    vote's entry in its conversation's log: votes are read in log order, the order they committed."""

    __tablename__ = "vote_events"
    __table_args__ = (
        Index("vote_events_by_conversation", "conversation_id", "id"),
        Index("vote_events_in_log_order", "conversation_id", "seq"),
        # A participant's votes (their current ones are their latest events): migration 0012.
        Index("vote_events_by_participant", "participant_id", "seq"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id", ondelete="CASCADE"))
    value: Mapped[int] = mapped_column(SmallInteger)
    created_ms: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(BigInteger)


class AnalysisRecord(Base):
    """The latest analysis of a conversation, with what it was computed from."""

    __tablename__ = "analyses"

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True)
    computed_ms: Mapped[int] = mapped_column(BigInteger)
    last_event_id: Mapped[int] = mapped_column(BigInteger)  # vote events up to this id were included
    # The results are those of the conversation's log's first ``log_size`` entries (what `concord verify`
    # recomputes); 0 for analyses made before the log.
    log_size: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    vote_count: Mapped[int] = mapped_column(Integer)  # current votes analysed
    seconds: Mapped[float] = mapped_column()
    results_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    results: Mapped[dict] = mapped_column(JSON)  # concord.report.contract.ConversationResults, version above
    priorities: Mapped[dict[str, float] | None] = mapped_column(JSON)  # next-statement priority by number
    # Every participant's place on the map and group (concord.report.opinion_map.Placements.to_bytes): for
    # the export and a participant's own marker, not in the results every reader downloads. Loaded only
    # when asked for (it grows with the participants).
    placements: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    # Which analysis process stored it (host, process id and a random part): one per conversation at a
    # time (:class:`AnalysisLease`), so an operator sees which server analyses what.
    computed_by: Mapped[str | None] = mapped_column(String(100))


class AnalysisLease(Base):
    """Which analysis process analyses a conversation, until when: every server process watches every
    conversation, and the one holding the lease (renewed every second while it lives) is the only
    one to analyse it; when it dies its lease runs out and another takes over."""

    __tablename__ = "analysis_leases"

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    expires: Mapped[float] = mapped_column()  # seconds since the epoch


class RateBucket(Base):
    """A rate limit's token bucket (:mod:`concord.service.ratelimit`), shared by every server process;
    absent means full."""

    __tablename__ = "rate_buckets"
    __table_args__ = (Index("rate_buckets_by_time", "at"),)

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # a participant id, or an address's keyed hash
    tokens: Mapped[float] = mapped_column()
    at: Mapped[float] = mapped_column()  # seconds since the epoch when ``tokens`` were left


class LoginFailure(Base):
    """Recent failed logins of an account or from an address (:mod:`concord.service.accounts.login_delays`),
    shared by every server process; absent means none in the last 15 minutes."""

    __tablename__ = "login_failures"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # "account" or "address"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # a keyed hash of the username or address
    failures: Mapped[int] = mapped_column(Integer)
    last_failure: Mapped[float] = mapped_column()  # seconds since the epoch
    last_slot: Mapped[float] = mapped_column()  # addresses: when the latest attempt is (was) checked


class InstanceSecret(Base):
    """Keys of this Concord instance, made by the migrations and shared by every server process."""

    __tablename__ = "instance_secrets"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))


class SpaceProposal(Base):
    """A proposal a space puts to the spaces below it: each decides it by its own rule with its own
    participants (or reports a tally), and the outcomes roll up by ``place_rule``."""

    __tablename__ = "space_proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    place_rule: Mapped[dict] = mapped_column(JSON)  # {"name", "parameters"} of a rule across places
    created_ms: Mapped[int] = mapped_column(BigInteger)


class BlocDecision(Base):
    """A moderator's decision on accounts suspected of acting as one bloc, with its public reason. The
    accounts are named by their participant numbers (as the log names participants); the public log
    leaves out ``moderator_id``."""

    __tablename__ = "bloc_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    participants: Mapped[list] = mapped_column(JSON)  # their numbers, ascending
    verdict: Mapped[BlocVerdict] = mapped_column(state_column(BlocVerdict, 16))
    reason: Mapped[str] = mapped_column(Text)
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_ms: Mapped[int] = mapped_column(BigInteger)


class ReportedTally(Base):
    """A place's count of a proposal made elsewhere (on paper, at a meeting without connectivity)."""

    __tablename__ = "reported_tallies"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("space_proposals.id", ondelete="CASCADE"), primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True)
    agree: Mapped[int] = mapped_column(Integer)
    disagree: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    reported_ms: Mapped[int] = mapped_column(BigInteger)


class Budget(Base):
    """A participatory budget of a space: money to share among projects, decided by the Method of Equal
    Shares. Its voters are the participants of its own conversation (same access, invitations and
    declared questions as any conversation, and a place to discuss the projects). Money is kept as exact
    decimal text: the outcome compares sums of shares exactly."""

    __tablename__ = "budgets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="RESTRICT"), index=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="RESTRICT"), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    amount: Mapped[str] = mapped_column(String(40))  # exact decimal, e.g. "2500000" or "1250.50"
    currency: Mapped[str] = mapped_column(String(8), default="")
    # The ballot: {"type": "approval" | "choose-1", "max_projects": int | None, "max_cost": str | None}.
    ballot: Mapped[dict] = mapped_column(JSON)
    opens_ms: Mapped[int | None] = mapped_column(BigInteger)  # the voting period (None: open while is_open)
    closes_ms: Mapped[int | None] = mapped_column(BigInteger)
    # Split from a parent space's budget (the roll-up), and how a budget splits among child spaces.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("budgets.id", ondelete="SET NULL"), index=True)
    split: Mapped[dict | None] = mapped_column(JSON)
    meta: Mapped[dict] = mapped_column(JSON, default=dict)  # pabulib META not kept elsewhere (lossless export)
    created_ms: Mapped[int] = mapped_column(BigInteger)
    # A pabulib import still writing its batches: until when its importer holds it (ms; renewed with each
    # batch). The budget and its conversation are hidden from everyone meanwhile; None once complete.
    importing_until: Mapped[int | None] = mapped_column(BigInteger)

    conversation: Mapped[Conversation] = relationship(lazy="joined")
    space: Mapped[Space] = relationship(lazy="joined")


def open_at(now: int | ColumnElement[Any]) -> ColumnElement[bool]:
    """Whether a conversation takes part at ``now``: open, and not past its closing time (one past it
    closes itself when next read: concord.service.conversations.lifecycle.close_if_due)."""
    return and_(Conversation.is_open, or_(Conversation.closes_ms.is_(None), Conversation.closes_ms > now))


def past_closing(conversation: Conversation, now: int) -> bool:
    """Whether an open conversation's closing time has come (:func:`open_at` is the same test in SQL)."""
    return conversation.is_open and conversation.closes_ms is not None and conversation.closes_ms <= now


def being_imported(conversation_id: ColumnElement[Any] | InstrumentedAttribute[Any]) -> ColumnElement[bool]:
    """Whether this conversation is a budget's still being imported (:attr:`Budget.importing_until`):
    what lists and lookups leave out, so that nothing of an import shows before its last batch."""
    return exists().where(Budget.conversation_id == conversation_id, Budget.importing_until.is_not(None))


class BudgetProject(Base):
    __tablename__ = "budget_projects"
    __table_args__ = (UniqueConstraint("budget_id", "number"), UniqueConstraint("budget_id", "code"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budgets.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # per budget, in the order added
    code: Mapped[str] = mapped_column(String(64))  # pabulib's project_id (ties are broken by it, as text)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    cost: Mapped[str] = mapped_column(String(40))  # exact decimal
    category: Mapped[str] = mapped_column(String(200), default="")
    location: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    extra: Mapped[dict] = mapped_column(JSON, default=dict)  # other pabulib project fields, as text


class BudgetBallot(Base):
    """A voter's current ballot: the projects they approve (for a ranked ballot, in order; for points,
    with them). Imported voters keep their pabulib voter_id (for the moderators' export; never logged);
    their columns are their participant's answers, published where enough share them (imports made
    before that kept them here, as their logs published them)."""

    __tablename__ = "budget_ballots"
    __table_args__ = (
        UniqueConstraint("budget_id", "participant_id"),
        Index("budget_ballots_by_participant", "participant_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budgets.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    projects: Mapped[list] = mapped_column(JSON)  # project numbers
    points: Mapped[list | None] = mapped_column(JSON)  # cumulative or scoring ballots: one per project
    voter_label: Mapped[str | None] = mapped_column(String(200))  # pabulib voter_id, for imported voters
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)  # an older import's voter columns; else {}
    updated_ms: Mapped[int] = mapped_column(BigInteger)


class BudgetOutcomeRecord(Base):
    """The latest outcome of a budget: that of its conversation's log's first ``log_size`` entries, served
    as stored while the log is that size (:mod:`concord.service.budgets.outcomes`)."""

    __tablename__ = "budget_outcomes"

    budget_id: Mapped[int] = mapped_column(ForeignKey("budgets.id", ondelete="CASCADE"), primary_key=True)
    computed_ms: Mapped[int] = mapped_column(BigInteger)
    # What it was computed from: the leaf hash of the log's last entry then (an outcome stored before
    # migration 0013: a digest of its ballots).
    ballots_digest: Mapped[str] = mapped_column(String(64))
    log_size: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")  # of the first entries
    seconds: Mapped[float] = mapped_column(Float)
    # concord.report.budgets.budget_report; JSON null (not SQL NULL): nothing to decide yet
    report: Mapped[dict | None] = mapped_column(JSON, nullable=False)


class BudgetOutcomeLease(Base):
    """Which server process computes a budget's outcome again, until when (renewed while it computes):
    one at a time per budget; the others serve the stored one meanwhile."""

    __tablename__ = "budget_outcome_leases"

    budget_id: Mapped[int] = mapped_column(ForeignKey("budgets.id", ondelete="CASCADE"), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    expires: Mapped[float] = mapped_column()  # seconds since the epoch


class Log(Base):
    """A tamper-evident log (:mod:`concord.ledger`): every change of a conversation (its budget's
    included), or of a space, as one entry, appended in the transaction that makes the change.
    ``size``, ``last`` (the last entry's leaf hash), ``root`` and ``frontier`` (the roots of the tree's
    perfect subtrees) are its state after its last entry, so appending never reads older entries."""

    __tablename__ = "logs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    origin: Mapped[str] = mapped_column(String(300), unique=True)  # the checkpoint's first line
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="RESTRICT"), unique=True
    )
    space_id: Mapped[int | None] = mapped_column(ForeignKey("spaces.id", ondelete="RESTRICT"), unique=True)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    last: Mapped[str] = mapped_column(String(64))
    root: Mapped[str] = mapped_column(String(64))
    frontier: Mapped[list] = mapped_column(JSON, default=list)


class LogEntry(Base):
    """One entry: its canonical JSON (:mod:`concord.ledger.entries`) exactly as hashed."""

    __tablename__ = "log_entries"
    __table_args__ = (Index("log_entries_by_type", "log_id", "type", "seq"),)  # a log's outcomes, moderation …

    log_id: Mapped[int] = mapped_column(ForeignKey("logs.id", ondelete="RESTRICT"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    leaf: Mapped[bytes] = mapped_column(LargeBinary(32))


class LogTile(Base):
    """The hash of a complete run of 256 entries (tile ``number`` covers entries 256·number …), so a
    proof in a log of millions of entries reads thousands of hashes, not millions."""

    __tablename__ = "log_tiles"

    log_id: Mapped[int] = mapped_column(ForeignKey("logs.id", ondelete="RESTRICT"), primary_key=True)
    number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class SmsNumber(Base):
    """A number (short code or long number) that phones text to take part in a conversation by SMS
    (:mod:`concord.service.sms`): the operator's number, public, not a participant's."""

    __tablename__ = "sms_numbers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # digits, with a leading + if international
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    created_ms: Mapped[int] = mapped_column(BigInteger)


class SmsPhone(Base):
    """A phone taking part in a conversation by SMS: one participant, known by a keyed hash of its number
    in this conversation (never the number itself), and where its dialogue stands."""

    __tablename__ = "sms_phones"
    __table_args__ = (UniqueConstraint("conversation_id", "phone_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    phone_hash: Mapped[str] = mapped_column(String(64))  # HMAC-SHA-256 under an instance secret
    # None for a phone whose first text was a stop (an answer to an invitation): it never joined.
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), unique=True)
    language: Mapped[str] = mapped_column(String(LANGUAGE_TAG_LENGTH))  # what it is texted in
    stopped: Mapped[bool] = mapped_column(Boolean, default=False)  # sent STOP: not texted until it writes
    asking: Mapped[str | None] = mapped_column(String(200))  # the declared question put to it, by name
    statement_number: Mapped[int | None] = mapped_column(Integer)  # the statement put to it
    draft: Mapped[str | None] = mapped_column(Text)  # a text it may submit as a statement ("9")
    created_ms: Mapped[int] = mapped_column(BigInteger)
    updated_ms: Mapped[int] = mapped_column(BigInteger)
