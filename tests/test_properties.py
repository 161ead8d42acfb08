"""Properties that must hold for any conversation, checked by Hypothesis over random planted-group
conversations (Hypothesis draws sizes and seeds; numpy draws the votes)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.metrics import adjusted_rand_score

from concord.engine.analysis import AnalysisParams, DeclaredGroups, analyze
from concord.engine.synthetic import planted_conversation
from concord.engine.votes import build_vote_matrix

conversations = st.fixed_dictionaries(
    {
        "participants": st.integers(30, 120),
        "statements": st.integers(8, 30),
        "votes_each": st.integers(5, 20),
        "groups": st.integers(1, 4),
        "seed": st.integers(0, 2**32 - 1),
    }
)
FAST = AnalysisParams(restarts=4)


def make(spec):
    c = planted_conversation(
        spec["participants"],
        spec["statements"],
        spec["participants"] * spec["votes_each"],
        spec["groups"],
        spec["seed"],
    )
    return c, build_vote_matrix(c.participant, c.statement, c.vote)


def partition(analysis, ids=None):
    ids = analysis.matrix.participant_ids if ids is None else ids
    labels = analysis.groups.labels
    return {frozenset(ids[labels == g].tolist()) for g in range(analysis.groups.k)}


def scores_by_id(analysis, values, ids=None):
    ids = analysis.matrix.statement_ids if ids is None else ids
    return dict(zip(ids.tolist(), np.round(values, 9).tolist()))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations, st.randoms(use_true_random=False))
def test_input_order_and_ids_do_not_change_the_result(spec, random):
    c, matrix = make(spec)
    baseline = analyze(matrix, FAST)

    # Shuffle the file's rows and give participants and statements new, unrelated ids.
    order = np.array(random.sample(range(len(c.vote)), len(c.vote)))
    new_pid = np.array(random.sample(range(10**6), spec["participants"]))
    new_sid = np.array(random.sample(range(10**6), spec["statements"]))
    relabelled = analyze(
        build_vote_matrix(new_pid[c.participant[order]], new_sid[c.statement[order]], c.vote[order]), FAST
    )
    # Map the new ids back to the old ones to compare.
    back_pid = dict(zip(new_pid.tolist(), range(spec["participants"])))
    back_sid = dict(zip(new_sid.tolist(), range(spec["statements"])))
    old_pids = np.array([back_pid[p] for p in relabelled.matrix.participant_ids.tolist()])
    old_sids = np.array([back_sid[s] for s in relabelled.matrix.statement_ids.tolist()])

    assert partition(relabelled, old_pids) == partition(baseline)
    for side in ("agree", "disagree"):
        assert scores_by_id(relabelled, getattr(relabelled.opinion.consensus, side), old_sids) == scores_by_id(
            baseline, getattr(baseline.opinion.consensus, side)
        )
    before = scores_by_id(baseline, baseline.bridging.intercept)
    after = scores_by_id(relabelled, relabelled.bridging.intercept, old_sids)
    assert all(abs(before[s] - after[s]) < 1e-6 for s in before)


@settings(max_examples=10, deadline=None)
@given(st.integers(2, 3), st.integers(0, 2**32 - 1))
def test_planted_groups_are_recovered(groups, seed):
    """100 votes each (the density of the scale target, 100,000 × 2,000 × 10 M). Labels from the true
    agree probabilities (the Bayes-optimal rule) reach ARI 0.97–0.99 here, so 0.9 leaves room only
    for noise, not for a wrong method."""
    c = planted_conversation(600, 200, 600 * 100, groups, seed)
    analysis = analyze(build_vote_matrix(c.participant, c.statement, c.vote))
    labels = analysis.groups.labels
    ids = analysis.matrix.participant_ids
    clustered = labels >= 0
    assert analysis.groups.k == groups
    assert adjusted_rand_score(c.planted[ids[clustered]], labels[clustered]) >= 0.9


def test_more_dimensions_separate_groups_that_two_merge():
    """Four planted groups: the 2-D Pol.is map merges some (as red-dwarf found, polis-math.md §3.4);
    clustering on 4 principal axes recovers all four."""
    c = planted_conversation(2000, 400, 2000 * 100, 4, seed=1)
    matrix = build_vote_matrix(c.participant, c.statement, c.vote)
    truth = c.planted[matrix.participant_ids]
    two_d = analyze(matrix)
    assert two_d.groups.k == 3
    assert adjusted_rand_score(truth, two_d.groups.labels) < 0.8
    four_d = analyze(matrix, AnalysisParams(dimensions=4))
    assert four_d.groups.k == 4
    assert adjusted_rand_score(truth, four_d.groups.labels) >= 0.95


def with_extra_statements(c, columns: dict[int, np.ndarray]):
    """The conversation plus statements on which every participant votes as given."""
    participants = np.arange(len(c.planted))
    p, s, v = [c.participant], [c.statement], [c.vote]
    for sid, votes in columns.items():
        p.append(participants)
        s.append(np.full(len(participants), sid))
        v.append(votes.astype(np.int8))
    return build_vote_matrix(np.concatenate(p), np.concatenate(s), np.concatenate(v))


@settings(max_examples=20, deadline=None)
@given(conversations)
def test_a_statement_everyone_agrees_with_ranks_first(spec):
    c, _ = make(spec)
    everyone = 10**6
    matrix = with_extra_statements(c, {everyone: np.ones(len(c.planted))})
    analysis = analyze(matrix, FAST)
    column, side, _ = analysis.opinion.consensus.ranked(analysis.eligible)[0]
    assert (int(analysis.matrix.statement_ids[column]), side) == (everyone, "agree")


@settings(max_examples=20, deadline=None)
@given(conversations.filter(lambda spec: spec["groups"] >= 2))
def test_majority_support_never_outranks_support_from_every_group(spec):
    """Declared groups = the planted ones. Statement A: every group's members agree. Statement B:
    the largest group agrees, every other group disagrees. A must rank above B."""
    c, _ = make(spec)
    sizes = np.bincount(c.planted, minlength=spec["groups"])
    if (sizes > 0).sum() < 2:
        return
    largest = int(np.argmax(sizes))
    all_groups, majority_only = 10**6, 10**6 + 1
    matrix = with_extra_statements(
        c,
        {
            all_groups: np.ones(len(c.planted)),
            majority_only: np.where(c.planted == largest, 1, -1),
        },
    )
    declared = DeclaredGroups.from_mapping(matrix, {int(i): f"g{g}" for i, g in enumerate(c.planted)})
    analysis = analyze(matrix, FAST, declared=declared)
    for comparison in (analysis.declared, analysis.opinion):
        ranking = [int(analysis.matrix.statement_ids[j]) for j, _, _ in comparison.consensus.ranked(analysis.eligible)]
        assert ranking.index(all_groups) < ranking.index(majority_only)
