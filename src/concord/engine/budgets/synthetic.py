"""Participatory budgets with planted groups, for tests and benchmarks, shaped like real approval
elections (pabulib: a voter approves a handful of projects, some projects are far more popular than
others): each voter approves about ``approvals`` projects, drawn by popularity (Zipf-like), from their
own group's projects with weight ``own`` and from the others' with weight ``other``. Seeded, so the same
arguments give the same election."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import sparse

from concord.engine.budgets.election import Election, Project


@dataclass(frozen=True)
class PlantedBudget:
    election: Election
    group_of_voter: np.ndarray  # the planted group of each voter
    group_of_project: np.ndarray  # the group whose project each one is


def planted_budget(
    voters: int,
    projects: int,
    shares: tuple[float, ...] = (0.8, 0.2),
    *,
    approvals: float = 6.0,
    own: float = 1.0,
    other: float = 0.05,
    budget_fraction: float = 0.3,
    costs: tuple[int, int] = (10_000, 200_000),
    round_to: int = 1_000,
    seed: int = 0,
) -> PlantedBudget:
    """``voters`` split into groups of the given ``shares``, projects among the groups in the same
    proportions. A voter approves 1 + Poisson(``approvals`` − 1) projects (at most all), each drawn
    with probability ∝ its popularity (the k-th most popular of a group: 1/k) × ``own`` for their
    group's projects or ``other`` for the rest (``other=0``: only their own). Costs are uniform in
    ``costs``, rounded to ``round_to`` (so that ties happen, as in real budgets); the budget is
    ``budget_fraction`` of all costs."""
    rng = np.random.default_rng(seed)
    weights = np.asarray(shares, dtype=float) / sum(shares)
    group_of_voter = rng.choice(len(shares), size=voters, p=weights)
    bounds = np.round(np.cumsum([0.0, *weights]) * projects).astype(int)
    group_of_project = np.repeat(np.arange(len(shares)), np.diff(bounds))
    popularity = np.concatenate([1.0 / np.arange(1, count + 1) for count in np.diff(bounds)])
    ballots = _draw_ballots(rng, group_of_voter, group_of_project, popularity, approvals, own, other)
    cost_values = np.maximum(round_to, np.round(rng.uniform(*costs, size=projects) / round_to) * round_to)
    total = int(cost_values.sum())
    election = Election(
        budget=Fraction(int(total * budget_fraction)),
        projects=tuple(Project(f"{index + 1}", Fraction(int(cost))) for index, cost in enumerate(cost_values)),
        ballots=ballots,
    )
    return PlantedBudget(election, group_of_voter, group_of_project)


def _draw_ballots(
    rng: np.random.Generator,
    group_of_voter: np.ndarray,
    group_of_project: np.ndarray,
    popularity: np.ndarray,
    approvals: float,
    own: float,
    other: float,
) -> sparse.csr_matrix:
    """Each voter's projects drawn without replacement by weight (the Gumbel top-k trick: the k largest
    of log weight + Gumbel noise)."""
    voters, projects = len(group_of_voter), len(group_of_project)
    counts = np.minimum(1 + rng.poisson(max(approvals - 1.0, 0.0), size=voters), projects)
    if other <= 0:  # only their own group's projects
        counts = np.minimum(counts, np.bincount(group_of_project, minlength=group_of_voter.max() + 1)[group_of_voter])
    most = int(counts.max()) if voters else 0
    rows, columns = [], []
    for start in range(0, voters, 20_000):  # in blocks: voters × projects floats at a time
        block = slice(start, min(voters, start + 20_000))
        affinity = np.where(group_of_voter[block, None] == group_of_project[None, :], own, other)
        with np.errstate(divide="ignore"):
            scores = np.log(affinity * popularity[None, :]) + rng.gumbel(size=affinity.shape)
        top = np.argsort(-scores, axis=1)[:, :most]
        keep = np.arange(most)[None, :] < counts[block, None]
        rows.append(np.nonzero(keep)[0] + start)
        columns.append(top[keep])
    row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    column = np.concatenate(columns) if columns else np.zeros(0, dtype=np.int64)
    matrix = sparse.csr_matrix((np.ones(len(row), dtype=np.int8), (row, column)), shape=(voters, projects))
    matrix.sum_duplicates()
    return matrix
