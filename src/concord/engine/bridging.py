"""Bridging scores: support for a statement that the main opinion axis does not explain.

The Community Notes model (shared/docs/anchors.md §2.1): each vote is predicted as

    r̂(u, s) = μ + b_u + b_s + f_u · f_s

with agree = 1 and disagree = 0 (passes carry no rating and are left out). The factor term f_u·f_s
soaks up agreement that comes from where a participant stands; what is left in the statement intercept
b_s is support shared across the axis. A statement liked by one side only gets a large |f_s| and a
small b_s; one liked by both sides gets a large b_s. No clustering is involved, so the score cannot be
moved by changing the number of groups.

Fitted by alternating ridge regressions (each participant's and statement's (b, f) pair in closed
form, all at once through sparse products) rather than the reference's Adam: deterministic, and a few
dozen linear-time sweeps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from concord.engine.votes import AGREE, PASS, VoteMatrix

INTERCEPT_PENALTY = 0.15  # λ_i, anchors.md §2.1 (5 × the factor penalty)
FACTOR_PENALTY = 0.03  # λ_f
MIN_RATINGS = 5  # anchors.md §2.1: a note needs ≥ 5 ratings to be scored
MAX_SWEEPS = 100
TOLERANCE = 1e-4  # stop when no statement intercept moves more than this in a sweep


@dataclass(frozen=True)
class Bridging:
    intercept: np.ndarray  # (m,) b_s, the bridging score
    factor: np.ndarray  # (m,) f_s, which side of the axis the statement's support comes from
    ratings: np.ndarray  # (m,) agree + disagree votes the fit saw
    mean: float  # μ
    sweeps: int

    def ranked(self, eligible: np.ndarray) -> list[tuple[int, float]]:
        """(statement, score) best first, over statements with enough ratings."""
        columns = np.flatnonzero(eligible & (self.ratings >= MIN_RATINGS))
        order = columns[np.lexsort((columns, -self.intercept[columns]))]
        return [(int(j), float(self.intercept[j])) for j in order]


def fit_bridging(matrix: VoteMatrix, initial_axis: np.ndarray) -> Bridging:
    """Fit the intercept + one-factor model; ``initial_axis`` (a participant score, e.g. the first
    principal coordinate) seeds the participant factors so the fit starts near the opinion axis."""
    n, m = matrix.shape
    rated = (matrix.values != PASS) & ~matrix.moderated_out[matrix.indices]
    rating = (matrix.values[rated] == AGREE).astype(np.float64)
    mask = matrix.linear_operator(np.ones(len(rating)), rated)
    ratings = matrix.linear_operator(rating, rated)
    # Transposes are views: BLAS reads a transposed dense array directly, and scipy multiplies a
    # transposed CSR (a CSC view) about as fast as a copied one, without the copy.
    mask_t, ratings_t = mask.T, ratings.T
    per_participant = np.asarray(mask.sum(axis=1)).ravel()
    per_statement = np.asarray(mask.sum(axis=0)).ravel()

    seed = np.asarray(initial_axis, dtype=np.float64)
    seed = seed - seed.mean()
    spread = np.sqrt((seed**2).mean())
    f_user = seed / spread if spread > 0 else np.zeros(n)
    b_user = np.zeros(n)
    b_item, f_item = np.zeros(m), np.zeros(m)
    mu = float(rating.mean()) if len(rating) else 0.0

    sweeps = 0
    for sweeps in range(1, MAX_SWEEPS + 1):  # noqa: B007 (the count is reported after the loop)
        previous = b_item.copy()
        b_item, f_item = _ridge_pairs(mask_t, ratings_t, per_statement, b_user, f_user, mu)
        b_user, f_user = _ridge_pairs(mask, ratings, per_participant, b_item, f_item, mu)
        interaction = float(f_user @ (mask @ f_item))
        mu = (rating.sum() - per_participant @ b_user - per_statement @ b_item - interaction) / (
            len(rating) + INTERCEPT_PENALTY
        )
        f_user, b_item = _balance_factor_shift(f_user, b_item, f_item)
        f_item, b_user = _balance_factor_shift(f_item, b_user, f_user)
        b_user, b_item, mu = _balance_offsets(b_user, b_item, mu)
        f_user, f_item = _balance_scale(f_user, f_item)
        if np.max(np.abs(b_item - previous), initial=0.0) < TOLERANCE:
            break
    if f_user @ seed < 0:  # orient the factor like the seed axis
        f_item = -f_item
    return Bridging(b_item, f_item, per_statement.astype(np.int64), float(mu), sweeps)


def _ridge_pairs(mask, ratings, counts, other_b, other_f, mu):
    """For every row of ``mask``, the ridge solution (b, f) of r − μ − b_other ≈ b + f · f_other.

    Normal equations per row (sums over that row's ratings):
        [n + λi    Σf ] [b]   [Σt    ]
        [Σf   Σf² + λf] [f] = [Σt·f  ],   t = r − μ − b_other.
    """
    sums = mask @ np.column_stack([other_f, other_f**2, other_b, other_b * other_f])
    sum_f, sum_ff, sum_b, sum_bf = sums.T
    weighted = ratings @ np.column_stack([np.ones_like(other_f), other_f])
    target = weighted[:, 0] - mu * counts - sum_b
    target_f = weighted[:, 1] - mu * sum_f - sum_bf
    a11, a12, a22 = counts + INTERCEPT_PENALTY, sum_f, sum_ff + FACTOR_PENALTY
    det = a11 * a22 - a12 * a12
    return (a22 * target - a12 * target_f) / det, (a11 * target_f - a12 * target) / det


def _balance_offsets(b_user: np.ndarray, b_item: np.ndarray, mu: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Move a constant between μ and the two intercept vectors so their penalty is least.

    Predictions depend only on μ + b_u + b_s, so this never worsens the fit, but alternating updates
    alone drift along that flat direction for hundreds of sweeps.
    """
    n, m = len(b_user), len(b_item)
    total = (mu + b_user.mean() + b_item.mean()) / (1.0 + 1.0 / n + 1.0 / m)
    shift_user = (b_user.sum() - total) / n
    shift_item = (b_item.sum() - total) / m
    return b_user - shift_user, b_item - shift_item, total


def _balance_scale(f_user: np.ndarray, f_item: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rescale f_u·c and f_s/c so both factor vectors have equal norm: the same predictions with the
    least penalty (the other flat direction of alternating updates)."""
    norm_user, norm_item = np.linalg.norm(f_user), np.linalg.norm(f_item)
    if norm_user == 0 or norm_item == 0:
        return f_user, f_item
    c = np.sqrt(norm_item / norm_user)
    return f_user * c, f_item / c


def _balance_factor_shift(
    factors: np.ndarray, other_intercepts: np.ndarray, other_factors: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Shift one side's factors by α and absorb α·f into the other side's intercepts, with α chosen to
    minimise the penalty; predictions are unchanged.

    This is the direction that decides how much of a statement's support is called "bridging"
    (intercept) rather than "one side" (factor); it is pinned down only by the penalties, so it is solved
    exactly here instead of being left to slow alternating updates.
    """
    denominator = FACTOR_PENALTY * len(factors) + INTERCEPT_PENALTY * float(other_factors @ other_factors)
    if denominator == 0:
        return factors, other_intercepts
    alpha = (INTERCEPT_PENALTY * float(other_factors @ other_intercepts) - FACTOR_PENALTY * factors.sum()) / denominator
    return factors + alpha, other_intercepts - alpha * other_factors
