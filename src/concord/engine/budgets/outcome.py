"""The outcome of a participatory budget, with its explanation: equal shares completed by add1, then by
greedy by votes for what is left (the combination real equal-shares elections use: equalshares.net's
"Add1U", ``../shared/docs/anchors.md`` §3.1), and greedy by votes alone beside it, so that anyone can
see what equal shares changed. Approval and choose-1 ballots are decided with cost satisfaction,
cumulative and scoring ballots with their points, ordinal ballots with Borda scores
(:mod:`~concord.engine.budgets.equal_shares_utilities`); ``satisfaction`` names which, as pabutools does.

Every project says how it fared: funded in equal shares' round r, paid by its supporters (how many paid
how much, of what they had); funded in the completion (money left once equal shares could fund nothing
more, the most voted first); or not funded, and why (its supporters could no longer pay for it after
round r and had this much left, and it did not fit the money the completion had left; nobody listed it).
With utilities, a round's payers paid ρ times their utility for the project, by utility in its
``payments`` (:class:`~concord.engine.budgets.equal_shares_utilities.UtilityRound`), and a project that
nobody has utility for (listed only last on ranked ballots) is out of reach from the start.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

from concord.engine.budgets.election import Election
from concord.engine.budgets.equal_shares import Round, equal_shares_add_one
from concord.engine.budgets.equal_shares_utilities import (
    decided_by_utilities,
    equal_shares_utilities_add_one,
    satisfaction_of,
)
from concord.engine.budgets.greedy import greedy_by_votes

How = Literal["equal-shares", "completion", "not-funded"]
Why = Literal["out-of-reach", "no-votes"]


@dataclass(frozen=True)
class ProjectOutcome:
    project: int
    votes: int
    how: How
    round: int | None = None  # equal shares' round that funded it (1 first)
    paid: Round | None = None  # who paid for it in equal shares
    why: Why | None = None  # not funded: why
    out_of_reach_after: int | None = None  # rounds after which its supporters could not pay (0: never could)
    supporters_had: Fraction | None = None  # what its supporters had left when equal shares ended
    completion_left: Fraction | None = None  # the money left when the completion came to it
    greedy_funded: bool = False  # what greedy by votes alone does with it

    @property
    def funded(self) -> bool:
        return self.how != "not-funded"


@dataclass(frozen=True)
class BudgetOutcome:
    budget: Fraction
    voters: int
    funded: list[int]  # equal shares' projects in the order funded, then the completion's
    spent: Fraction
    share: Fraction  # each voter's share in the equal-shares run kept (budget / voters, plus the raises)
    raises: int  # add1 raised every share by 1 this many times
    runs: int  # equal-shares runs computed
    stepwise_runs: int  # those a search one raise at a time would compute (pabutools)
    projects: list[ProjectOutcome]  # one per project, in the election's order
    greedy: list[int]  # greedy by votes alone, in the order funded
    greedy_spent: Fraction
    satisfaction: str = "Cost_Sat"  # pabutools' satisfaction class that equal shares was run with


def decide_budget(election: Election, workers: int = 1) -> BudgetOutcome:
    """Equal shares with add1, completed by greedy by votes; and greedy by votes alone. ``workers``:
    processes for add1's runs (see :func:`~concord.engine.budgets.equal_shares.equal_shares_add_one`;
    ballots with points or ranks are decided in this process)."""
    utility = decided_by_utilities(election)
    added = equal_shares_utilities_add_one(election) if utility else equal_shares_add_one(election, workers)
    run = added.run
    equal = list(run.funded)
    completion = greedy_by_votes(election, equal)
    completed = [step.project for step in completion if step.funded]
    left_when = {step.project: step.left_after for step in completion if not step.funded}
    alone = [step.project for step in greedy_by_votes(election) if step.funded]
    votes = election.approvals()
    by_round = {r.project: (number, r) for number, r in enumerate(run.rounds, start=1)}
    greedy_set, completed_set = set(alone), set(completed)
    outcomes = []
    for index in range(len(election.projects)):
        common: dict[str, Any] = {"project": index, "votes": int(votes[index]), "greedy_funded": index in greedy_set}
        if index not in by_round and index not in completed_set:
            common["completion_left"] = left_when.get(index)
        if index in by_round:
            number, paid = by_round[index]
            outcomes.append(ProjectOutcome(**common, how="equal-shares", round=number, paid=paid))
        elif index in completed_set:
            outcomes.append(ProjectOutcome(**common, how="completion"))
        elif votes[index] == 0:
            outcomes.append(ProjectOutcome(**common, how="not-funded", why="no-votes"))
        else:  # equal shares ends when no supporters can pay for any project left
            outcomes.append(
                ProjectOutcome(
                    **common,
                    how="not-funded",
                    why="out-of-reach",
                    out_of_reach_after=run.out_of_reach[index],
                    supporters_had=run.left_with_supporters[index],
                )
            )
    funded = equal + completed
    return BudgetOutcome(
        budget=election.budget,
        voters=election.voters,
        funded=funded,
        spent=election.cost_of(funded),
        share=run.share,
        raises=added.raises,
        runs=added.runs,
        stepwise_runs=added.stepwise_runs,
        projects=outcomes,
        greedy=alone,
        greedy_spent=election.cost_of(alone),
        satisfaction=satisfaction_of(election.vote_type) if utility else "Cost_Sat",
    )
