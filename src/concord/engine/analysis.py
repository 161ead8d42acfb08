"""One analysis of a conversation: positions, opinion groups, representative statements, consensus
(across opinion groups and, when given, across declared groups) and bridging scores.

``analyze`` is the engine's single entry point; it records its parameters and per-stage timings in the
result so that any published analysis can be recomputed and its cost explained.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field

import numpy as np

from concord.engine.bridging import Bridging, fit_bridging
from concord.engine.consensus import Consensus, group_informed_consensus, majority_consensus
from concord.engine.groups import BASE_CLUSTERS, MAX_GROUPS, OpinionGroups, clustered_participants, find_groups
from concord.engine.projection import Projection, project
from concord.engine.repness import RepresentativeStatement, representative_statements
from concord.engine.tallies import GroupTallies, tally
from concord.engine.votes import VoteMatrix


class AnalysisParameterError(ValueError):
    """A parameter outside the range the method supports."""


@dataclass(frozen=True)
class AnalysisParams:
    """How to analyse. The defaults reproduce Pol.is's method (2-D map, up to 5 groups)."""

    dimensions: int = 2  # principal axes used for clustering; Pol.is uses 2, more separates more groups
    max_groups: int = MAX_GROUPS
    base_clusters: int = BASE_CLUSTERS
    seed: int = 0
    restarts: int = 10  # seeded k-means++ runs per candidate k; the lowest inertia wins
    bridging: bool = True

    def __post_init__(self) -> None:
        checks = [
            (2 <= self.dimensions <= 20, "dimensions must be between 2 and 20"),
            (2 <= self.max_groups <= 20, "max_groups must be between 2 and 20"),
            (2 <= self.base_clusters <= 1000, "base_clusters must be between 2 and 1000"),
            (1 <= self.restarts <= 100, "restarts must be between 1 and 100"),
            (self.seed >= 0, "seed must be a non-negative integer"),
        ]
        for ok, message in checks:
            if not ok:
                raise AnalysisParameterError(message)


@dataclass(frozen=True)
class DeclaredGroups:
    """Groups the caller knows (region, community), as a label per matrix row (−1: none)."""

    labels: np.ndarray
    names: list[str]
    unknown_participants: int = 0  # ids in the mapping with no votes in this conversation

    @classmethod
    def from_mapping(cls, matrix: VoteMatrix, mapping: Mapping[int, str]) -> DeclaredGroups:
        names = sorted(set(mapping.values()))
        code = {name: i for i, name in enumerate(names)}
        labels = np.full(matrix.shape[0], -1, dtype=np.int64)
        ids = np.fromiter(mapping.keys(), dtype=np.int64, count=len(mapping))
        groups = np.fromiter((code[mapping[i]] for i in ids), dtype=np.int64, count=len(ids))
        rows = np.searchsorted(matrix.participant_ids, ids)
        rows = np.clip(rows, 0, max(matrix.shape[0] - 1, 0))
        found = matrix.participant_ids[rows] == ids if matrix.shape[0] else np.zeros(len(ids), bool)
        labels[rows[found]] = groups[found]
        return cls(labels, names, int((~found).sum()))


@dataclass(frozen=True)
class GroupComparison:
    """Representativeness and consensus across one partition of participants."""

    labels: np.ndarray  # (n,) −1 for participants outside every group
    names: list[str]
    tallies: GroupTallies
    representative: list[list[RepresentativeStatement]]
    consensus: Consensus

    @property
    def sizes(self) -> np.ndarray:
        return np.bincount(self.labels[self.labels >= 0], minlength=len(self.names))


@dataclass
class Analysis:
    params: AnalysisParams
    matrix: VoteMatrix
    projection: Projection
    groups: OpinionGroups
    opinion: GroupComparison  # across discovered opinion groups
    majority: dict[str, list[tuple[int, float]]]
    statement_totals: GroupTallies  # all participants, one row
    bridging: Bridging | None
    declared: GroupComparison | None = None
    unknown_declared_participants: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def eligible(self) -> np.ndarray:
        """Statements that may be reported (not moderated out)."""
        return ~self.matrix.moderated_out

    def parameters(self) -> dict:
        return asdict(self.params)


Progress = Callable[[str], None]


def compare_groups(matrix: VoteMatrix, labels: np.ndarray, names: list[str], eligible: np.ndarray) -> GroupComparison:
    tallies = tally(matrix, labels, len(names))
    return GroupComparison(
        labels, names, tallies, representative_statements(tallies, eligible), group_informed_consensus(tallies)
    )


def analyze(
    matrix: VoteMatrix,
    params: AnalysisParams | None = None,
    declared: DeclaredGroups | None = None,
    progress: Progress | None = None,
) -> Analysis:
    """Run the whole pipeline; the same votes and parameters always give the same result."""
    params = params or AnalysisParams()
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def stage(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now
        if progress:
            progress(name)

    eligible = ~matrix.moderated_out
    projection = project(matrix, params.dimensions)
    stage("pca")
    clustered = clustered_participants(matrix.votes_per_participant(), matrix.shape[1])
    groups = find_groups(
        projection.positions,
        clustered,
        max_groups=params.max_groups,
        base_clusters=params.base_clusters,
        seed=params.seed,
        restarts=params.restarts,
    )
    stage("clustering")
    opinion = compare_groups(matrix, groups.labels, [str(g) for g in range(groups.k)], eligible)
    totals = tally(matrix, np.zeros(matrix.shape[0], dtype=np.int64), 1)
    majority = majority_consensus(totals, eligible)
    declared_comparison = None
    if declared is not None:
        declared_comparison = compare_groups(matrix, declared.labels, declared.names, eligible)
    stage("consensus")
    bridging = fit_bridging(matrix, projection.positions[:, 0]) if params.bridging else None
    stage("bridging")
    return Analysis(
        params=params,
        matrix=matrix,
        projection=projection,
        groups=groups,
        opinion=opinion,
        majority=majority,
        statement_totals=totals,
        bridging=bridging,
        declared=declared_comparison,
        unknown_declared_participants=declared.unknown_participants if declared else 0,
        timings=timings,
    )
