"""Cross-group consensus: statements that every group supports, never a raw majority.

Group-informed consensus (polis-math.md §1.10) multiplies each group's smoothed agreement,

    GIC_j = Π_g (A_gj + 1)/(S_gj + 2),

so a single group that rejects a statement pulls its score towards 0 however large the other groups
are. The disagree variant (red-dwarf's addition) does the same with disagree counts: statements that
every group rejects. The "majority" lists are Pol.is's other, group-blind measure, kept for comparison.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from concord.engine.repness import Z_90, one_proportion_z
from concord.engine.tallies import Direction, GroupTallies

MAJORITY_LIST_LENGTH = 5  # §1.10: top 5 per side


@dataclass(frozen=True)
class Consensus:
    agree: np.ndarray  # (m,) group-informed consensus for agreeing
    disagree: np.ndarray  # (m,) ... and for disagreeing

    def ranked(self, eligible: np.ndarray) -> list[tuple[int, Direction, float]]:
        """(statement, direction, score) best first; each statement once, on its stronger side."""
        agree_wins = self.agree >= self.disagree
        score = np.where(agree_wins, self.agree, self.disagree)
        columns = np.flatnonzero(eligible)
        order = columns[np.lexsort((columns, -score[columns]))]
        return [(int(j), "agree" if agree_wins[j] else "disagree", float(score[j])) for j in order]


def group_informed_consensus(tallies: GroupTallies) -> Consensus:
    seen = tallies.seen + 2.0
    return Consensus(
        agree=np.prod((tallies.agree + 1.0) / seen, axis=0),
        disagree=np.prod((tallies.disagree + 1.0) / seen, axis=0),
    )


def majority_consensus(
    tallies: GroupTallies, eligible: np.ndarray, limit: int = MAJORITY_LIST_LENGTH
) -> dict[str, list[tuple[int, float]]]:
    """Pol.is's group-blind lists: more than half of all voters on one side with 90 % significance,
    top ``limit`` by p·z. A large group alone can carry these; they are shown to contrast with GIC."""
    everyone = tallies.total()
    seen = everyone.seen[0].astype(np.float64)
    result: dict[str, list[tuple[int, float]]] = {}
    for direction, counts in (("agree", everyone.agree[0]), ("disagree", everyone.disagree[0])):
        share = (counts + 1.0) / (seen + 2.0)
        z = one_proportion_z(counts.astype(np.float64), seen)
        passing = np.flatnonzero(eligible & (share > 0.5) & (z > Z_90))
        score = share[passing] * z[passing]
        order = passing[np.lexsort((passing, -score))][:limit]
        result[direction] = [(int(j), float(share[j])) for j in order]
    return result
