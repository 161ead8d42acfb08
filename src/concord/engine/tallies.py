"""Vote counts per group and statement: the one input that representativeness and consensus share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from concord.engine.votes import AGREE, DISAGREE, VoteMatrix

Direction = Literal["agree", "disagree"]  # the side of a statement a group or a consensus takes


@dataclass(frozen=True)
class GroupTallies:
    """Counts of agree (A), disagree (D) and seen (S, passes included) per group × statement."""

    agree: np.ndarray  # (k, m)
    disagree: np.ndarray  # (k, m)
    seen: np.ndarray  # (k, m)

    @property
    def n_groups(self) -> int:
        return self.agree.shape[0]

    def total(self) -> GroupTallies:
        """All groups pooled into one."""
        return GroupTallies(*(counts.sum(axis=0, keepdims=True) for counts in (self.agree, self.disagree, self.seen)))


def tally(matrix: VoteMatrix, labels: np.ndarray, n_groups: int | None = None) -> GroupTallies:
    """Count votes per (group, statement); participants labelled −1 are left out.

    One pass over the stored votes with bincount: linear in the number of votes.
    """
    labels = np.asarray(labels, dtype=np.int64)
    k = int(labels.max()) + 1 if n_groups is None else n_groups
    m = matrix.shape[1]
    group_of_vote = labels[matrix.vote_rows]
    counted = group_of_vote >= 0
    cell = group_of_vote[counted] * m + matrix.indices[counted]
    values = matrix.values[counted]
    size = max(k, 0) * m

    def count(selected: np.ndarray | None) -> np.ndarray:
        chosen = cell if selected is None else cell[selected]
        return np.bincount(chosen, minlength=size).reshape(k, m)

    return GroupTallies(count(values == AGREE), count(values == DISAGREE), count(None))
