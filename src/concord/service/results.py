"""Reading the stored analysis of a conversation: as the exact JSON it was stored as (the results
endpoint, polled by every open results page, sends it without parsing it), or as typed results for a
reader's page. Results stored by an older version of Concord are never passed off as current: they
read as missing and the live analysis is asked to compute them again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Text, cast, select

from concord.report.contract import RESULTS_VERSION, ConversationResults, read_conversation_results
from concord.service.caller import Caller
from concord.service.conversations import conversation_by_public_id
from concord.service.participation import find_participant
from concord.store.models import AnalysisRecord, Conversation

if TYPE_CHECKING:
    from concord.service.runtime import Runtime


@dataclass(frozen=True)
class StoredResults:
    computed_ms: int  # when the analysis ran
    vote_count: int  # current votes it was computed from
    last_event_id: int  # vote events up to this id were included
    seconds: float  # how long it took
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
                AnalysisRecord.results_version,
                cast(AnalysisRecord.results, Text),
            ).where(AnalysisRecord.conversation_id == conversation.id)
        ).first()
    if row is None:
        return None
    computed_ms, vote_count, last_event_id, seconds, version, results_json = row
    if version != RESULTS_VERSION:
        runtime.live.notify(conversation.id)
        return None
    return StoredResults(computed_ms, vote_count, last_event_id, seconds, results_json)


@dataclass(frozen=True)
class ResultsForReader:
    conversation: Conversation
    results: ConversationResults | None  # None before the first analysis
    computed_ms: int | None
    participant_number: int | None  # the reader's own number, to mark them on the map


def results_for_reader(runtime: Runtime, caller: Caller, public_id: str) -> ResultsForReader:
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        participant = find_participant(session, conversation, caller)
        record = session.get(AnalysisRecord, conversation.id)
    number = participant.number if participant is not None else None
    if record is None:
        return ResultsForReader(conversation, None, None, number)
    current = record.results_version == RESULTS_VERSION
    results = read_conversation_results(record.results) if current else None
    if results is None:
        runtime.live.notify(conversation.id)
        return ResultsForReader(conversation, None, None, number)
    return ResultsForReader(conversation, results, record.computed_ms, number)


def refresh_stale(runtime: Runtime) -> int:
    """Ask the live analysis to recompute every analysis stored with another results version (after
    an upgrade); returns how many."""
    with runtime.transaction() as session:
        stale = list(
            session.scalars(
                select(AnalysisRecord.conversation_id).where(AnalysisRecord.results_version != RESULTS_VERSION)
            )
        )
    for conversation_id in stale:
        runtime.live.notify(conversation_id)
    return len(stale)
