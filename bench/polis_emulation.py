"""A cold-start emulation of Pol.is's own clustering (polis-math.md §1.7–1.8), used only to measure
how reproducible Pol.is's published groups are when nothing but the row order changes.

Base clusters start from the first 100 distinct points in row order; groups from the first k base
centres; group k-means stops after 20 iterations (Pol.is's effective cap); no minimum group size.
"""

from __future__ import annotations

import numpy as np

from concord.engine.groups import candidate_group_counts
from concord.engine.kmeans import lloyd, silhouette


def polis_labels(positions: np.ndarray, clustered: np.ndarray, order: np.ndarray) -> np.ndarray:
    rows = np.flatnonzero(clustered)[order]
    points = positions[rows]
    _, first = np.unique(np.round(points, 9), axis=0, return_index=True)
    base = lloyd(points, np.ones(len(points)), points[np.sort(first)[:100]], 100)
    sizes = np.bincount(base.labels, minlength=len(base.centers)).astype(float)
    best_score, best = -np.inf, np.zeros(len(base.centers), dtype=int)
    for k in candidate_group_counts(len(base.centers)):
        groups = lloyd(base.centers, sizes, base.centers[:k].copy(), 20).labels
        score = silhouette(base.centers, groups)
        if score >= best_score:
            best_score, best = score, groups
    labels = np.full(len(positions), -1)
    labels[rows] = best[base.labels]
    return labels
