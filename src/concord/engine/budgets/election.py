"""A participatory budget to decide: the money, the projects and their costs, and each voter's ballot as
the projects it lists. Money is exact (``Fraction``): a budget is decided by comparing sums of shares,
and a tie decided by rounding would not be a tie broken by the rule.

Ballots are a sparse voters × projects matrix (CSR), one row per voter. Approval and choose-one ballots
list the approved projects; cumulative and ranked ballots list the projects given points or a rank,
which is how the cost satisfaction of the Method of Equal Shares reads them (pabutools' ``Cost_Sat``:
a voter's satisfaction with a project they listed is its cost).
"""

from __future__ import annotations

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
