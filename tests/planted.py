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
