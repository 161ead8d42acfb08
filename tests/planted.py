"""Planted conversations for the decision tests: a vote on a proposal alone (a district ballot), a
proposal among statements voted at random, and a real majority and minority with statements both
support and statements only the majority wants."""

from __future__ import annotations

import numpy as np

from concord.engine.votes import VoteMatrix, build_vote_matrix


def ballot(agree: int, disagree: int, statement: int = 0) -> VoteMatrix:
    """A conversation holding one proposal and its votes: ``agree`` for, ``disagree`` against."""
    votes = np.array([1] * agree + [-1] * disagree)
    return build_vote_matrix(np.arange(len(votes)), np.full(len(votes), statement), votes)


def noise_and_proposal(participants: int, seed: int, share: float = 0.7, statements: int = 19) -> VoteMatrix:
    """``statements`` statements that everyone votes on at random (agree, disagree or pass alike), and a
    proposal (the last statement) that ``share`` of them, drawn at random, agree with."""
    rng = np.random.default_rng(seed)
    noise = rng.choice(np.array([-1, 0, 1]), size=(participants, statements))
    yes = rng.permutation(participants) < round(share * participants)
    votes = np.column_stack([noise, np.where(yes, 1, -1)])
    rows, columns = np.indices(votes.shape)
    return build_vote_matrix(rows.ravel(), columns.ravel(), votes.ravel())


def majority_and_minority(
    seed: int = 0,
    *,
    real: int = 100,
    minority: float = 0.2,
    bloc: float = 0.0,
    bloc_vote: int = -1,
    noise: float = 0.0,
) -> tuple[VoteMatrix, np.ndarray, list[int], list[int]]:
    """A real majority and minority (80 % / 20 % of ``real`` people, arriving at random over a day) who
    split on 20 statements of a deliberation, both support 5 statements and only the majority wants 5
    more; each person takes their group's side with probability 0.9 and passes 10 % of the time.

    A bloc of new accounts (``bloc`` of everyone once they joined) arrives within an hour after the
    last real person and casts ``bloc_vote`` on every statement, each vote replaced by another at
    random with probability ``noise``. Returns the matrix, arrival times by participant id (ms), and the
    statement ids that both groups support and that only the majority wants."""
    rng = np.random.default_rng(seed)
    day = 24 * 3600 * 1000
    in_minority = rng.permutation(real) < round(minority * real)
    split = rng.permutation(np.array([1] * 10 + [-1] * 10))  # the majority's side on the deliberation
    stance = np.concatenate([split, np.ones(5), np.ones(5)])
    minority_stance = np.concatenate([-split, np.ones(5), -np.ones(5)])
    sides = np.where(in_minority[:, None], minority_stance[None, :], stance[None, :])
    agrees = rng.random(sides.shape) < 0.9
    votes = np.where(agrees, sides, -sides)
    votes = np.where(rng.random(sides.shape) < 0.1, 0, votes).astype(np.int64)
    arrival = np.sort(rng.integers(0, day, real))[rng.permutation(real)]
    accounts = round(bloc * real / (1 - bloc)) if bloc else 0
    if accounts:
        cast = np.full((accounts, votes.shape[1]), bloc_vote)
        replaced = rng.random(cast.shape) < noise
        others = np.array([[v for v in (-1, 0, 1) if v != bloc_vote]])
        cast = np.where(replaced, others[0, rng.integers(0, 2, cast.shape)], cast)
        votes = np.vstack([votes, cast])
        arrival = np.concatenate([arrival, day + np.sort(rng.integers(0, 3600 * 1000, accounts))])
    rows, columns = np.indices(votes.shape)
    matrix = build_vote_matrix(rows.ravel(), columns.ravel(), votes.ravel())
    return matrix, arrival, list(range(20, 25)), list(range(25, 30))


def vote_rows(matrix: VoteMatrix) -> list[list[int | None]]:
    """Each participant's votes by statement (None: not seen), for casting them through the service."""
    rows: list[list[int | None]] = [[None] * matrix.shape[1] for _ in range(matrix.shape[0])]
    for row in range(matrix.shape[0]):
        for index in range(matrix.indptr[row], matrix.indptr[row + 1]):
            rows[row][int(matrix.indices[index])] = int(matrix.values[index])
    return rows
