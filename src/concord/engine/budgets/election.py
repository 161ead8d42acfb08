"""A participatory budget to decide: the money, the projects and their costs, and each voter's ballot as
the projects it lists. Money is exact (``Fraction``): a budget is decided by comparing sums of shares,
and a tie decided by rounding would not be a tie broken by the rule.

Ballots are a sparse voters × projects matrix (CSR), one row per voter. Approval and choose-one ballots
list the approved projects; cumulative, scoring and ranked ballots list the projects given points or a
rank, and ``values`` (the same voters × projects, int64) holds them as the ballot gives them: the points
(cumulative, scoring; times ``point_scale`` where the file gives points that are not whole numbers), or
the rank (ordinal: 1 the first). Approval and choose-one ballots are decided with cost satisfaction
(pabutools' ``Cost_Sat``: a voter's satisfaction with a project they listed is its cost), the others
with the utilities their points or ranks give
(:mod:`~concord.engine.budgets.equal_shares_utilities`). Greedy by votes, the completion and the
fairness report read every ballot as the projects it lists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import sparse


class BudgetDataError(ValueError):
    """An election that cannot be decided as given (a cost or a budget that is not positive …)."""


@dataclass(frozen=True)
class Project:
    id: str  # as pabulib names it; ties are broken by this text, in lexicographic order (pabutools' rule)
    cost: Fraction


@dataclass(frozen=True)
class Election:
    budget: Fraction
    projects: tuple[Project, ...]
    ballots: sparse.csr_matrix  # voters × projects; a stored entry: the voter lists the project
    vote_type: str = "approval"  # as pabulib names it: approval, choose-1, cumulative, scoring, ordinal
    # Points (cumulative, scoring) or ranks (ordinal, 1 the first) of what each voter lists, exact
    # integers: voters × projects, the same entries as ``ballots`` (a 0 point is a stored 0); None for
    # approval and choose-1 ballots.
    values: sparse.csr_matrix | None = None
    point_scale: int = 1  # the points as given are values / point_scale (1: whole numbers as given)

    def __post_init__(self) -> None:
        if self.budget <= 0:
            raise BudgetDataError(f"the budget must be more than 0, not {self.budget}")
        for project in self.projects:
            if project.cost <= 0:
                raise BudgetDataError(f"project {project.id}: its cost must be more than 0, not {project.cost}")
        if len({project.id for project in self.projects}) != len(self.projects):
            raise BudgetDataError("two projects have the same id")
        if self.ballots.shape[1] != len(self.projects):
            raise BudgetDataError("the ballots name projects that are not in the election")
        if self.values is not None:
            if self.values.shape != self.ballots.shape or self.values.nnz != self.ballots.nnz:
                raise BudgetDataError("the points or ranks are not those of the ballots")
            if self.values.nnz and int(self.values.data.min()) < 0:
                raise BudgetDataError("points and ranks cannot be negative")

    @property
    def voters(self) -> int:
        return self.ballots.shape[0]

    @property
    def costs(self) -> list[Fraction]:
        return [project.cost for project in self.projects]

    def approvals(self) -> np.ndarray:
        """How many voters list each project."""
        return np.asarray(self.ballots.getnnz(axis=0), dtype=np.int64)

    def cost_of(self, chosen: list[int]) -> Fraction:
        return sum((self.projects[index].cost for index in chosen), Fraction(0))


def ballots_with_values(
    lists: list[list[int]], values: list[list[int]], projects: int
) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    """The ballot matrix of ``lists[voter]`` (the indices of the projects that voter lists, each once) and
    the matrix of ``values[voter]`` (the points or ranks, in the same order), entry for entry alike."""
    indptr = np.zeros(len(lists) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(chosen) for chosen in lists])
    count = int(indptr[-1])
    indices = np.fromiter((index for chosen in lists for index in chosen), dtype=np.int64, count=count)
    data = np.fromiter((value for given in values for value in given), dtype=np.int64, count=count)
    owner = np.repeat(np.arange(len(lists)), np.diff(indptr))
    order = np.lexsort((indices, owner))  # by voter, then project
    indices, data = indices[order], data[order]
    if np.any((np.diff(indices) == 0) & (np.diff(owner) == 0)):
        raise BudgetDataError("a ballot lists a project twice")
    shape = (len(lists), projects)
    ballots = sparse.csr_matrix((np.ones(count, dtype=np.int8), indices, indptr), shape=shape)
    marks = sparse.csr_matrix((data, indices.copy(), indptr.copy()), shape=shape)
    ballots.has_sorted_indices = marks.has_sorted_indices = True
    return ballots, marks


MARKED = ("cumulative", "scoring", "ordinal")  # ballots that give points or ranks, not only a list


def election_of(
    budget: Fraction,
    projects: tuple[Project, ...],
    lists: list[list[int]],
    vote_type: str = "approval",
    points: list[list[Fraction]] | None = None,
) -> Election:
    """The election of these ballots (``lists[voter]``: the indices of the projects listed, in rank
    order for ordinal ballots), as its voters meant them: with cumulative and scoring ballots each
    listed project's ``points``, with ordinal ones its rank (1 the first). Points that are not whole
    numbers are all multiplied by the least common multiple of their denominators (equal shares decides
    the same: its prices scale and its payments do not)."""
    if vote_type not in MARKED:
        return Election(budget, projects, ballots_from_lists(lists, len(projects)), vote_type)
    scale = 1
    if vote_type == "ordinal":
        values = [list(range(1, len(listed) + 1)) for listed in lists]
    else:
        given = points or []
        if len(given) != len(lists) or any(len(g) != len(listed) for g, listed in zip(given, lists)):
            raise BudgetDataError("the points of a ballot do not match its projects")
        for row in given:
            for value in row:
                scale = math.lcm(scale, value.denominator)
        values = [[int(value * scale) for value in row] for row in given]
    ballots, marks = ballots_with_values(lists, values, len(projects))
    return Election(budget, projects, ballots, vote_type, marks, scale)


def ballots_from_lists(lists: list[list[int]], projects: int) -> sparse.csr_matrix:
    """The ballot matrix of ``lists[voter]`` = the indices of the projects that voter lists."""
    indptr = np.zeros(len(lists) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(chosen) for chosen in lists])
    indices = np.fromiter((index for chosen in lists for index in chosen), dtype=np.int64, count=int(indptr[-1]))
    data = np.ones(len(indices), dtype=np.int8)
    matrix = sparse.csr_matrix((data, indices, indptr), shape=(len(lists), projects))
    matrix.sum_duplicates()
    matrix.data[:] = 1
    return matrix


@dataclass(frozen=True)
class DistinctBallots:
    """Identical ballots counted once, with how many voters cast each: every rule here treats voters
    with the same ballot alike, and real elections repeat ballots a lot (Łódź 2022: 90,494 voters,
    23,571 distinct ballots)."""

    ballots: sparse.csr_matrix  # distinct ballots × projects
    weights: np.ndarray  # voters per distinct ballot
    of_voter: np.ndarray  # each voter's distinct ballot


def distinct_ballots(ballots: sparse.csr_matrix) -> DistinctBallots:
    voters, projects = ballots.shape
    if voters == 0:
        return DistinctBallots(ballots, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    dense = np.zeros((voters, projects), dtype=bool)
    rows = np.repeat(np.arange(voters), np.diff(ballots.indptr))
    dense[rows, ballots.indices] = True
    packed = np.packbits(dense, axis=1)
    keys = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inverse, counts = np.unique(keys, return_index=True, return_inverse=True, return_counts=True)
    return DistinctBallots(sparse.csr_matrix(ballots[first]), counts.astype(np.int64), inverse.ravel())
