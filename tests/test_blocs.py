"""Coordinated blocs (concord.engine.blocs): planted blocs found whole, real minorities and real
conversations left alone, the arrival window, the minimum size, exempt accounts, independence from row
order, counting a bloc once, and the declared parameter limits."""

from __future__ import annotations

import numpy as np
import pytest

from concord.engine.blocs import Bloc, BlocParams, counted_once, find_blocs, first_arrivals
from concord.engine.votes import VoteMatrix, build_vote_matrix
from concord.formats.polis import read_export
from conftest import CONVERSATIONS, POLIS_DATA

MINUTE, HOUR, DAY = 60_000, 3_600_000, 86_400_000


def matrix_of(votes: np.ndarray) -> VoteMatrix:
    """Rows of votes (+1, 0, −1; NaN: not seen) as a matrix; participant i has id i."""
    rows, columns = np.nonzero(~np.isnan(votes))
    return build_vote_matrix(rows, columns, votes[rows, columns].astype(np.int64))


def crowd(people: int, statements: int, rng: np.random.Generator) -> np.ndarray:
    """Real-looking voters: three opinion groups with agree probabilities U(0.1, 0.9) per statement,
    15 % passes, each person seeing about half of the statements."""
    group = rng.integers(0, 3, people)
    agree = rng.uniform(0.1, 0.9, (3, statements))[group]
    votes = np.where(rng.random((people, statements)) < agree, 1.0, -1.0)
    votes[rng.random(votes.shape) < 0.15] = 0.0
    votes[rng.random(votes.shape) < 0.5] = np.nan
    return votes


def alike(accounts: int, statements: int, vote: float, noise: float, rng: np.random.Generator) -> np.ndarray:
    """Accounts casting ``vote`` on every statement, each vote replaced by another value with
    probability ``noise``."""
    votes = np.full((accounts, statements), vote)
    replaced = rng.random(votes.shape) < noise
    votes[replaced] = (votes[replaced] + 1 + rng.integers(1, 3, int(replaced.sum()))) % 3 - 1
    return votes


def attacked(noise: float, seed: int = 0) -> tuple[VoteMatrix, np.ndarray, np.ndarray]:
    """400 real voters arriving over three days and a bloc of 60 arriving within an hour on the second
    day: (matrix, arrival per row, the bloc's participant ids)."""
    rng = np.random.default_rng(seed)
    votes = np.vstack([crowd(400, 150, rng), alike(60, 150, -1.0, noise, rng)])
    arrival = np.concatenate([rng.integers(0, 3 * DAY, 400), DAY + rng.integers(0, HOUR, 60)])
    return matrix_of(votes), arrival, np.arange(400, 460)


def members(blocs: list[Bloc]) -> set[int]:
    return {p for bloc in blocs for p in bloc.participants}


@pytest.mark.parametrize("noise", [0.0, 0.03])
def test_a_planted_bloc_is_found_whole(noise):
    matrix, arrival, bloc_ids = attacked(noise)
    blocs = find_blocs(matrix, arrival)
    assert len(blocs) == 1 and blocs[0].participants == sorted(bloc_ids, key=lambda p: (arrival[p], p))
    (bloc,) = blocs
    assert bloc.statements == 150 and bloc.arrival_span_ms is not None and bloc.arrival_span_ms < HOUR
    assert (bloc.agreement == 1.0) if noise == 0 else (0.95 < bloc.agreement < 1.0)
    assert list(matrix.participant_ids[bloc.rows]) == bloc.participants
    without_times = find_blocs(matrix, None)
    assert members(without_times) == set(bloc_ids) and without_times[0].arrival_span_ms is None


def test_a_real_minority_keeps_its_veto():
    """Two real groups (80 % and 20 % of 200) voting their group's stance with probability 0.85 on 30
    statements, passing now and then, arriving at random over a day: no bloc, with or without times."""
    rng = np.random.default_rng(1)
    group = (np.arange(200) >= 160).astype(int)
    stance = rng.choice([-1.0, 1.0], size=(2, 30))[group]
    votes = np.where(rng.random((200, 30)) < 0.85, stance, -stance)
    votes[rng.random(votes.shape) < 0.1] = 0.0
    matrix = matrix_of(votes)
    assert find_blocs(matrix, rng.integers(0, DAY, 200)) == []
    assert find_blocs(matrix, None) == []


def test_identical_voters_who_arrived_hours_apart_are_not_linked():
    """Five accounts voting identically: a bloc when they arrive within minutes; the one who came six
    hours later is not linked to the others; spread hours apart, no bloc."""
    rng = np.random.default_rng(2)
    matrix = matrix_of(np.vstack([crowd(100, 40, rng), alike(5, 40, 1.0, 0.0, rng)]))
    real = rng.integers(0, DAY, 100)
    minutes = np.concatenate([real, 5 * HOUR + MINUTE * np.arange(5)])
    assert [bloc.participants for bloc in find_blocs(matrix, minutes)] == [[100, 101, 102, 103, 104]]
    one_late = np.concatenate([real, 5 * HOUR + MINUTE * np.arange(4), [11 * HOUR]])
    four = BlocParams(min_size=4)
    assert [bloc.participants for bloc in find_blocs(matrix, one_late, four)] == [[100, 101, 102, 103]]
    hours = np.concatenate([real, 5 * HOUR * np.arange(1, 6)])
    assert find_blocs(matrix, hours) == []


@pytest.mark.parametrize(("accounts", "blocs"), [(4, 0), (5, 1)])
def test_fewer_accounts_than_the_minimum_size_are_no_bloc(accounts, blocs):
    rng = np.random.default_rng(3)
    votes = np.vstack([crowd(100, 40, rng), alike(accounts, 40, -1.0, 0.0, rng)])
    arrival = np.concatenate([rng.integers(0, DAY, 100), DAY + MINUTE * np.arange(accounts)])
    assert len(find_blocs(matrix_of(votes), arrival)) == blocs


def test_accounts_that_only_pass_alike_are_no_bloc():
    """Passes are no vote in any tally, and real people pass through whole conversations."""
    rng = np.random.default_rng(4)
    votes = np.vstack([crowd(100, 40, rng), alike(20, 40, 0.0, 0.0, rng)])
    assert find_blocs(matrix_of(votes), None) == []


def test_exempt_accounts_are_never_in_a_bloc():
    matrix, arrival, bloc_ids = attacked(0.0)
    exempt = np.zeros(matrix.shape[0], dtype=bool)
    exempt[bloc_ids[:3]] = True
    (bloc,) = find_blocs(matrix, arrival, exempt=exempt)
    assert set(bloc.participants) == set(bloc_ids[3:])
    exempt[bloc_ids[:-4]] = True  # four left: too few
    assert find_blocs(matrix, arrival, exempt=exempt) == []


def test_the_answer_does_not_depend_on_the_order_of_rows():
    """Participants renamed in another order (so the matrix rows come in another order): the same
    people in the same blocs, in the same order."""
    matrix, arrival, _ = attacked(0.03, seed=5)
    rename = np.random.default_rng(6).permutation(matrix.shape[0])  # new id of participant i
    rows = matrix.vote_rows
    shuffled = build_vote_matrix(rename[rows], matrix.indices, matrix.values)
    old_id = np.argsort(rename)
    for times, renamed_times in ((arrival, arrival[old_id]), (None, None)):
        before = [(b.participants, b.agreement, b.statements) for b in find_blocs(matrix, times)]
        after = [
            ([int(old_id[p]) for p in b.participants], b.agreement, b.statements)
            for b in find_blocs(shuffled, renamed_times)
        ]
        if times is None:  # without times, members are in id order: compare them as sets
            before = [(sorted(p), a, s) for p, a, s in before]
            after = [(sorted(p), a, s) for p, a, s in after]
        assert after == before and before


def test_the_answer_does_not_depend_on_how_the_work_is_cut(monkeypatch):
    """Blocks of rows, pairs counted one by one or by products, links handed to connected_components
    in slices: the same blocs however small the pieces."""
    import concord.engine.blocs as blocs

    matrix, arrival, _ = attacked(0.03, seed=7)
    expected = [(b.participants, b.agreement) for b in find_blocs(matrix, arrival)]
    for name, value in (("BLOCK", 7), ("PARTNERS", 13), ("FEW", 1), ("SLICE", 50)):
        monkeypatch.setattr(blocs, name, value)
        assert [(b.participants, b.agreement) for b in find_blocs(matrix, arrival)] == expected, name


def test_a_bloc_counted_once_keeps_its_first_members_votes_only():
    matrix, arrival, bloc_ids = attacked(0.03)
    blocs = find_blocs(matrix, arrival)
    once = counted_once(matrix, blocs)
    first, others = blocs[0].participants[0], set(blocs[0].participants[1:])
    assert first == min(bloc_ids, key=lambda p: (arrival[p], p))
    assert list(once.participant_ids) == [p for p in matrix.participant_ids if p not in others]
    assert once.n_votes == matrix.n_votes - sum(np.diff(matrix.indptr)[sorted(others)])
    for row, pid in enumerate(once.participant_ids):
        kept, original = slice(*once.indptr[row : row + 2]), slice(*matrix.indptr[pid : pid + 2])
        assert np.array_equal(once.indices[kept], matrix.indices[original])
        assert np.array_equal(once.values[kept], matrix.values[original])
    untouched = counted_once(matrix, [])
    assert np.array_equal(untouched.participant_ids, matrix.participant_ids) and untouched.n_votes == matrix.n_votes


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("agreement", 0.4, "agreement must be from 0.5 to 1.0, not 0.4"),
        ("agreement", 1.01, "agreement must be from 0.5 to 1.0"),
        ("min_shared", 0, "min_shared must be from 1 to 100000, not 0"),
        ("min_shared", 2.5, "min_shared must be a whole number from 1 to 100000"),
        ("window_ms", -1, "window_ms must be from 0 to 31536000000"),
        ("min_size", 1, "min_size must be from 2 to 1000000"),
        ("density", 1.5, "density must be from 0.0 to 1.0"),
    ],
)
def test_parameters_out_of_range_raise_with_their_limits(field, value, message):
    with pytest.raises(ValueError, match=message):
        BlocParams(**{field: value})


def test_arrivals_are_first_votes_and_must_fit_the_matrix():
    matrix = matrix_of(np.array([[1.0, -1.0], [0.0, np.nan]]))
    arrival = first_arrivals(matrix, np.array([1, 0, 0, 7]), np.array([50, 30, 10, 5]))
    assert arrival.tolist() == [10, 50]
    with pytest.raises(ValueError, match="participant 1 has no vote event"):
        first_arrivals(matrix, np.array([0]), np.array([10]))
    with pytest.raises(ValueError, match="arrival_ms has 1 values for 2 participants"):
        find_blocs(matrix, np.array([0]))


def test_real_conversations_flag_under_one_percent():
    """None of the real participants is a known bloc: every account flagged is a false positive. With
    arrival times where the export has them (votes.csv), and with every time dropped."""
    participants = flagged = flagged_without_times = 0
    for name in CONVERSATIONS:
        export = read_export(POLIS_DATA / name, keep_events=True)
        arrival = None
        if (POLIS_DATA / name / "votes.csv").is_file():
            arrival = first_arrivals(export.votes, export.events.participant, export.events.timestamp)
        participants += export.votes.shape[0]
        flagged += sum(len(bloc) for bloc in find_blocs(export.votes, arrival))
        flagged_without_times += sum(len(bloc) for bloc in find_blocs(export.votes, None))
    assert flagged < 0.01 * participants, f"{flagged} of {participants}"
    assert flagged_without_times < 0.01 * participants, f"{flagged_without_times} of {participants}"
