"""Greedy by votes: fund the projects in order of how many voters list them, skipping one that no
longer fits, until none fits. What most cities and participation platforms do, and how equal shares'
outcome is completed.

It is pabutools' ``greedy_utilitarian_welfare`` with cost satisfaction: a project's satisfaction per
unit of cost is the number of voters who list it, so the order is by votes, ties to the smallest id
(lexicographic), and projects nobody listed come last (they are still funded if money is left, as
there).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from concord.engine.budgets.election import Election


@dataclass(frozen=True)
class GreedyStep:
    project: int
    votes: int
    funded: bool
    left_after: Fraction  # money left once it was funded, or skipped


def greedy_by_votes(election: Election, funded: list[int] | None = None) -> list[GreedyStep]:
    """Every project not in ``funded`` (an allocation to complete) in the order greedy looks at them,
    each funded if it fits what is left."""
    funded = list(funded or [])
    votes = election.approvals()
    chosen = set(funded)
    candidates = sorted((index for index in range(len(election.projects)) if index not in chosen),
                        key=lambda index: (-int(votes[index]), election.projects[index].id))  # fmt: skip
    left = election.budget - election.cost_of(funded)
    steps = []
    for index in candidates:
        cost = election.projects[index].cost
        fits = cost <= left
        if fits:
            left -= cost
        steps.append(GreedyStep(index, int(votes[index]), fits, left))
    return steps
