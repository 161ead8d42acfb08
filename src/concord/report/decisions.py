"""Decisions as published: the outcome of each proposal under a rule, with its reason and its sentence,
in the results contract (``concord decide --json``, the live results of a conversation); and the
outcome of a proposal across places.

Who judges a proposal is never made from that proposal's own votes: the opinion groups come from an
analysis in which the proposals are ``judged`` (left out of the map and the groups,
:class:`concord.engine.analysis.Deliberation`). A conversation's proposals are judged by the groups of its
other statements (:func:`decide_proposals`); an export decided statement by statement has no "other"
statements to spare, so its statements are cross-fitted: split into ``FOLDS`` folds, each judged by the
groups found from the other folds (:func:`decide_every_statement`). Where too little deliberation is
left to find opinion groups, the proposals' votes are ballots and are counted exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from concord.engine.analysis import Analysis, AnalysisParams, Deliberation, analyze
from concord.engine.blocs import Bloc, find_blocs, first_arrivals
from concord.engine.decisions import Outcome, ProposalVotes, RollupOutcome, Rule
from concord.engine.decisions.support import MIN_VOTERS
from concord.engine.decisions.tallied import proposal_votes
from concord.engine.groups import MIN_CLUSTERED, MIN_VOTES
from concord.engine.votes import VoteMatrix
from concord.report import contract
from concord.report.explain import english, proposal_sentence, rollup_sentence
from concord.report.opinion_map import group_letter

FOLDS = 5  # cross-fitting an export: each statement judged by groups found without a fifth of them

Partitions = Mapping[str, tuple[np.ndarray, Sequence[str]]]


def statement_votes(
    analysis: Analysis, columns: Sequence[int], declared: Partitions | None = None
) -> dict[int, ProposalVotes]:
    """The votes on the statements in these columns of the analysed matrix, by statement id: of everyone,
    of each opinion group the analysis found (named by letter), and of each declared attribute's groups.
    Counted as ballots when the analysis judged them with too little deliberation to find any group."""
    opinion = judging_groups(analysis)
    counted = analysis.deliberation is not None and not analysis.deliberation.grouped
    by_column = proposal_votes(analysis.matrix, columns, opinion, declared, counted=counted)
    ids = analysis.matrix.statement_ids
    return {int(ids[column]): votes for column, votes in by_column.items()}


def judging_groups(analysis: Analysis) -> tuple[np.ndarray, list[str]]:
    """The opinion groups that judge proposals (a label per participant, −1 for none; their letters):
    those of at least ``MIN_VOTERS`` people. A smaller group could never settle its own verdict, so it
    would hold every proposal undecided for good, and three or four accounts voting alike (a bloc too
    small to be told from chance) would be such a group; its members still count among everyone."""
    sizes = analysis.groups.sizes()
    kept = np.flatnonzero(sizes >= MIN_VOTERS)
    relabel = np.full(analysis.groups.k + 1, -1, dtype=np.int64)  # the last slot maps −1 to −1
    relabel[kept] = np.arange(len(kept))
    return relabel[analysis.groups.labels], [group_letter(int(g)) for g in kept]


def suspected_blocs(
    matrix: VoteMatrix, events: tuple[np.ndarray, np.ndarray] | None, real: Sequence[int] = ()
) -> list[Bloc]:
    """Accounts that vote (near-)identically and arrived together (their first vote event, from
    ``events``: the participant and time of each; None when the times are unknown, and then only the
    votes link), except those a moderator said are real people (``real``): each bloc is counted once
    until a moderator decides, in the live results and in ``concord decide`` alike."""
    arrival = None if events is None else first_arrivals(matrix, *events)
    return find_blocs(matrix, arrival, exempt=np.isin(matrix.participant_ids, list(real)))


def decide_proposals(
    rule: Rule, analysis: Analysis, proposals: Sequence[int], texts: Mapping[int, str], declared: Partitions
) -> contract.Decisions:
    """The proposals (statement ids) decided by ``rule`` from an analysis that judged them."""
    columns = np.flatnonzero(np.isin(analysis.matrix.statement_ids, list(proposals))).tolist()
    decided = decisions(rule, statement_votes(analysis, columns, declared), texts, judged_by(analysis.deliberation))
    return replace(decided, groups=[group_letter(g) for g in range(analysis.groups.k)])


def decide_every_statement(
    rule: Rule,
    matrix: VoteMatrix,
    texts: Mapping[int, str],
    declared: Partitions,
    params: AnalysisParams | None = None,
) -> contract.Decisions:
    """Every statement that is not moderated out decided as a proposal, each judged by the opinion
    groups found without it (:func:`every_statement_votes`)."""
    return decisions(rule, every_statement_votes(matrix, declared, params), texts)


def every_statement_votes(
    matrix: VoteMatrix, declared: Partitions, params: AnalysisParams | None = None
) -> dict[int, ProposalVotes]:
    """The votes on every statement that is not moderated out, cross-fitted: the statements split into
    ``FOLDS`` folds by their rank, each fold judged by the opinion groups found from the others.
    Deterministic: the folds depend on the statement ids only. Computed once, decided by any rule."""
    params = params or AnalysisParams(bridging=False)
    decidable = np.flatnonzero(~matrix.moderated_out)
    votes: dict[int, ProposalVotes] = {}
    for fold in range(min(FOLDS, len(decidable))):
        judged = np.zeros(matrix.shape[1], dtype=bool)
        judged[decidable[fold::FOLDS]] = True
        analysis = analyze(matrix, params, judged=judged)
        votes |= statement_votes(analysis, decidable[fold::FOLDS].tolist(), declared)
    return votes


def judged_by(deliberation: Deliberation | None) -> contract.JudgedBy | None:
    if deliberation is None:
        return None
    return contract.JudgedBy(deliberation.statements, deliberation.voters, deliberation.grouped, MIN_VOTES,
                             MIN_CLUSTERED)  # fmt: skip


def decisions(
    rule: Rule,
    votes: Mapping[int, ProposalVotes],
    texts: Mapping[int, str],
    judged: contract.JudgedBy | None = None,
) -> contract.Decisions:
    """Each proposal (by statement id) decided by ``rule``, in statement order."""
    return contract.Decisions(
        rule=rule.name,
        parameters=dict(rule.values),
        proposals=[
            proposal_decision(statement, texts.get(statement, ""), votes[statement], rule.decide(votes[statement]))
            for statement in sorted(votes)
        ],
        judged_by=judged,
    )


def proposal_decision(statement: int, text: str, votes: ProposalVotes, outcome: Outcome) -> contract.ProposalDecision:
    decision = contract.ProposalDecision(
        statement=statement,
        text=text,
        outcome=outcome.result,
        agree=votes.everyone.agree,
        disagree=votes.everyone.disagree,
        explanation="",
        majority=str(outcome.majority),
        decisive=list(outcome.decisive),
        checks=[
            contract.DecisionCheck(
                body=c.body,
                side=c.side,
                share=None if c.share is None else round(c.share, 6),
                low=round(c.low, 6),
                high=round(c.high, 6),
                threshold=c.threshold,
                verdict=c.verdict,
                role=c.role,
                voters=c.voters,
                at_least=c.at_least,
                counted=c.counted,
                settle=c.settle,
            )
            for c in outcome.checks
        ],
        reason=outcome.reason,
    )
    opinion = [g.name for g in votes.opinion_groups]
    return replace(
        decision, explanation=proposal_sentence(decision, outcome.rule, outcome.parameters, english(opinion))
    )


def rollup_json(outcome: RollupOutcome) -> dict[str, Any]:
    """A roll-up across places as plain data: the outcome and its sentence, every place with its own,
    and the rule's figures."""
    found: dict[str, Any] = {
        "rule": outcome.rule,
        "parameters": outcome.parameters,
        "outcome": outcome.result,
        "popular_majority": outcome.popular,
        "passing": outcome.passing,
        "failing": outcome.failing,
        "undecided": outcome.undecided,
        "silent": outcome.silent,
        "places": [
            {
                "name": p.name,
                "outcome": p.result,
                "agree": p.agree,
                "disagree": p.disagree,
                "weight": p.weight,
                "population": p.population,
                "participants": p.participants,
            }
            for p in outcome.places
        ],
        "detail": outcome.detail,
    }
    return {**found, "explanation": rollup_sentence(found, english())}


def tally_counts(proposals: Sequence[contract.ProposalDecision]) -> dict[str, int]:
    return {result: sum(p.outcome == result for p in proposals) for result in ("pass", "fail", "undecided")}
