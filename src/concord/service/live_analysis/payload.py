"""One analysis of a stored conversation: the engine over its vote events, the results contract
(:mod:`concord.report.results`) for readers, and apart from it the next-statement priorities (Pol.is's
routing, :mod:`concord.engine.routing`), stored together with what they were computed from.

An analysis is of a prefix of the conversation's log: its inputs (:class:`AnalysisInputs`) are read in
one snapshot together with the log's size, so they are exactly what the log's first ``log_size`` entries
say, and :func:`compute` turns them into results with nothing else. ``concord verify`` replays a log
into the same inputs and recomputes the same bytes. When a closed conversation's results change, they
are logged as an ``outcome`` entry (their digest), so a published result cannot be quietly altered.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from concord.engine.analysis import Analysis, AnalysisParams, DeclaredGroups, GroupComparison, analyze, compare_groups
from concord.engine.blocs import Bloc, counted_once, find_blocs, first_arrivals
from concord.engine.decisions import Rule, make_rule
from concord.engine.routing import priority
from concord.engine.votes import VoteDataError, VoteMatrix, build_vote_matrix
from concord.ledger import events
from concord.ledger.entries import digest
from concord.report import contract
from concord.report.contract import RESULTS_VERSION, to_json
from concord.report.decisions import decide_proposals
from concord.report.results import conversation_results
from concord.service.clock import now_ms
from concord.service.decisions.rules import effective_rule
from concord.service.live_analysis.events import EventCache
from concord.service.log.appending import append, conversation_log_id
from concord.states import BlocVerdict, StatementStatus
from concord.store.database import read_snapshot
from concord.store.models import AnalysisRecord, BlocDecision, Conversation, Log, LogEntry, Participant, Statement

MEASURED = ("timings",)  # how long each step took: true of one run, not of the votes


def findings(results: dict[str, Any]) -> dict[str, Any]:
    """The results without what varies from run to run (:data:`MEASURED`): what must recompute."""
    return {key: value for key, value in results.items() if key not in MEASURED}


def results_digest(results: dict[str, Any]) -> str:
    """What an ``outcome`` entry publishes of an analysis: the digest of its findings."""
    return digest(findings(results))


@dataclass(frozen=True)
class StatementState:
    number: int
    text: str
    status: StatementStatus
    is_proposal: bool


@dataclass(frozen=True)
class AnalysisInputs:
    """Everything an analysis reads, as of the log's first ``log_size`` entries."""

    log_size: int
    participant: np.ndarray  # vote events in log order: participant number, statement number, vote, time
    statement: np.ndarray
    vote: np.ndarray
    time: np.ndarray
    statements: list[StatementState]
    topic: str
    questions: list[dict[str, Any]]  # the declared attributes asked ({"name", "options"})
    # participant number → their answers as published in the log: only answers enough others share
    answers: dict[int, dict[str, Any]]
    rule: dict[str, Any]  # the decision rule in force: {"name", "parameters"}
    blocs: dict[int, str] = field(default_factory=dict)  # participant number → a moderator's bloc verdict


@dataclass(frozen=True)
class Computed:
    results: dict[str, Any]  # the results contract, as stored and exported
    priorities: dict[str, float]
    vote_count: int


def compute(inputs: AnalysisInputs, params: AnalysisParams | None = None) -> Computed | None:
    """The results of these inputs; None while there are no votes to analyse."""
    if len(inputs.vote) == 0:
        return None
    rejected = np.array([s.number for s in inputs.statements if s.status == StatementStatus.REJECTED], dtype=np.int64)
    try:
        matrix = build_vote_matrix(inputs.participant, inputs.statement, inputs.vote, moderated_out_ids=rejected)
    except VoteDataError:
        return None
    proposals = [s.number for s in inputs.statements if s.is_proposal and s.status == StatementStatus.ACCEPTED]
    judged = np.isin(matrix.statement_ids, proposals) if proposals else None
    rule = make_rule(inputs.rule["name"], inputs.rule["parameters"])
    texts = {s.number: s.text for s in inputs.statements}
    blocs = suspected_blocs(matrix, inputs)
    analysis = analyze(counted_once(matrix, blocs) if blocs else matrix, params, judged=judged)
    declared = _declared(inputs, analysis)
    decided = _decide(rule, analysis, proposals, texts, declared)
    if_real = None
    if blocs and proposals:  # what the suspected blocs would decide if each account were a real person
        in_full = analyze(matrix, replace(params or AnalysisParams(), bridging=False), judged=judged)
        if_real = _decide(rule, in_full, proposals, texts, _declared(inputs, in_full))
    results = conversation_results(
        analysis,
        texts,
        topic=inputs.topic,
        declared=declared,
        decisions=decided,
        blocs=[_published(bloc, inputs.blocs) for bloc in blocs],
        decisions_if_real=if_real,
    )
    return Computed(to_json(results), priorities(analysis), matrix.n_votes)


def suspected_blocs(matrix: VoteMatrix, inputs: AnalysisInputs) -> list[Bloc]:
    """Accounts that vote (near-)identically and arrived together (their first vote), except those a
    moderator said are real people: each bloc is counted once until a moderator decides."""
    arrival = first_arrivals(matrix, inputs.participant, inputs.time)
    real = [number for number, verdict in inputs.blocs.items() if verdict == BlocVerdict.REAL]
    return find_blocs(matrix, arrival, exempt=np.isin(matrix.participant_ids, real))


def _published(bloc: Bloc, verdicts: dict[int, str]) -> contract.SuspectedBloc:
    confirmed = all(verdicts.get(number) == BlocVerdict.COORDINATED for number in bloc.participants)
    return contract.SuspectedBloc(
        participants=[int(number) for number in bloc.participants],
        agreement=round(float(bloc.agreement), 6),
        statements=int(bloc.statements),
        arrival_span_ms=bloc.arrival_span_ms,
        verdict=str(BlocVerdict.COORDINATED) if confirmed else None,
    )


def _decide(
    rule: Rule, analysis: Analysis, proposals: list[int], texts: dict[int, str], declared: dict[str, GroupComparison]
) -> contract.Decisions:
    partitions = {name: (found.labels, found.names) for name, found in declared.items()}
    return decide_proposals(rule, analysis, proposals, texts, partitions)


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


def _declared(inputs: AnalysisInputs, analysis: Analysis) -> dict[str, GroupComparison]:
    """The participants' answers to each declared attribute (e.g. region) as a partition to compare."""
    declared = {}
    for attribute in inputs.questions:
        name = attribute["name"]
        mapping = {number: given[name] for number, given in inputs.answers.items() if given.get(name)}
        if mapping:
            groups = DeclaredGroups.from_mapping(analysis.matrix, mapping)
            declared[name] = compare_groups(analysis.matrix, groups.labels, groups.names, analysis.eligible)
    return declared


def priorities(analysis: Analysis) -> dict[str, float]:
    """Per statement number, the priority of showing it next (polis-math.md §1.11), from the votes of
    grouped participants and the statement's extremity on the map."""
    tallies = analysis.opinion.tallies.total()
    found = priority(
        tallies.agree[0].astype(float),
        tallies.disagree[0].astype(float),
        tallies.seen[0].astype(float),
        np.asarray(analysis.projection.extremity, dtype=float),
    )
    return {str(int(number)): round(float(p), 6) for number, p in zip(analysis.matrix.statement_ids, found)}
