"""Moderation: accepting, rejecting or re-queueing statements, each decision kept with its reason in a
public log that never names the moderator; and the moderator's desk of a conversation."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from concord.report.contract import RESULTS_VERSION, SuspectedBloc
from concord.service.accounts import invitations
from concord.service.accounts.invitations import InvitationRecord
from concord.service.accounts.moderators import UserRecord, require_user, user_of
from concord.service.caller import Caller
from concord.service.clock import now_ms
from concord.service.conversations.lifecycle import Counts, accounts_are_cheap, conversation_by_public_id, counts
from concord.service.conversations.settings import ConversationRecord
from concord.service.conversations.statements import (
    StatementRecord,
    add_statement,
    agree_as_author,
    statement_by_number,
    statements_of,
)
from concord.service.conversations.wordings import Wordings, wordings
from concord.service.decisions.rules import RuleInForce, rule_of_conversation, rule_of_space
from concord.service.errors import Invalid, Label
from concord.service.sms.desk import SmsDesk, sms_desk
from concord.service.spaces import require_moderator
from concord.service.text import checked_text
from concord.states import Access, BlocVerdict, StatementStatus, Translated, TranslationStatus
from concord.store.models import (
    AnalysisRecord,
    BlocDecision,
    Conversation,
    ModerationEvent,
    Statement,
    Translation,
    TranslationDecision,
    User,
)

if TYPE_CHECKING:
    from concord.service.runtime import Runtime

REASON_LENGTH = 500


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
    missing = Invalid(
        "say why a statement is rejected: the reason is published in the moderation log",
        "reason_required",
        field="reason",
    )
    reason = published_reason(reason, missing if status == StatementStatus.REJECTED else None)
    statement.status = status
    event = ModerationEvent(
        statement_id=statement.id, status=status, reason=reason, moderator_id=moderator.id, created_ms=now_ms()
    )
    session.add(event)
    session.flush()
    agree_as_author(session, conversation, statement)  # shown now: the writer's agreement is stored
    return event


def published_reason(reason: object, missing: Invalid | None) -> str:
    """A moderator's reason for a decision, as the public log will print it; ``missing`` is raised when
    there is none and one is required (a rejection)."""
    reason = checked_text(
        reason or "", Label("a moderation reason"), REASON_LENGTH, multiline=True, field="reason"
    ).strip()
    if missing is not None and not reason:
        raise missing
    return reason


@dataclass(frozen=True)
class LogEntry:
    statement: int | None  # None for a translation of the topic or the description, and for a bloc
    status: StatementStatus | TranslationStatus | BlocVerdict
    reason: str
    time_ms: int
    text: str | None  # only for statements (and translations) that are shown
    kind: Literal["statement", "translation", "bloc"] = "statement"
    subject: Translated = Translated.STATEMENT  # what a translation translates
    language: str | None = None  # a translation's
    accounts: int | None = None  # how many accounts a bloc verdict is about


def moderation_log(session: Session, conversation: Conversation) -> list[LogEntry]:
    """The public log: every decision on a statement, a volunteer's translation or a suspected bloc,
    and its reason, never who made it, in the order they were made. Texts of what was rejected are not
    repeated."""
    statements = session.execute(
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
    entries = [
        LogEntry(number, decided, reason, when, text if current == StatementStatus.ACCEPTED else None)
        for number, current, text, decided, reason, when in statements
    ]
    translations = session.execute(
        select(
            Translation.subject,
            Statement.number,
            Translation.language,
            Translation.status,
            Translation.text,
            TranslationDecision.status,
            TranslationDecision.reason,
            TranslationDecision.created_ms,
        )
        .join(TranslationDecision, TranslationDecision.translation_id == Translation.id)
        .outerjoin(Statement, Statement.id == Translation.statement_id)
        .where(Translation.conversation_id == conversation.id)
        .order_by(TranslationDecision.id)
    )
    entries += [
        LogEntry(
            number,
            decided,
            reason,
            when,
            text if current == TranslationStatus.ACCEPTED else None,
            "translation",
            subject,
            language,
        )
        for subject, number, language, current, text, decided, reason, when in translations
    ]
    blocs = session.execute(
        select(BlocDecision.participants, BlocDecision.verdict, BlocDecision.reason, BlocDecision.created_ms)
        .where(BlocDecision.conversation_id == conversation.id)
        .order_by(BlocDecision.id)
    )
    entries += [
        LogEntry(None, verdict, reason, when, None, "bloc", accounts=len(numbers))
        for numbers, verdict, reason, when in blocs
    ]
    return sorted(entries, key=lambda entry: entry.time_ms)  # stable: each table's own order within a time


# --- use cases ------------------------------------------------------------------------------------


def decide(
    runtime: Runtime, caller: Caller, public_id: str, number: int, status: StatementStatus | str, reason: str
) -> LogEntry:
    """A moderator's decision on one statement; the live analysis hears of it (a rejected statement
    leaves the analysis)."""
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        statement = statement_by_number(session, conversation, number)
        event = moderate(session, user_of(session, caller), statement, conversation, status, reason)
        entry = LogEntry(
            number,
            event.status,
            event.reason,
            event.created_ms,
            statement.text if event.status == StatementStatus.ACCEPTED else None,
        )
    runtime.live.notify(conversation.id)
    return entry


def seed_statements(
    runtime: Runtime, caller: Caller, public_id: str, texts: list[str], *, as_proposals: bool = False
) -> list[StatementRecord]:
    """Seed statements written by a moderator, all or none; as proposals, they are decided by the
    conversation's rule."""
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        user = user_of(session, caller)
        added = [add_statement(session, conversation, text, moderator=user) for text in texts]
        for statement in added:
            statement.is_proposal = as_proposals
        return [StatementRecord.of(statement) for statement in added]


@dataclass(frozen=True)
class PublicLog:
    conversation: ConversationRecord
    entries: list[LogEntry]
    wordings: Wordings  # the statements named in it, as the reader sees them


def public_log(runtime: Runtime, public_id: str, reader: str | None = "en") -> PublicLog:
    """The conversation's moderation decisions with their reasons, its texts in ``reader``'s language
    (None: a reader who names none of Concord's reads the conversation in its own)."""
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        entries = moderation_log(session, conversation)
        return PublicLog(ConversationRecord.of(conversation), entries, wordings(session, conversation, reader))


@dataclass(frozen=True)
class Desk:
    """What a moderator of a conversation works from."""

    conversation: ConversationRecord
    xid_secret: str  # the key its embedding site signs external ids with
    user: UserRecord
    counts: Counts
    pending: list[StatementRecord]
    shown: list[StatementRecord]
    rejected: list[StatementRecord]
    invitations: list[InvitationRecord]  # for conversations by invitation
    rule: RuleInForce  # what decides its proposals
    default_rule: RuleInForce  # what would, without a rule of its own: the space's
    translations_waiting: int  # volunteers' translations waiting for a decision
    blocs: list[SuspectedBloc] = field(default_factory=list)  # accounts the latest analysis suspects
    accounts_are_cheap: bool = False  # anyone with the link may take part, as often as they make accounts
    new_codes: list[str] = field(default_factory=list)  # codes just made: shown once, never stored
    sms: SmsDesk | None = None  # its numbers, phones and statements by SMS, when it takes part by SMS


def moderation_desk(runtime: Runtime, caller: Caller, public_id: str) -> Desk:
    with runtime.transaction() as session:
        return _desk(session, caller, public_id)


def issue_codes(runtime: Runtime, caller: Caller, public_id: str, count: int) -> Desk:
    """New one-time invitation codes, and the desk that shows them this once."""
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        issued = invitations.issue_codes(session, user_of(session, caller), conversation, count)
        return replace(_desk(session, caller, public_id), new_codes=[code.code for code in issued])


def _desk(session: Session, caller: Caller, public_id: str) -> Desk:
    conversation = conversation_by_public_id(session, public_id)
    user = require_user(user_of(session, caller))
    require_moderator(session, user, conversation.space)
    return Desk(
        conversation=ConversationRecord.of(conversation),
        xid_secret=conversation.xid_secret,
        user=UserRecord.of(user),
        counts=counts(session, conversation),
        pending=_records(statements_of(session, conversation, StatementStatus.PENDING)),
        shown=_records(statements_of(session, conversation, StatementStatus.ACCEPTED)),
        rejected=_records(statements_of(session, conversation, StatementStatus.REJECTED)),
        invitations=invitations.list_codes(session, user, conversation) if conversation.access == Access.INVITE else [],
        rule=rule_of_conversation(conversation),
        default_rule=rule_of_space(conversation.space),
        translations_waiting=session.scalar(
            select(func.count(Translation.id)).where(
                Translation.conversation_id == conversation.id, Translation.status == TranslationStatus.PENDING
            )
        )
        or 0,
        blocs=_suspected_blocs(session, conversation),
        accounts_are_cheap=accounts_are_cheap(conversation),
        sms=sms_desk(session, conversation),
    )


def _records(statements: list[Statement]) -> list[StatementRecord]:
    return [StatementRecord.of(statement) for statement in statements]


def _suspected_blocs(session: Session, conversation: Conversation) -> list[SuspectedBloc]:
    """The blocs the latest analysis suspects (or that a moderator confirmed as coordinated): read out of
    the stored results alone, not the whole results (a national conversation's are megabytes)."""
    found = session.scalar(
        select(AnalysisRecord.results["blocs"]).where(
            AnalysisRecord.conversation_id == conversation.id, AnalysisRecord.results_version == RESULTS_VERSION
        )
    )
    return [SuspectedBloc(**bloc) for bloc in found or []]
