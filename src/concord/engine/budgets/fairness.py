"""Did any group of voters go without? For each group (an opinion group found in the ballots, or a
declared one: region, community, district, age, sex …), the share of the money spent on projects its
voters approved, against its share of the voters, for equal shares and for greedy by votes.

A funded project's cost is credited to the voters who approved it, in equal parts: a group's share of
the spending is what its voters were credited, over all that was spent. A group of 20 % of the voters
whose projects got 2 % of the money was left out; one that got about 20 % was not. Also: the share of
the group's voters who approved at least one funded project.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from concord.engine.budgets.election import Election


@dataclass(frozen=True)
class GroupFairness:
    attribute: str  # what the groups are: "opinion group", "district", "age" …
    group: str
    voters: int
    voter_share: float  # of all voters
    equal_shares: float  # of the money spent, credited to the group, under equal shares
    greedy: float  # the same under greedy by votes
    equal_shares_reached: float  # of the group's voters, those who approved a project equal shares funded
    greedy_reached: float


def credited(election: Election, funded: Sequence[int]) -> np.ndarray:
    """What each voter was credited: each funded project's cost shared equally by its approvers."""
    per_project = np.zeros(len(election.projects))
    support = election.approvals()
    for index in funded:
        if support[index]:
            per_project[index] = float(election.projects[index].cost) / support[index]
    return np.asarray(election.ballots @ per_project).ravel()


def reached(election: Election, funded: Sequence[int]) -> np.ndarray:
    chosen = np.zeros(len(election.projects))
    chosen[list(funded)] = 1.0
    return np.asarray(election.ballots @ chosen).ravel() > 0


def fairness(
    election: Election,
    equal_shares: Sequence[int],
    greedy: Sequence[int],
    groups: Mapping[str, Sequence[str | None]],
) -> list[GroupFairness]:
    """One row per group of every attribute in ``groups`` (an attribute: each voter's group, or None:
    not known), largest first."""
    voters = election.voters
    spent = {name: float(election.cost_of(list(chosen)) or Fraction(1)) for name, chosen in
             (("equal", equal_shares), ("greedy", greedy))}  # fmt: skip
    credit = {"equal": credited(election, equal_shares), "greedy": credited(election, greedy)}
    hit = {"equal": reached(election, equal_shares), "greedy": reached(election, greedy)}
    rows = []
    for attribute, labels in groups.items():
        values = np.array(["" if label is None else str(label) for label in labels], dtype=object)
        known = values != ""
        names = sorted(set(values[known]), key=lambda name: (-int((values == name).sum()), name))
        for name in names:
            members = values == name
            count = int(members.sum())
            rows.append(
                GroupFairness(
                    attribute=attribute,
                    group=name,
                    voters=count,
                    voter_share=count / voters if voters else 0.0,
                    equal_shares=float(credit["equal"][members].sum()) / spent["equal"],
                    greedy=float(credit["greedy"][members].sum()) / spent["greedy"],
                    equal_shares_reached=float(hit["equal"][members].mean()),
                    greedy_reached=float(hit["greedy"][members].mean()),
                )
            )
    return rows
