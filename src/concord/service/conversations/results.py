"""Reading the stored analysis of a conversation: as the exact JSON it was stored as (the results
endpoint, polled by every open results page, sends it without parsing it), or as typed results for a
reader's page. Results stored by an older version of Concord are never passed off as current: they
read as missing and the live analysis is asked to compute them again."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Text, cast, distinct, func, select
from sqlalchemy.orm import Session

from concord.engine.groups import MIN_VOTES
from concord.report.contract import RESULTS_VERSION, ConversationResults, read_conversation_results
from concord.report.opinion_map import Placements
from concord.service.accounts.moderators import user_of
from concord.service.caller import Caller
from concord.service.conversations.lifecycle import accounts_are_cheap, conversation_by_public_id, record_is_public
from concord.service.conversations.settings import ConversationRecord
from concord.service.conversations.wordings import Wordings, wordings
from concord.service.log.views import LogState, conversation_log_state
from concord.service.participation.joining import find_participant
from concord.states import StatementStatus
from concord.store.models import AnalysisRecord, Participant, Statement, VoteEvent

if TYPE_CHECKING:
    from concord.service.runtime import Runtime


@dataclass(frozen=True)
class StoredResults:
    computed_ms: int  # when the analysis ran
    vote_count: int  # current votes it was computed from
    last_event_id: int  # vote events up to this id were included
    seconds: float  # how long it took
    log_size: int  # the results are those of the log's first log_size entries (0: made before the log)
    results_json: str  # the ConversationResults payload, as stored


def stored_results(runtime: Runtime, public_id: str) -> StoredResults | None:
    """The latest analysis as stored, or None before the first one."""
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        row = session.execute(
            select(
                AnalysisRecord.computed_ms,
                AnalysisRecord.vote_count,
                AnalysisRecord.last_event_id,
                AnalysisRecord.seconds,
                AnalysisRecord.log_size,
                AnalysisRecord.results_version,
                cast(AnalysisRecord.results, Text),
            ).where(AnalysisRecord.conversation_id == conversation.id)
        ).first()
    if row is None:
        return None
    computed_ms, vote_count, last_event_id, seconds, log_size, version, results_json = row
    if version != RESULTS_VERSION:
        runtime.live.notify(conversation.id)
        return None
    return StoredResults(computed_ms, vote_count, last_event_id, seconds, log_size, results_json)


@dataclass(frozen=True)
class ResultsForReader:
    conversation: ConversationRecord
    wordings: Wordings  # its texts in the reader's language
    results: ConversationResults | None  # None before the first analysis
    computed_ms: int | None
    participant_number: int | None  # the reader's own number
    your_votes: int = 0  # the reader's current votes
    votes_to_be_grouped: int = MIN_VOTES  # how many votes place a participant in a group
    your_latest_vote_pending: bool = False  # the reader voted after this analysis ran
    log: LogState | None = None  # the conversation's log now, with its signed checkpoint
    log_size: int = 0  # the results are of the log's first log_size entries
    accounts_are_cheap: bool = False  # anyone with the link can take part, as often as they make accounts
    record_public: bool = True  # the reader may download its record (export and log) to verify it
    your_place: tuple[float, float, int] | None = None  # the reader's own x, y and group, to mark them on the map


def results_for_reader(runtime: Runtime, caller: Caller, public_id: str, reader: str | None = "en") -> ResultsForReader:
    """The latest results, with the conversation's texts as a reader of ``reader`` sees them (``None``:
    a reader of the conversation's own language)."""
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        shown = ConversationRecord.of(conversation)
        texts = wordings(session, conversation, reader)
        participant = find_participant(session, conversation, caller)
        record = session.get(AnalysisRecord, conversation.id)
        reading = _reader(session, participant, record)
        reading["log"] = conversation_log_state(session, conversation.id)
        reading["log_size"] = record.log_size if record is not None else 0
        reading["accounts_are_cheap"] = accounts_are_cheap(conversation)
        reading["record_public"] = record_is_public(session, user_of(session, caller), conversation)
        shown_statements = session.scalar(
            select(func.count(Statement.id)).where(
                Statement.conversation_id == conversation.id, Statement.status == StatementStatus.ACCEPTED
            )
        )
    needed = min(MIN_VOTES, shown_statements or MIN_VOTES)  # polis-math.md §1.4: min(7, statements)
    if record is None:
        return ResultsForReader(shown, texts, None, None, **reading, votes_to_be_grouped=needed)
    current = record.results_version == RESULTS_VERSION
    results = read_conversation_results(record.results) if current else None
    if results is None:
        runtime.live.notify(shown.id)
        return ResultsForReader(shown, texts, None, None, **reading, votes_to_be_grouped=needed)
    if reading["participant_number"] is not None:
        placed = placements_of(runtime, record)
        reading["your_place"] = placed.find(reading["participant_number"]) if placed is not None else None
    return ResultsForReader(shown, texts, results, record.computed_ms, **reading, votes_to_be_grouped=needed)


_PLACEMENTS: dict[tuple[int, int, int], Placements] = {}  # the latest few analyses' placements, read once
KEPT_PLACEMENTS = 4
_PLACEMENTS_LOCK = threading.Lock()


def placements_of(runtime: Runtime, record: AnalysisRecord) -> Placements | None:
    """Every participant's place in this analysis (None when stored without them), read from the
    database once per analysis and process: at a million participants they take 16 MB."""
    key = (record.conversation_id, record.computed_ms, record.log_size)
    found = _PLACEMENTS.get(key)
    if found is None:
        with runtime.transaction() as session:
            data = session.scalar(
                select(AnalysisRecord.placements).where(
                    AnalysisRecord.conversation_id == record.conversation_id,
                    AnalysisRecord.computed_ms == record.computed_ms,
                )
            )
        if data is None:
            return None
        found = Placements.from_bytes(data)
        with _PLACEMENTS_LOCK:
            while len(_PLACEMENTS) >= KEPT_PLACEMENTS:
                _PLACEMENTS.pop(next(iter(_PLACEMENTS)))
            _PLACEMENTS[key] = found
    return found


def _reader(session: Session, participant: Participant | None, record: AnalysisRecord | None) -> dict:
    """The reader's number, current votes, and whether their latest vote came after the analysis."""
    if participant is None:
        return {"participant_number": None}
    # Statements voted on, from the vote events the log mirrors (not the current-vote table).
    votes = (
        session.scalar(
            select(func.count(distinct(VoteEvent.statement_id))).where(VoteEvent.participant_id == participant.id)
        )
        or 0
    )
    latest = session.scalar(select(func.max(VoteEvent.seq)).where(VoteEvent.participant_id == participant.id))
    pending = latest is not None and (record is None or latest >= record.log_size)
    return {"participant_number": participant.number, "your_votes": votes, "your_latest_vote_pending": pending}


def refresh_stale(runtime: Runtime) -> int:
    """Ask the live analysis to recompute every analysis stored with another results version, or before
    the conversation had a log (after an upgrade): returns how many."""
    with runtime.transaction() as session:
        stale = list(
            session.scalars(
                select(AnalysisRecord.conversation_id).where(
                    (AnalysisRecord.results_version != RESULTS_VERSION) | (AnalysisRecord.log_size == 0)
                )
            )
        )
    for conversation_id in stale:
        runtime.live.notify(conversation_id)
    return len(stale)
