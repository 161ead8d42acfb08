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
from concord.engine.groups import (
    BASE_CLUSTERS,
    MAX_GROUPS,
    MIN_CLUSTERED,
    MIN_VOTES,
    OpinionGroups,
    clustered_participants,
    find_groups,
    no_groups,
)
from concord.engine.projection import Projection, flat_projection, project
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
class Deliberation:
    """What the opinion groups were found from when some statements are proposals to judge: the other
    statements. A group made from a proposal's own votes is, by construction, its yes-voters or its
    no-voters, and would veto it (shared/docs/reach-and-trust.md: circular); so proposals never shape
    the map or the groups. Too little deliberation around them finds no opinion groups at all: fewer
    than ``MIN_VOTES`` statements cannot place anyone by Pol.is's own rule (a participant is clustered
    after min(7, N) votes, polis-math.md §1.4), and fewer than ``MIN_CLUSTERED`` participants so placed
    is below the set Pol.is always clusters. Then only declared groups judge."""

    judged: int  # proposals left out of the map and the groups
    statements: int  # the other statements (not moderated out)
    voters: int  # participants with at least MIN_VOTES votes on them
    grouped: bool  # whether opinion groups were found from them

    @classmethod
    def of(cls, deliberation: VoteMatrix, judged: int) -> Deliberation:
        statements = int((~deliberation.moderated_out).sum())
        on_statements = (~deliberation.moderated_out)[deliberation.indices]
        per_participant = np.bincount(deliberation.vote_rows[on_statements], minlength=deliberation.shape[0])
        voters = int((per_participant >= MIN_VOTES).sum())
        return cls(judged, statements, voters, statements >= MIN_VOTES and voters >= MIN_CLUSTERED)


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
    deliberation: Deliberation | None = None  # when proposals were judged: what the groups came from

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
    judged: np.ndarray | None = None,
) -> Analysis:
    """Run the whole pipeline; the same votes and parameters always give the same result.

    ``judged`` flags the statements that are proposals (bool per column): they are tallied like every
    statement, but the map and the opinion groups are found from the others (:class:`Deliberation`)."""
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
    shaping, deliberation = matrix, None
    if judged is not None and judged.any():
        shaping = matrix.without_columns(judged)
        deliberation = Deliberation.of(shaping, int(judged.sum()))
    if shaping.shape[1] and (deliberation is None or deliberation.grouped):
        projection = project(shaping, params.dimensions)
    else:
        projection = flat_projection(shaping.shape, params.dimensions)
    if judged is not None and judged.any():
        projection = projection.on_columns(~judged)
    stage("pca")
    if deliberation is None or deliberation.grouped:
        clustered = clustered_participants(shaping.votes_per_participant(), shaping.shape[1])
        groups = find_groups(
            projection.positions,
            clustered,
            max_groups=params.max_groups,
            base_clusters=params.base_clusters,
            seed=params.seed,
            restarts=params.restarts,
        )
    else:
        groups = no_groups(matrix.shape[0], params.dimensions)
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
        deliberation=deliberation,
    )
