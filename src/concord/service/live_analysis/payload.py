"""One analysis of a stored conversation, brought up to date: its inputs read from the database in one
snapshot together with the log's size (so they are exactly what the log's first ``log_size`` entries
say), the results computed from them (:func:`concord.report.conversation_analysis.compute`, pure, as
``concord verify`` recomputes them), stored together with what they were computed from. When a closed
conversation's results change, they are logged as an ``outcome`` entry (their digest), so a published
result cannot be quietly altered.
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from concord.engine.analysis import AnalysisParams
from concord.ledger import events
from concord.report.contract import RESULTS_VERSION
from concord.report.conversation_analysis import AnalysisInputs, StatementState, compute, results_digest
from concord.service.clock import now_ms
from concord.service.decisions.rules import effective_rule
from concord.service.live_analysis.events import EventCache
from concord.service.log.appending import append, conversation_log_id
from concord.store.database import read_snapshot
from concord.store.models import AnalysisRecord, BlocDecision, Conversation, Log, LogEntry, Participant, Statement


def read_inputs(session: Session, conversation: Conversation, cache: EventCache) -> AnalysisInputs:
    """The inputs as stored now; call in a :func:`read_snapshot` transaction."""
    log_size = session.scalar(select(Log.size).where(Log.conversation_id == conversation.id)) or 0
    cache.extend(session, conversation.id, log_size)
    participant, statement, vote, time = cache.columns()
    statements = [
        StatementState(number, text, status, is_proposal)
        for number, text, status, is_proposal in session.execute(
            select(Statement.number, Statement.text, Statement.status, Statement.is_proposal)
            .where(Statement.conversation_id == conversation.id)
            .order_by(Statement.number)
        )
    ]
    answers: dict[int, dict[str, Any]] = {}
    if conversation.attributes:  # what the log has published of their answers, no more (service.declared)
        answers = {
            number: given
            for number, given in session.execute(
                select(Participant.number, Participant.published).where(Participant.conversation_id == conversation.id)
            )
            if given
        }
    verdicts: dict[int, str] = {}
    for numbers, verdict in session.execute(
        select(BlocDecision.participants, BlocDecision.verdict)
        .where(BlocDecision.conversation_id == conversation.id)
        .order_by(BlocDecision.id)
    ):
        verdicts |= {int(number): str(verdict) for number in numbers}
    return AnalysisInputs(
        log_size,
        participant,
        statement,
        vote,
        time,
        statements,
        conversation.topic,
        list(conversation.attributes or []),
        answers,
        effective_rule(conversation),
        verdicts,
    )


def analyse_conversation(
    sessions: sessionmaker,
    conversation_id: int,
    cache: EventCache,
    params: AnalysisParams | None = None,
    computed_by: str | None = None,
) -> AnalysisRecord | None:
    """Bring the stored analysis of one conversation up to date; None when it has no votes yet. Reads
    in one snapshot, computes outside any transaction, stores in a short one."""
    started = time.perf_counter()
    with sessions.begin() as session:
        read_snapshot(session)
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            return None
        inputs = read_inputs(session, conversation, cache)
        closed = not conversation.is_open
    computed = compute(inputs, params)
    if computed is None:
        return None
    with sessions.begin() as session:
        record = session.get(AnalysisRecord, conversation_id)
        if record is not None and record.results_version == RESULTS_VERSION and record.log_size > inputs.log_size:
            return record  # a later analysis was stored meanwhile
        record = record or AnalysisRecord(conversation_id=conversation_id)
        record.computed_ms = now_ms()
        record.last_event_id = cache.last_event_id
        record.log_size = inputs.log_size
        record.vote_count = computed.vote_count
        record.seconds = time.perf_counter() - started
        record.results_version = RESULTS_VERSION
        record.results = computed.results
        record.placements = computed.placements.to_bytes()
        record.priorities = computed.priorities
        record.computed_by = computed_by
        record = session.merge(record)
        if closed:
            _log_outcome(session, conversation_id, "analysis", inputs.log_size, results_digest(computed.results))
    return record


def _log_outcome(session: Session, conversation_id: int, of: str, upto: int, result_digest: str) -> None:
    """Log a closed conversation's results, unless they are the latest results it logged."""
    connection = session.connection()
    log_id = conversation_log_id(connection, conversation_id)
    published = session.scalars(
        select(LogEntry.body).where(LogEntry.log_id == log_id, LogEntry.type == "outcome").order_by(LogEntry.seq.desc())
    )
    latest = next((entry for entry in map(json.loads, published) if entry["of"] == of), None)
    if latest is None or latest["digest"] != result_digest:
        append(connection, log_id, [events.outcome(now_ms(), of, upto, result_digest)])
