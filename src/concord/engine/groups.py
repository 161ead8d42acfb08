"""Opinion groups, found the way Pol.is finds them (shared/docs/polis-math.md §1.4, §1.7, §1.8).

1. Only participants with enough votes are clustered.
2. Their positions are summarised by up to 100 *base clusters* (k-means), so that the group stage and
   its silhouette run on at most 100 weighted points whatever the conversation's size. Identical
   positions are one weighted point; past 65,536 distinct ones (a national conversation), the points
   of each cell of a 256-per-axis grid over their bounds are one, at their weighted mean, so the
   base k-means costs the same at a million participants as at 65,536 (Lloyd's iterations took 17 s of
   a 1 M-participant analysis): a cell is 1/256 of the map's width, and each participant takes their
   cell's base cluster.
3. The base centres are grouped by size-weighted k-means for every k in 2 … min(5, 2 + ⌊#base / 12⌋),
   and the k with the best silhouette (computed on the base centres) wins; ties go to the larger k.
   Unlike Pol.is, a group must hold at least 3 participants when any run allows it: a lone outlier is
   a person, not an opinion group, and its "representative statements" would describe one voter.

Everything is deterministic and independent of input order: points are de-duplicated and sorted by
position before any seeded step, and groups are numbered by size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from concord.engine.kmeans import best_kmeans, silhouette

MIN_VOTES = 7  # polis-math.md §1.4: clustered once a participant has min(7, N) votes ...
MIN_CLUSTERED = 15  # ... topped up with the heaviest voters until at least 15 are in
BASE_CLUSTERS = 100  # §1.7 base-k
MAX_GROUPS = 5  # §1.8: k in 2 … 5
BASE_CLUSTERS_PER_EXTRA_GROUP = 12  # §1.8: k ≤ 2 + ⌊#base clusters / 12⌋
MIN_GROUP_SIZE = 3  # not in Pol.is, which can report a one-person "group" (red-dwarf issue #97)
POSITION_DECIMALS = 9  # positions are rounded so floating-point summation order cannot change a result
GRID = 256  # cells per axis when there are more distinct positions than ...
MAX_POINTS = GRID * GRID  # ... this many, which the base k-means then takes exactly


@dataclass(frozen=True)
class OpinionGroups:
    clustered: np.ndarray  # (n,) bool: took part in clustering
    labels: np.ndarray  # (n,) group per participant, −1 when not clustered; 0 is the largest group
    base_labels: np.ndarray  # (n,) base cluster per participant, −1 when not clustered
    base_centers: np.ndarray  # (b, d)
    base_sizes: np.ndarray  # (b,)
    silhouettes: dict[int, float] = field(default_factory=dict)  # per candidate k

    @property
    def k(self) -> int:
        return int(self.labels.max()) + 1 if (self.labels >= 0).any() else 0

    def sizes(self) -> np.ndarray:
        return np.bincount(self.labels[self.labels >= 0], minlength=self.k)


def clustered_participants(votes_per_participant: np.ndarray, n_statements: int) -> np.ndarray:
    """Who is clustered: at least min(7, N) votes, passes included; if fewer than 15 qualify, the
    heaviest voters are added (everyone tied with the 15th heaviest, so the rule does not depend on
    row order). Pol.is also keeps anyone once in; a one-shot analysis has no "once"."""
    counts = np.asarray(votes_per_participant)
    chosen = counts >= min(MIN_VOTES, n_statements)
    if chosen.sum() < MIN_CLUSTERED and len(counts):
        fifteenth = np.sort(counts)[::-1][min(MIN_CLUSTERED, len(counts)) - 1]
        chosen |= (counts >= fifteenth) & (counts > 0)
    return chosen


def no_groups(n: int, dimensions: int) -> OpinionGroups:
    """Nobody clustered: no opinion groups (too little deliberation to find any)."""
    none = np.full(n, -1, dtype=np.int64)
    return OpinionGroups(np.zeros(n, dtype=bool), none, none.copy(), np.zeros((0, dimensions)), np.zeros(0, int))


def find_groups(
    positions: np.ndarray,
    clustered: np.ndarray,
    *,
    max_groups: int = MAX_GROUPS,
    base_clusters: int = BASE_CLUSTERS,
    seed: int = 0,
    restarts: int = 10,
) -> OpinionGroups:
    n = len(positions)
    labels = np.full(n, -1, dtype=np.int64)
    base_labels = np.full(n, -1, dtype=np.int64)
    rows = np.flatnonzero(clustered)
    if len(rows) == 0:
        return no_groups(n, positions.shape[1])

    # Identical positions are one weighted point; np.unique also sorts them, giving a canonical order.
    points, point_of_row, multiplicity = np.unique(
        np.round(positions[rows], POSITION_DECIMALS), axis=0, return_inverse=True, return_counts=True
    )
    point_of_row = point_of_row.ravel()
    weights = multiplicity.astype(np.float64)
    if len(points) > MAX_POINTS:
        points, cell_of_point, weights = _grid_cells(points, weights, GRID)
        point_of_row = cell_of_point[point_of_row]

    base = best_kmeans(points, weights, min(base_clusters, len(points)), seed, restarts=1)
    base_order = np.lexsort(np.round(base.centers, POSITION_DECIMALS).T[::-1])
    base_centers = base.centers[base_order]
    base_id = np.empty(len(base_order), dtype=np.int64)
    base_id[base_order] = np.arange(len(base_order))
    point_base = base_id[base.labels]
    base_sizes = np.bincount(point_base, weights=weights, minlength=len(base_centers)).astype(np.int64)
    base_labels[rows] = point_base[point_of_row]

    group_of_base, silhouettes = _group_base_clusters(base_centers, base_sizes, max_groups, seed, restarts)
    labels[rows] = group_of_base[base_labels[rows]]
    return OpinionGroups(clustered, labels, base_labels, base_centers, base_sizes, silhouettes)


def _grid_cells(points: np.ndarray, weights: np.ndarray, grid: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The weighted points of each non-empty cell of a ``grid``-per-axis grid over the points' bounds as
    one point at their weighted mean, weighing their total: (cell points in cell order, each point's
    cell, cell weights). The points come sorted and de-duplicated, so the sums' order is fixed."""
    low, high = points.min(axis=0), points.max(axis=0)
    width = np.maximum(high - low, 1e-12) / grid
    index = np.minimum(((points - low) / width).astype(np.int64), grid - 1)
    if grid ** points.shape[1] < 2**63:  # a cell's number fits in an integer: a fast 1-D unique
        cells, cell_of_point = np.unique(np.ravel_multi_index(index.T, (grid,) * points.shape[1]), return_inverse=True)
    else:
        cells, cell_of_point = np.unique(index, axis=0, return_inverse=True)
    cell_of_point = cell_of_point.ravel()
    mass = np.bincount(cell_of_point, weights=weights, minlength=len(cells))
    sums = [
        np.bincount(cell_of_point, weights=weights * points[:, axis], minlength=len(cells))
        for axis in range(points.shape[1])
    ]
    centers = np.round(np.stack(sums, axis=1) / mass[:, None], POSITION_DECIMALS)
    return centers, cell_of_point, mass


def candidate_group_counts(n_base: int, max_groups: int = MAX_GROUPS) -> range:
    """k in 2 … min(max_groups, 2 + ⌊n_base / 12⌋): few base clusters cannot support many groups."""
    return range(2, min(max_groups, 2 + n_base // BASE_CLUSTERS_PER_EXTRA_GROUP, n_base) + 1)


def _group_base_clusters(
    centers: np.ndarray, sizes: np.ndarray, max_groups: int, seed: int, restarts: int
) -> tuple[np.ndarray, dict[int, float]]:
    """Size-weighted k-means of base centres for each candidate k; keep the best silhouette."""
    candidates = candidate_group_counts(len(centers), max_groups)
    if len(candidates) == 0:
        return np.zeros(len(centers), dtype=np.int64), {}
    weights = sizes.astype(np.float64)
    silhouettes: dict[int, float] = {}
    best_labels, best_score = None, -np.inf
    for k in candidates:
        labels = best_kmeans(centers, weights, k, seed, restarts, min_cluster_weight=MIN_GROUP_SIZE).labels
        score = silhouette(centers, labels)
        silhouettes[k] = score
        if score >= best_score - 1e-12:  # ties go to the larger k, as in Pol.is
            best_labels, best_score = labels, score
    assert best_labels is not None  # candidates is not empty
    return _number_by_size(best_labels, weights, centers), silhouettes


def _number_by_size(labels: np.ndarray, weights: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Renumber groups 0, 1, … by decreasing size (ties: by position), so labels never depend on
    which seed or input order produced them."""
    present = np.unique(labels)
    size = np.array([weights[labels == g].sum() for g in present])
    mean = np.array([np.average(centers[labels == g], axis=0, weights=weights[labels == g]) for g in present])
    order = np.lexsort((*np.round(mean, POSITION_DECIMALS).T[::-1], -size))
    renumber = np.empty(present.max() + 1, dtype=np.int64)
    renumber[present[order]] = np.arange(len(present))
    return renumber[labels]
