"""Decisions as published: the outcome of each proposal under a rule, with its explanation, in the
results contract (``concord decide --json``, the live results of a conversation); and the outcome of a
proposal across places."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from concord.engine.analysis import Analysis
from concord.engine.decisions import Outcome, ProposalVotes, RollupOutcome, Rule
from concord.engine.decisions.tallied import proposal_votes
from concord.report import contract
from concord.report.opinion_map import group_letter


def statement_votes(
    analysis: Analysis,
    columns: Sequence[int],
    declared: Mapping[str, tuple[np.ndarray, Sequence[str]]] | None = None,
) -> dict[int, ProposalVotes]:
    """The votes on the statements in these columns of the analysed matrix, by statement id: of everyone,
    of each opinion group the analysis found (named by letter), and of each declared attribute's groups."""
    opinion = (analysis.groups.labels, [group_letter(g) for g in range(analysis.groups.k)])
    by_column = proposal_votes(analysis.matrix, columns, opinion, declared)
    ids = analysis.matrix.statement_ids
    return {int(ids[column]): votes for column, votes in by_column.items()}


def decisions(rule: Rule, votes: Mapping[int, ProposalVotes], texts: Mapping[int, str]) -> contract.Decisions:
    """Each proposal (by statement id) decided by ``rule``, in statement order."""
    return contract.Decisions(
        rule=rule.name,
        parameters=dict(rule.values),
        proposals=[
            proposal_decision(statement, texts.get(statement, ""), votes[statement], rule.decide(votes[statement]))
            for statement in sorted(votes)
        ],
    )


def proposal_decision(statement: int, text: str, votes: ProposalVotes, outcome: Outcome) -> contract.ProposalDecision:
    return contract.ProposalDecision(
        statement=statement,
        text=text,
        outcome=outcome.result,
        agree=votes.everyone.agree,
        disagree=votes.everyone.disagree,
        explanation=outcome.explanation,
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
            )
            for c in outcome.checks
        ],
    )


def rollup_json(outcome: RollupOutcome) -> dict[str, Any]:
    """A roll-up across places as plain data: the outcome, every place with its own, and the rule's figures."""
    return {
        "rule": outcome.rule,
        "parameters": outcome.parameters,
        "outcome": outcome.result,
        "explanation": outcome.explanation,
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


def tally_counts(proposals: Sequence[contract.ProposalDecision]) -> dict[str, int]:
    return {result: sum(p.outcome == result for p in proposals) for result in ("pass", "fail", "undecided")}
