"""One analysis of a stored conversation: the engine over its vote events, the results contract
(:mod:`concord.report.results`) for readers, and apart from it the next-statement priorities (Pol.is's
routing, :mod:`concord.engine.routing`), stored together with what they were computed from."""

from __future__ import annotations

import time

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from concord.engine.analysis import Analysis, AnalysisParams, DeclaredGroups, GroupComparison, analyze, compare_groups
from concord.engine.decisions import make_rule
from concord.engine.routing import priority
from concord.engine.votes import VoteDataError, build_vote_matrix
from concord.report.contract import RESULTS_VERSION, to_json
from concord.report.results import conversation_results
from concord.service.clock import now_ms
from concord.service.decisions import decide_proposals
from concord.service.live_analysis.events import EventCache
from concord.service.rules import effective_rule
from concord.states import StatementStatus
from concord.store.models import AnalysisRecord, Conversation, Participant, Statement


def analyse_conversation(
    session: Session, conversation: Conversation, cache: EventCache, params: AnalysisParams | None = None
) -> AnalysisRecord | None:
    """Bring the stored analysis of one conversation up to date; None when it has no votes yet."""
    started = time.perf_counter()
    cache.extend(session, conversation.id)
    participant, statement, vote = cache.columns()
    if len(vote) == 0:
        return None
    statements = list(session.scalars(select(Statement).where(Statement.conversation_id == conversation.id)))
    rejected = np.array([s.number for s in statements if s.status == StatementStatus.REJECTED], dtype=np.int64)
    try:
        matrix = build_vote_matrix(participant, statement, vote, moderated_out_ids=rejected)
    except VoteDataError:
        return None
    analysis = analyze(matrix, params)
    texts = {s.number: s.text for s in statements}
    declared = _declared(session, conversation, analysis)
    rule = effective_rule(conversation)
    decided = decide_proposals(make_rule(rule["name"], rule["parameters"]), analysis, statements, declared)
    results = conversation_results(analysis, texts, topic=conversation.topic, declared=declared, decisions=decided)
    record = session.get(AnalysisRecord, conversation.id) or AnalysisRecord(conversation_id=conversation.id)
    record.computed_ms = now_ms()
    record.last_event_id = cache.last_event_id
    record.vote_count = matrix.n_votes
    record.seconds = time.perf_counter() - started
    record.results_version = RESULTS_VERSION
    record.results = to_json(results)
    record.priorities = priorities(analysis)
    session.merge(record)
    return record


def _declared(session: Session, conversation: Conversation, analysis: Analysis) -> dict[str, GroupComparison]:
    """The participants' answers to each declared attribute (e.g. region) as a partition to compare."""
    if not conversation.attributes:
        return {}
    answers = session.execute(
        select(Participant.number, Participant.attributes).where(Participant.conversation_id == conversation.id)
    ).all()
    declared = {}
    for attribute in conversation.attributes:
        name = attribute["name"]
        mapping = {number: given[name] for number, given in answers if given and given.get(name)}
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
