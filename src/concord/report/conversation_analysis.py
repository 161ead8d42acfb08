"""One analysis of a conversation's log, from its inputs to its results: the engine over the vote
events, the results contract (:mod:`concord.report.results`) with the decisions of the proposals, and
apart from it the next-statement priorities (Pol.is's routing, :mod:`concord.engine.routing`).

Pure: :class:`AnalysisInputs` are what the log's first ``log_size`` entries say, and :func:`compute`
turns them into results with nothing else. The live analysis reads the inputs from the database
(:mod:`concord.service.live_analysis.payload`); ``concord verify`` replays a log into the same inputs
and recomputes the same bytes. A closed conversation's results are published in its log as their
digest (:func:`results_digest`), so a published result cannot be quietly altered.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from concord.engine.analysis import Analysis, AnalysisParams, DeclaredGroups, GroupComparison, analyze, compare_groups
from concord.engine.blocs import Bloc, counted_once
from concord.engine.decisions import Rule, make_rule
from concord.engine.routing import priority
from concord.engine.votes import VoteDataError, build_vote_matrix
from concord.ledger.entries import digest
from concord.report import contract
from concord.report.contract import to_json
from concord.report.decisions import decide_proposals, suspected_blocs
from concord.report.opinion_map import Placements
from concord.report.results import conversation_results, placements
from concord.states import BlocVerdict, StatementStatus

MEASURED = ("timings",)  # how long each step took: true of one run, not of the votes


def findings(results: dict[str, Any]) -> dict[str, Any]:
    """The results without what varies from run to run (:data:`MEASURED`): what must recompute."""
    return {key: value for key, value in results.items() if key not in MEASURED}


def results_digest(results: dict[str, Any]) -> str:
    """What an ``outcome`` entry publishes of an analysis: the digest of its findings."""
    return digest(findings(results))


@dataclass(frozen=True)
class StatementState:
    """A statement as an analysis reads it."""

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
    results: dict[str, Any]  # the results contract, as stored, served and exported
    priorities: dict[str, float]
    vote_count: int
    placements: Placements  # every participant's place and group: stored and exported, not served


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
    real = [number for number, verdict in inputs.blocs.items() if verdict == BlocVerdict.REAL]
    blocs = suspected_blocs(matrix, (inputs.participant, inputs.time), real)
    analysis = analyze(counted_once(matrix, blocs) if blocs else matrix, params, judged=judged)
    declared = _declared(inputs, analysis)
    decided = _decide(rule, analysis, proposals, texts, declared)
    if_real = None
    if blocs and proposals:  # what the suspected blocs would decide if each account were a real person
        in_full = analyze(matrix, replace(params or AnalysisParams(), bridging=False), judged=judged)
        if_real = _decide(rule, in_full, proposals, texts, _declared(inputs, in_full))
    placed = placements(analysis)
    results = conversation_results(
        analysis,
        texts,
        topic=inputs.topic,
        declared=declared,
        decisions=decided,
        blocs=[_published(bloc, inputs.blocs) for bloc in blocs],
        decisions_if_real=if_real,
        placed=placed,
    )
    return Computed(to_json(results), priorities(analysis), matrix.n_votes, placed)


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
