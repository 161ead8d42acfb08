"""What a participant is shown: the next statement to vote on, drawn by Pol.is's priority, and their
page of a conversation (joining is :mod:`concord.service.participation.joining`)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from concord.engine.routing import priority
from concord.service.accounts.moderators import user_of
from concord.service.caller import Caller
from concord.service.conversations.lifecycle import conversation_by_public_id
from concord.service.conversations.settings import ConversationRecord
from concord.service.conversations.statements import StatementRecord
from concord.service.conversations.wordings import Wordings, statement_translations, wordings
from concord.service.participation.joining import ParticipantRecord, find_participant
from concord.service.spaces import moderates
from concord.states import Access, StatementStatus
from concord.store.models import AnalysisRecord, Conversation, ModerationEvent, Participant, Statement, VoteEvent

if TYPE_CHECKING:
    from concord.service.runtime import Runtime

UNSEEN = priority(0.0, 0.0, 0.0, 0.0)  # a statement no grouped participant has voted on yet


@dataclass(frozen=True)
class NextStatement:
    statement: StatementRecord | None
    remaining: int  # shown statements this participant has not voted on, this one included
    voted: int
    translations: dict[str, str] = field(default_factory=dict)  # the statement's accepted ones, by language


def next_statement(
    session: Session, conversation: Conversation, participant: Participant | None, rng: random.Random | None = None
) -> NextStatement:
    """A statement the participant has not voted on, drawn with probability ∝ Pol.is's priority
    (polis-math.md §1.11): new statements get seen, and ones that tell groups apart or may unite them
    come earlier; not a fixed order."""
    rng = rng or random.SystemRandom()
    shown = select(Statement).where(
        Statement.conversation_id == conversation.id, Statement.status == StatementStatus.ACCEPTED
    )
    voted = 0
    if participant is not None:
        # From the vote events (each mirrored by its log entry), not the current-vote table: a row
        # changed there behind the log's back changes nothing a participant is shown.
        mine = select(VoteEvent.statement_id).where(VoteEvent.participant_id == participant.id).distinct()
        voted = session.scalar(select(func.count()).select_from(mine.subquery())) or 0
        shown = shown.where(Statement.id.not_in(mine))
    candidates = list(session.scalars(shown.order_by(Statement.number).limit(999)))
    if not candidates:
        return NextStatement(None, 0, voted)
    remaining = session.scalar(select(func.count()).select_from(shown.subquery())) or 0
    weights = _priorities(session, conversation, candidates)
    chosen = rng.choices(candidates, weights=weights, k=1)[0]
    translations = statement_translations(session, [chosen])[chosen.id]
    return NextStatement(StatementRecord.of(chosen), remaining, voted, translations)


def _priorities(session: Session, conversation: Conversation, candidates: list[Statement]) -> list[float]:
    """Priorities from the latest analysis; statements newer than it count as unseen."""
    known = session.scalar(select(AnalysisRecord.priorities).where(AnalysisRecord.conversation_id == conversation.id))
    return [(known or {}).get(str(statement.number), UNSEEN) for statement in candidates]


# --- use cases ------------------------------------------------------------------------------------


def next_for(runtime: Runtime, caller: Caller, public_id: str) -> NextStatement:
    """The statement this caller should see next (none when they have voted on every one)."""
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        return next_statement(session, conversation, find_participant(session, conversation, caller))


@dataclass(frozen=True)
class VotingCard:
    """What a participant's page of a conversation shows."""

    conversation: ConversationRecord
    participant: ParticipantRecord | None
    next: NextStatement
    needs_join: bool  # a newcomer must join first (invitation code or external id)
    asked_attributes: list[dict]  # declared attributes this participant has not answered
    is_moderator: bool
    last_vote: LastVote | None  # what they voted last, so that a mis-tap can be changed
    mine: list[OwnStatement]  # the statements they wrote, with where each stands
    wordings: Wordings  # the conversation's texts as this reader sees them
    written_in: list[str]  # the languages its statements were written in


@dataclass(frozen=True)
class LastVote:
    statement: StatementRecord
    value: int  # 1, -1 or 0


@dataclass(frozen=True)
class OwnStatement:
    """A participant's own statement, its number (as in the public log) and, if rejected, why."""

    statement: StatementRecord
    reason: str | None


def voting_card(runtime: Runtime, caller: Caller, public_id: str, reader: str | None = "en") -> VotingCard:
    """What a participant's page shows, its texts in the reader's language (``reader``; ``None``: the
    conversation's own) where they can be."""
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        participant = find_participant(session, conversation, caller)
        answered = participant.attributes or {} if participant is not None else {}
        coming = next_statement(session, conversation, participant, random.Random())
        last_vote = _last_vote(session, participant) if participant is not None else None
        mine = _written_by(session, participant) if participant is not None else []
        shown = [s.statement.number for s in mine] + [s.number for s in (coming.statement,) if s is not None]
        shown += [last_vote.statement.number] if last_vote is not None else []
        return VotingCard(
            conversation=ConversationRecord.of(conversation),
            participant=ParticipantRecord.of(participant) if participant is not None else None,
            next=coming,
            needs_join=participant is None and conversation.access != Access.LINK,
            asked_attributes=[a for a in conversation.attributes or [] if a["name"] not in answered],
            is_moderator=moderates(session, user_of(session, caller), conversation.space),
            last_vote=last_vote,
            mine=mine,
            wordings=wordings(session, conversation, reader, shown),  # only the statements this page shows
            written_in=sorted(
                session.scalars(
                    select(Statement.language).where(Statement.conversation_id == conversation.id).distinct()
                )
            ),
        )


def _last_vote(session: Session, participant: Participant) -> LastVote | None:
    found = session.execute(
        select(Statement, VoteEvent.value)
        .join(VoteEvent, VoteEvent.statement_id == Statement.id)
        .where(VoteEvent.participant_id == participant.id)
        .order_by(VoteEvent.id.desc())
        .limit(1)
    ).first()
    if found is None or found[0].status != StatementStatus.ACCEPTED:
        return None
    return LastVote(StatementRecord.of(found[0]), found[1])


def _written_by(session: Session, participant: Participant) -> list[OwnStatement]:
    statements = session.scalars(
        select(Statement).where(Statement.author_id == participant.id).order_by(Statement.number)
    ).all()
    reasons = dict(
        session.execute(
            select(ModerationEvent.statement_id, ModerationEvent.reason)
            .where(ModerationEvent.statement_id.in_([s.id for s in statements]))
            .order_by(ModerationEvent.id)
        ).all()
    )  # the latest decision's reason wins
    return [
        OwnStatement(StatementRecord.of(s), reasons.get(s.id) if s.status == StatementStatus.REJECTED else None)
        for s in statements
    ]
