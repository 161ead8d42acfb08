"""Synthetic conversations with planted opinion groups, to measure what the engine recovers and how
its cost grows.

Each planted group has its own agree probability per statement, drawn from U(0.1, 0.9) as in the
red-dwarf measurements of shared/docs/polis-math.md §3.4; 15 % of votes are passes; each participant
votes on a random subset of statements, of a size that varies around the mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PASS_SHARE = 0.15


@dataclass(frozen=True)
class SyntheticConversation:
    participant: np.ndarray  # (votes,) participant id of each vote event, in time order
    statement: np.ndarray  # (votes,) statement id
    vote: np.ndarray  # (votes,) +1 / 0 / −1
    planted: np.ndarray  # (participants,) planted group of each participant id 0 … n−1
    agree_probability: np.ndarray  # (groups, statements)


def planted_conversation(
    participants: int,
    statements: int,
    votes: int,
    groups: int = 3,
    seed: int = 0,
    group_shares: np.ndarray | None = None,
) -> SyntheticConversation:
    """A conversation of about ``votes`` votes (slightly fewer: a participant's repeated draws of the
    same statement count once)."""
    if participants < 1 or statements < 1 or groups < 1 or votes < 1:
        raise ValueError("participants, statements, votes and groups must all be positive")
    rng = np.random.default_rng(seed)
    shares = np.full(groups, 1.0 / groups) if group_shares is None else np.asarray(group_shares, float)
    planted = rng.choice(groups, size=participants, p=shares / shares.sum())
    agree_probability = rng.uniform(0.1, 0.9, size=(groups, statements))

    mean_votes = votes / participants
    per_participant = np.clip(
        np.round(rng.uniform(0.5, 1.5, size=participants) * mean_votes), 1, statements
    ).astype(np.int64)
    participant = np.repeat(np.arange(participants, dtype=np.int64), per_participant)
    statement = rng.integers(0, statements, size=len(participant), dtype=np.int64)
    cell = participant * statements + statement
    cell = np.unique(cell)  # a participant votes once per statement; also sorts by participant
    participant, statement = cell // statements, cell % statements

    agree = agree_probability[planted[participant], statement]
    draw = rng.random(len(cell))
    vote = np.where(draw < PASS_SHARE, 0, np.where(rng.random(len(cell)) < agree, 1, -1)).astype(np.int8)
    order = rng.permutation(len(cell))  # votes arrive interleaved in time
    return SyntheticConversation(
        participant[order], statement[order], vote[order], planted, agree_probability
    )
