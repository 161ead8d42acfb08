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
    """A conversation of ``votes`` votes (fewer only if every participant has voted on everything)."""
    if participants < 1 or statements < 1 or groups < 1 or votes < 1:
        raise ValueError("participants, statements, votes and groups must all be positive")
    rng = np.random.default_rng(seed)
    shares = np.full(groups, 1.0 / groups) if group_shares is None else np.asarray(group_shares, float)
    planted = rng.choice(groups, size=participants, p=shares / shares.sum())
    agree_probability = rng.uniform(0.1, 0.9, size=(groups, statements))

    mean_votes = min(votes / participants, statements)
    per_participant = np.clip(np.round(rng.uniform(0.5, 1.5, size=participants) * mean_votes), 1, statements).astype(
        np.int64
    )
    _adjust_total(rng, per_participant, min(votes, participants * statements), statements)
    cell = _distinct_cells(rng, per_participant, statements)
    if len(cell) > votes:  # rounding overshoot: drop a random few
        cell = np.sort(rng.choice(cell, size=votes, replace=False))
    participant, statement = cell // statements, cell % statements

    agree = agree_probability[planted[participant], statement]
    draw = rng.random(len(cell))
    vote = np.where(draw < PASS_SHARE, 0, np.where(rng.random(len(cell)) < agree, 1, -1)).astype(np.int8)
    order = rng.permutation(len(cell))  # votes arrive interleaved in time
    return SyntheticConversation(participant[order], statement[order], vote[order], planted, agree_probability)


def _adjust_total(rng: np.random.Generator, counts: np.ndarray, total: int, ceiling: int) -> None:
    """Add or remove single votes at random participants (within 1 … ceiling) until the counts sum to
    ``total``; rounding each participant's count leaves the sum a little off."""
    while (gap := total - int(counts.sum())) != 0:
        room = np.flatnonzero(counts < ceiling) if gap > 0 else np.flatnonzero(counts > 1)
        chosen = rng.choice(room, size=min(abs(gap), len(room)), replace=False)
        counts[chosen] += 1 if gap > 0 else -1


def _distinct_cells(rng: np.random.Generator, per_participant: np.ndarray, statements: int) -> np.ndarray:
    """Sorted distinct (participant · statements + statement) cells, ``per_participant[i]`` of them for
    participant i: statements drawn at random, redrawing the few that repeat."""
    participant = np.repeat(np.arange(len(per_participant), dtype=np.int64), per_participant)
    cell = np.unique(participant * statements + rng.integers(0, statements, size=len(participant)))
    for _ in range(1000):  # a participant who votes on nearly everything needs many redraws
        missing = per_participant - np.bincount(cell // statements, minlength=len(per_participant))
        if not missing.any():
            break
        extra = np.repeat(np.arange(len(per_participant), dtype=np.int64), missing)
        cell = np.union1d(cell, extra * statements + rng.integers(0, statements, size=len(extra)))
    return cell
