"""The engine's building blocks against independent computations."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import silhouette_score

from concord.engine.bridging import fit_bridging
from concord.engine.groups import candidate_group_counts, clustered_participants
from concord.engine.kmeans import silhouette
from concord.engine.projection import top_eigenpairs
from concord.engine.repness import one_proportion_z, two_proportion_z
from concord.engine.votes import build_vote_matrix


def test_lanczos_matches_a_full_eigendecomposition():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 40)) * np.linspace(3, 0.1, 40)
    gram = x.T @ x
    values, vectors = top_eigenpairs(lambda v: gram @ v, 40, 3, np.ones(40))
    exact_values, exact_vectors = np.linalg.eigh(gram)
    assert values == pytest.approx(exact_values[::-1][:3], rel=1e-9)
    for found, exact in zip(vectors, exact_vectors[:, ::-1].T):
        assert abs(found @ exact) == pytest.approx(1.0, abs=1e-9)


def test_silhouette_matches_scikit_learn():
    rng = np.random.default_rng(1)
    points = np.vstack([rng.normal(0, 1, (30, 2)), rng.normal(5, 1, (20, 2)), rng.normal((0, 6), 1, (25, 2))])
    labels = np.repeat([0, 1, 2], [30, 20, 25])
    assert silhouette(points, labels) == pytest.approx(silhouette_score(points, labels), rel=1e-12)


def test_candidate_k_follows_the_base_cluster_count():
    """polis-math.md §1.8: < 12 base clusters → k = 2 only; 12–23 → 2–3; 24–35 → 2–4; ≥ 36 → 2–5."""
    assert list(candidate_group_counts(11)) == [2]
    assert list(candidate_group_counts(12)) == [2, 3]
    assert list(candidate_group_counts(35)) == [2, 3, 4]
    assert list(candidate_group_counts(100)) == [2, 3, 4, 5]


def test_clustering_threshold_and_top_up():
    """≥ min(7, N) votes, topped up to 15 with the heaviest voters (ties kept together)."""
    counts = np.array([9, 8, 7, 6, 6, 5, 3, 1, 0] + [2] * 12)
    chosen = clustered_participants(counts, n_statements=50)
    assert chosen[:3].all() and chosen.sum() >= 15 and not chosen[8]
    assert clustered_participants(np.array([3, 3, 2]), n_statements=3).tolist() == [True, True, True]


def test_proportion_tests_match_hand_values():
    # 8 of 10 agree: 2·sqrt(11)·(9/11 − 1/2)
    assert one_proportion_z(np.array(8.0), np.array(10.0)) == pytest.approx(2 * np.sqrt(11) * (9 / 11 - 0.5))
    # 8/10 vs 3/20 with one pseudo-count on each count: p1 = 9/11, p2 = 4/21, pooled 13/32
    p1, p2, pooled = 9 / 11, 4 / 21, 13 / 32
    expected = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1 / 11 + 1 / 21))
    assert two_proportion_z(np.array(8.0), np.array(3.0), np.array(10.0), np.array(20.0)) == pytest.approx(expected)


def test_bridging_scores_support_from_both_sides_above_support_from_one():
    """Two camps of 50 who disagree on 20 divisive statements. Statement 20 is liked by everyone;
    statement 21 by camp A only; statement 22 by nobody."""
    rng = np.random.default_rng(2)
    camp = np.repeat([0, 1], 50)
    participants, statements, votes = [], [], []
    for p in range(100):
        for s in range(23):
            if s < 20:
                agree_probability = 0.9 if (s % 2 == camp[p]) else 0.1
            else:
                agree_probability = {20: 0.9, 21: 0.9 if camp[p] == 0 else 0.1, 22: 0.1}[s]
            participants.append(p)
            statements.append(s)
            votes.append(1 if rng.random() < agree_probability else -1)
    matrix = build_vote_matrix(participants, statements, votes)
    bridging = fit_bridging(matrix, np.where(camp == 0, 1.0, -1.0))
    assert bridging.intercept[20] > bridging.intercept[21] > bridging.intercept[22]
    assert abs(bridging.factor[21]) > 3 * abs(bridging.factor[20])
    assert bridging.ranked(np.ones(23, bool))[0][0] == 20


def test_tiny_conversations_are_analysed():
    """One statement, or votes that all agree, leave fewer independent directions than map axes."""
    from concord.engine.analysis import analyze

    for participants, statements, votes in [
        ([0], [0], [1]),
        ([0, 1, 2], [0, 0, 0], [1, 1, 1]),
        ([0, 1, 0, 1], [0, 0, 1, 1], [1, -1, 1, -1]),
    ]:
        analysis = analyze(build_vote_matrix(participants, statements, votes))
        assert analysis.projection.positions.shape == (len(set(participants)), 2)
        assert analysis.groups.labels.max() <= 1


def test_every_group_takes_a_side_only_with_enough_voters_and_confidence():
    """The verdict behind "what every group agrees on": a majority of every group, 3+ voters each,
    90 % one-sided Wilson bound above one half. GIC alone would rank the majority's statement first."""
    from concord.engine.consensus import group_informed_consensus, wilson_lower_bound
    from concord.engine.tallies import GroupTallies

    assert wilson_lower_bound(np.array([1, 3, 0]), np.array([1, 3, 0]), 1.2816).round(3).tolist() == [0.378, 0.646, 0.0]
    # statements: 0 both groups agree; 1 group A 84 % agree, group B 100 % disagree (the Dari case);
    # 2 nobody voted; 3 both agree but group B has only 2 voters; 4 both disagree
    agree = np.array([[19, 16, 0, 19, 1], [5, 0, 0, 2, 0]])
    disagree = np.array([[1, 3, 0, 1, 18], [0, 6, 0, 0, 6]])
    seen = np.array([[20, 19, 0, 20, 20], [6, 6, 0, 2, 6]])
    found = group_informed_consensus(GroupTallies(agree, disagree, seen))
    assert found.every_group_agrees.tolist() == [True, False, False, False, False]
    assert found.every_group_disagrees.tolist() == [False, False, False, False, True]
    assert found.opposed_by_a_group.tolist() == [False, True, False, False, True]

    nobody = group_informed_consensus(GroupTallies(*(np.zeros((0, 3), dtype=np.int64) for _ in range(3))))
    assert not nobody.every_group_agrees.any() and not nobody.every_group_disagrees.any()


def _three_opinion_groups(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Continuous positions (so all distinct) in three blobs of 50, 30 and 20 %, and each one's blob."""
    rng = np.random.default_rng(seed)
    blob = rng.choice(3, size=n, p=[0.5, 0.3, 0.2])
    centres = np.array([[-2.0, 0.0], [2.0, 1.0], [0.0, 3.0]])
    return centres[blob] + rng.normal(0, 0.6, (n, 2)), blob


def test_a_national_conversations_groups_from_grid_cells_are_those_of_every_position(monkeypatch):
    """Past MAX_POINTS distinct positions the base k-means runs on grid cells (groups.py): the groups are
    the same people as clustering every position exactly, whatever the order of the rows."""
    from concord.engine import groups

    positions, blob = _three_opinion_groups(groups.MAX_POINTS + 15_000, seed=3)
    clustered = np.ones(len(positions), dtype=bool)
    cells = groups.find_groups(positions, clustered, restarts=2)
    assert len(np.unique(np.round(positions, groups.POSITION_DECIMALS), axis=0)) > groups.MAX_POINTS
    with monkeypatch.context() as patched:
        patched.setattr(groups, "MAX_POINTS", len(positions))  # every position its own point
        exact = groups.find_groups(positions, clustered, restarts=2)
    assert cells.k == exact.k == 3
    assert (cells.labels == exact.labels).mean() > 0.99
    assert (cells.labels == blob).mean() > 0.97  # and they are the planted groups (0 is the largest)
    order = np.random.default_rng(4).permutation(len(positions))
    shuffled = groups.find_groups(positions[order], clustered, restarts=2)
    assert np.array_equal(shuffled.labels, cells.labels[order])
