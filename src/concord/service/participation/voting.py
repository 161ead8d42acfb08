"""Storing votes: every vote is an event, and the participant's current vote on the statement.

Votes are the hot path of a live conversation (thousands a second in a national dialogue), so this
module runs its statements as text made once, on the driver's cursor (:mod:`concord.service.bulk`:
the voters and statements looked up in one round trip, the rows written in bulk and together), and
stores a *batch* of votes in one transaction: the server's vote intake
(:mod:`concord.service.participation.vote_intake`) gathers the votes that arrive while the previous
batch commits (group commit), so one disk sync serves many votes. A vote refused for its own reason
(closed conversation, unknown or removed statement, flood) is answered with its error and does not
disturb the others in the batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from sqlalchemy import Connection, bindparam, select, tuple_
from sqlalchemy.orm import Session

from concord.ledger import events as ledger_events
from concord.service.accounts.tokens import participant_key
from concord.service.bulk import any_of, insert_rows, send, together
from concord.service.caller import Caller
from concord.service.clock import now_ms
from concord.service.conversations.lifecycle import conversation_by_public_id
from concord.service.errors import Conflict, Invalid, NotFound, ServiceError
from concord.service.log.appending import append_later, conversation_log_id, hold_log
from concord.service.participation.joining import acting_participant
from concord.service.ratelimit import VOTES, RateLimiter
from concord.states import StatementStatus, VoteChoice
from concord.store.models import MAX_ID, Conversation, Participant, Statement

if TYPE_CHECKING:
    from concord.service.runtime import Runtime

CHOICES = frozenset(VoteChoice)


@dataclass(frozen=True)
class Ballot:
    """One vote as it arrives: which conversation (public id), whose token, which statement, what."""

    conversation: str
    token: str | None
    statement: int
    vote: str


@dataclass(frozen=True)
class Voter:
    conversation_id: int
    conversation_open: bool
    participant_id: int
    participant_number: int
    log_id: int  # the conversation's log


@dataclass(frozen=True)
class Stored:
    """A vote stored, and its receipt: its entry in the conversation's log."""

    conversation_id: int
    value: int
    seq: int
    leaf: bytes


class UnknownVoter:
    """The token names no participant of this conversation (or there is no such conversation): the
    caller takes the path that may join them first."""


UNKNOWN_VOTER = UnknownVoter()
Answer = Stored | ServiceError | UnknownVoter

# The two writes of every vote, on the driver's cursor (concord.service.bulk): its event, and the
# participant's current vote on the statement (the last one wins).
_EVENT_COLUMNS = ("conversation_id", "participant_id", "statement_id", "value", "created_ms", "seq")
_VOTE_COLUMNS = ("participant_id", "statement_id", "conversation_id", "value", "updated_ms")
_VOTE_UPSERT = (
    "ON CONFLICT (participant_id, statement_id) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms"
)
_STATEMENTS_OF = select(Statement.conversation_id, Statement.number, Statement.id, Statement.status).where(
    tuple_(Statement.conversation_id, Statement.number).in_(bindparam("keys", expanding=True))
)
# A batch's lookups, on the driver's cursor (the fields: which conversations, tokens, numbers, as
# bulk.any_of writes them). Whether the conversation takes votes is open_at's test
# (concord.store.models): open, and not past its closing time.
_VOTERS = (
    "SELECT c.public_id, p.token_hash, c.id, c.is_open, c.closes_ms, p.id, p.number, l.id"
    " FROM conversations c JOIN participants p ON p.conversation_id = c.id JOIN logs l ON l.conversation_id = c.id"
    " WHERE {conversations} AND {tokens}"
)
_STATEMENTS = (
    "SELECT s.conversation_id, s.number, s.id, s.status"
    " FROM statements s JOIN conversations c ON c.id = s.conversation_id"
    " WHERE {conversations} AND {numbers}"
)


def record_vote(
    session: Session,
    conversation: Conversation,
    participant: Participant,
    statement_number: int,
    vote: str,
    limiter: RateLimiter | None = None,
) -> Stored:
    """One vote by a participant already loaded (the HTML form, imports, tests). It joins the caller's
    transaction, so it is never stored half-way."""
    connection = session.connection()
    log_id = conversation_log_id(connection, conversation.id)
    voter = Voter(conversation.id, conversation.is_open, participant.id, participant.number, log_id)
    [answer] = _store(connection, [(voter, statement_number, vote)], limiter)
    if isinstance(answer, ServiceError):
        raise answer
    assert isinstance(answer, Stored)  # _store answers every vote it is given
    return answer


def store_ballots(session: Session, ballots: Sequence[Ballot], limiter: RateLimiter | None = None) -> list[Answer]:
    """Store many votes in the caller's transaction with a few statements in all (the voters and the
    statements looked up together, the rate limits, the log, the writes together); one answer per
    ballot, in order: :class:`Stored`, the :class:`ServiceError` that refused it, or ``UNKNOWN_VOTER``."""
    connection = session.connection()
    hashes = [participant_key(b.conversation, b.token) if b.token else "" for b in ballots]
    conversations = sorted({b.conversation for b in ballots})
    tokens = sorted(set(hashes))
    numbers = sorted({b.statement for b in ballots if 0 <= b.statement <= MAX_ID}) or [-1]  # -1: none such
    now = now_ms()
    in_conversations, conversation_values = any_of(connection, "c.public_id", conversations, "varchar")
    in_tokens, token_values = any_of(connection, "p.token_hash", tokens, "varchar")
    in_numbers, number_values = any_of(connection, "s.number", numbers, "integer")
    with together(connection):  # both lookups in one round trip (on the driver's cursor: every batch)
        voters_found = send(
            connection,
            _VOTERS.format(conversations=in_conversations, tokens=in_tokens),
            [*conversation_values, *token_values],
        )
        statements_found = send(
            connection,
            _STATEMENTS.format(conversations=in_conversations, numbers=in_numbers),
            [*conversation_values, *number_values],
        )
        found, listed = voters_found.rows(), statements_found.rows()
    voters = {
        (public_id, hashed): Voter(
            conversation_id, bool(is_open) and (closes_ms is None or closes_ms > now), participant_id, number, log_id
        )
        for public_id, hashed, conversation_id, is_open, closes_ms, participant_id, number, log_id in found
    }
    # (every statement of those numbers in those conversations: _store picks each voter's own)
    statements = {
        (conversation_id, number): (statement_id, status) for conversation_id, number, statement_id, status in listed
    }
    known, positions = [], []
    for position, (ballot, hashed) in enumerate(zip(ballots, hashes)):
        voter = voters.get((ballot.conversation, hashed))
        if voter is not None:
            known.append((voter, ballot.statement, ballot.vote))
            positions.append(position)
    answers: list[Answer] = [UNKNOWN_VOTER] * len(ballots)
    for position, answer in zip(positions, _store(connection, known, limiter, statements)):
        answers[position] = answer
    return answers


def _store(
    connection: Connection,
    votes: list[tuple[Voter, int, str]],
    limiter: RateLimiter | None,
    statements: dict[tuple[int, int], tuple[int, str]] | None = None,
) -> list[Answer]:
    """Store votes whose voters are known; ``statements``: (conversation id, number) → (id, status) of
    the statements voted on, when the caller has looked them up already."""
    if statements is None:
        keys = sorted({(voter.conversation_id, number) for voter, number, _ in votes if 0 <= number <= MAX_ID})
        statements = (
            {
                (conversation_id, number): (statement_id, status)
                for conversation_id, number, statement_id, status in connection.execute(_STATEMENTS_OF, {"keys": keys})
            }
            if keys
            else {}
        )
    answers: list[Answer | None] = [_well_formed(voter, vote) for voter, _, vote in votes]
    writes: list[Callable[[], None]] = []  # made at the end, together: one round trip on PostgreSQL
    running = [position for position, answer in enumerate(answers) if answer is None]
    # One token per vote still in the running, and the logs its votes go to, held in one round trip:
    # the buckets locked first, then the logs in id order, as every transaction does (no deadlock).
    with together(connection):
        held = limiter.hold(connection, VOTES, [votes[p][0].participant_id for p in running]) if limiter else None
        logs = [hold_log(connection, log_id) for log_id in sorted({votes[p][0].log_id for p in running})]
        if held is not None:
            refusals, write_buckets = held.take()
            writes.append(write_buckets)
            for position, refused in zip(running, refusals):
                answers[position] = refused
    accepted: dict[int, list[tuple[int, Voter, int, int, int]]] = {}  # log → [(position, voter, id, number, value)]
    for position, (voter, number, vote) in enumerate(votes):
        if answers[position] is not None:
            continue
        try:
            statement_id = _votable(statements.get((voter.conversation_id, number)), number)
        except ServiceError as refused:
            answers[position] = refused
            continue
        accepted.setdefault(voter.log_id, []).append((position, voter, statement_id, number, VoteChoice(vote).score))
    events: list[tuple[int, int, int, int, int, int]] = []
    current: dict[tuple[int, int], tuple[int, int, int, int, int]] = {}
    now = now_ms()
    for log in logs:
        batch = accepted.get(log.log_id, [])
        entries = [
            ledger_events.vote(now, voter.participant_number, number, value) for _, voter, _, number, value in batch
        ]
        appended, write_entries = append_later(connection, log, entries)
        writes.append(write_entries)
        for (position, voter, statement_id, _, value), where in zip(batch, appended):
            events.append((voter.conversation_id, voter.participant_id, statement_id, value, now, where.seq))
            # the last one wins
            current[(voter.participant_id, statement_id)] = (
                voter.participant_id,
                statement_id,
                voter.conversation_id,
                value,
                now,
            )
            answers[position] = Stored(voter.conversation_id, value, where.seq, where.leaf)
    with together(connection):  # the buckets, the log entries and the votes: one round trip
        for write in writes:
            write()
        insert_rows(connection, "vote_events", _EVENT_COLUMNS, events)
        insert_rows(connection, "votes", _VOTE_COLUMNS, list(current.values()), on_conflict=_VOTE_UPSERT)
    return cast(list[Answer], answers)


def _well_formed(voter: Voter, vote: VoteChoice | str) -> ServiceError | None:
    """Why this vote cannot be taken whatever it is on, if it cannot (checked before its rate limit)."""
    if vote not in CHOICES:
        return Invalid("vote must be 'agree', 'disagree' or 'pass'")
    if not voter.conversation_open:
        return Conflict("this conversation is closed: votes are no longer taken", "conversation_closed")
    return None


def _votable(statement: tuple[int, str] | None, number: int) -> int:
    """The statement's id when a vote on it may be stored; otherwise the reason it may not."""
    if statement is None:
        raise NotFound("no statement %(number)s in this conversation", number=number)
    statement_id, status = statement
    if status == StatementStatus.REJECTED:
        raise Conflict("this statement was removed by a moderator", "statement_unavailable")
    if status != StatementStatus.ACCEPTED:
        raise Conflict("this statement awaits moderation", "statement_unavailable")
    return statement_id


# --- use case -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    """Where a vote went in its conversation's log: enough to ask for, and check, the proof that it is
    included in any later checkpoint (``concord verify --receipt``)."""

    conversation: str  # public id
    entry: int
    leaf: str  # hex SHA-256 leaf hash of the entry


@dataclass(frozen=True)
class Cast:
    value: int  # what was stored: 1, -1 or 0
    token: str | None  # the newcomer's participant token, set when this vote made them a participant
    receipt: Receipt


async def cast_vote(runtime: Runtime, caller: Caller, public_id: str, statement: int, vote: str) -> Cast:
    """Agree, disagree or pass; voting again changes the vote (every vote event is kept).

    A known participant's vote goes to the vote intake, which stores it with the others arriving at the
    same moment in one transaction; a first vote, which may have to join, takes the ordinary path in a
    worker thread."""
    ballot = Ballot(public_id, caller.participant_token, statement, vote)
    answer_in_loop = getattr(runtime.votes, "answer", None)  # the intake's: answers handed over per batch
    if answer_in_loop is not None:
        answer = await answer_in_loop(ballot)
    else:
        answer = await asyncio.wrap_future(runtime.votes.submit(ballot))
    if isinstance(answer, UnknownVoter):
        return await asyncio.to_thread(_join_and_vote, runtime, caller, ballot)
    if isinstance(answer, ServiceError):
        raise answer
    return Cast(answer.value, None, Receipt(public_id, answer.seq, answer.leaf.hex()))


def _join_and_vote(runtime: Runtime, caller: Caller, ballot: Ballot) -> Cast:
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, ballot.conversation)
        joined = acting_participant(session, conversation, caller, runtime.limiter)
        stored = record_vote(session, conversation, joined.participant, ballot.statement, ballot.vote, runtime.limiter)
    runtime.live.notify(conversation.id)
    receipt = Receipt(ballot.conversation, stored.seq, stored.leaf.hex())
    return Cast(stored.value, joined.token if joined.token != caller.participant_token else None, receipt)
