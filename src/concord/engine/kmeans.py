"""Weighted k-means and silhouette, the two clustering primitives Pol.is builds its groups from.

Written here rather than taken from scikit-learn for two reasons: Pol.is's Lloyd variant differs in ways
that change results (empty clusters are dropped, not re-seeded; convergence is "every centre moved less
than 0.01", polis-math.md §1.7), and importing scikit-learn costs about a second, twice the start-up
budget of ``concord analyze`` on a real conversation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CONVERGENCE_SHIFT = 0.01  # polis-math.md §1.7: converged when every centre moved less than this
_CHUNK = 2048  # points per distance block: small enough to stay in cache (2× faster at 100k points)


@dataclass(frozen=True)
class Clustering:
    centers: np.ndarray  # (k, d)
    labels: np.ndarray  # (n,) index into centers
    inertia: float  # weighted sum of squared distances to the assigned centre


def nearest_center(points: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Index of the nearest centre for every point (ties → lower index).

    ‖p − c‖² = ‖p‖² − 2p·c + ‖c‖², and ‖p‖² is the same for every centre, so it is left out.
    """
    labels = np.empty(len(points), dtype=np.int64)
    center_norms = (centers * centers).sum(axis=1)
    for start in range(0, len(points), _CHUNK):
        block = points[start : start + _CHUNK]
        labels[start : start + _CHUNK] = np.argmin(center_norms[None, :] - 2.0 * (block @ centers.T), axis=1)
    return labels


def squared_distances(points: np.ndarray, centers: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return ((points - centers[labels]) ** 2).sum(axis=1)


def kmeans_plus_plus(points: np.ndarray, weights: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ seeding (weighted): each new centre is drawn with probability ∝ weight · squared distance."""
    k = min(k, len(points))
    chosen = [int(rng.choice(len(points), p=weights / weights.sum()))]
    closest = ((points - points[chosen[0]]) ** 2).sum(axis=1)
    for _ in range(1, k):
        mass = weights * closest
        if mass.sum() <= 0:
            break  # every point coincides with a centre already
        chosen.append(int(rng.choice(len(points), p=mass / mass.sum())))
        closest = np.minimum(closest, ((points - points[chosen[-1]]) ** 2).sum(axis=1))
    return points[chosen].copy()


def lloyd(points: np.ndarray, weights: np.ndarray, centers: np.ndarray, max_iterations: int = 100) -> Clustering:
    """Pol.is's Lloyd iterations: assign, drop empty clusters, move centres to weighted means."""
    centers = centers.copy()
    for _ in range(max_iterations):
        labels = nearest_center(points, centers)
        mass = np.bincount(labels, weights=weights, minlength=len(centers))
        kept = mass > 0
        sums = np.stack(
            [
                np.bincount(labels, weights=weights * points[:, axis], minlength=len(centers))
                for axis in range(points.shape[1])
            ],
            axis=1,
        )
        moved = sums[kept] / mass[kept, None]
        shift = np.sqrt(((moved - centers[kept]) ** 2).sum(axis=1)).max()
        centers = moved
        if kept.all() and shift < CONVERGENCE_SHIFT:
            break
    labels = nearest_center(points, centers)
    return Clustering(centers, labels, float(weights @ squared_distances(points, centers, labels)))


def best_kmeans(
    points: np.ndarray, weights: np.ndarray, k: int, seed: int, restarts: int, min_cluster_weight: float = 0.0
) -> Clustering:
    """The lowest-inertia of several seeded k-means++ runs, preferring runs whose every cluster weighs
    at least ``min_cluster_weight``.

    Pol.is starts from the first k points in an arbitrary order and then follows its own update history
    (warm starts); a stateless analysis instead takes the best of a few seeded runs, so its answer does
    not depend on which participant happened to come first.
    """
    rng = np.random.default_rng(seed)
    best: Clustering | None = None
    best_admissible: Clustering | None = None
    for _ in range(restarts):
        run = lloyd(points, weights, kmeans_plus_plus(points, weights, k, rng))
        if best is None or run.inertia < best.inertia - 1e-12:
            best = run
        lightest = np.bincount(run.labels, weights=weights, minlength=len(run.centers)).min()
        if lightest >= min_cluster_weight and (
            best_admissible is None or run.inertia < best_admissible.inertia - 1e-12
        ):
            best_admissible = run
    assert best is not None, "restarts must be at least 1"
    return best_admissible or best


def silhouette(points: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette over points (unweighted, a point alone in its cluster scores 0), as Pol.is does
    on its base-cluster centres (polis-math.md §1.8)."""
    clusters = np.unique(labels)
    if len(clusters) < 2:
        return 0.0
    distance = np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(axis=2))
    member = labels[None, :] == clusters[:, None]  # (c, n)
    sizes = member.sum(axis=1)
    sums = distance @ member.T.astype(np.float64)  # (n, c) total distance to each cluster
    own = np.searchsorted(clusters, labels)
    own_size = sizes[own]
    a = np.divide(sums[np.arange(len(points)), own], own_size - 1, out=np.zeros(len(points)), where=own_size > 1)
    mean_to = sums / sizes[None, :]
    mean_to[np.arange(len(points)), own] = np.inf
    b = mean_to.min(axis=1)
    score = np.divide(b - a, np.maximum(a, b), out=np.zeros(len(points)), where=np.maximum(a, b) > 0)
    score[own_size == 1] = 0.0
    return float(score.mean())
