"""Opinion groups among a budget's voters, found in their ballots as the opinion engine finds them in a
conversation's votes: each voter placed by the two principal axes of the approval matrix (1 for a
project they approve, 0 otherwise: every voter has said something about every project), then clustered
as Pol.is clusters participants (:func:`concord.engine.groups.find_groups`). Voters who approved
nothing are in no group."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from concord.engine.groups import find_groups

DIMENSIONS = 2


def ballot_groups(ballots: sparse.csr_matrix, seed: int = 0) -> np.ndarray:
    """Each voter's opinion group (0 the largest), or −1."""
    voters, projects = ballots.shape
    labels = np.full(voters, -1, dtype=np.int64)
    approving = np.diff(ballots.indptr) > 0
    if approving.sum() < 2 or projects < 2:
        return labels
    x = sparse.csr_matrix(ballots, dtype=np.float64)
    mean = np.asarray(x.mean(axis=0)).ravel()
    covariance = np.asarray((x.T @ x).todense()) / voters - np.outer(mean, mean)
    _, vectors = np.linalg.eigh(covariance)
    axes = vectors[:, ::-1][:, : min(DIMENSIONS, projects)]
    # Fix each axis's sign by the data (its largest component positive), so reruns agree.
    axes *= np.where(axes[np.abs(axes).argmax(axis=0), np.arange(axes.shape[1])] < 0, -1.0, 1.0)
    positions = np.asarray(x @ axes) - mean @ axes
    return find_groups(positions, approving, seed=seed).labels
