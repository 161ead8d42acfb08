"""Cross-group consensus: statements that every group supports, never a raw majority.

Group-informed consensus (polis-math.md §1.10) multiplies each group's smoothed agreement,

    GIC_j = Π_g (A_gj + 1)/(S_gj + 2),

so a single group that rejects a statement pulls its score towards 0 however large the other groups
are. The disagree variant (red-dwarf's addition) does the same with disagree counts: statements that
every group rejects. The "majority" lists are Pol.is's other, group-blind measure, kept for comparison.

GIC is a ranking, not a verdict: the best score of a divided conversation still belongs to a statement
some group rejects. Whether a statement *is* common ground is decided apart, per group:

    every group takes side X  ⇔  for each group g:  S_g ≥ 3  and  wilson_lower(X_g, S_g; z = 1.2816) > 1/2

i.e. at least three of the group voted on it (the smallest group Concord forms) and more than half of
them took that side with 90 % one-sided confidence (Z_90, the level of Pol.is's own tests, polis-math.md
§1.9–1.10). Passes count among the voters, against both sides. A statement is *opposed by a group* when
some group takes the disagree side by the same test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from concord.engine.repness import Z_90, one_proportion_z
from concord.engine.tallies import Direction, GroupTallies

MAJORITY_LIST_LENGTH = 5  # §1.10: top 5 per side
GROUP_VOTERS_NEEDED = 3  # a group's side is read from at least as many voters as the smallest group has
SIDE_SHARE = 0.5  # more than half of the group's voters


@dataclass(frozen=True)
class Consensus:
    agree: np.ndarray  # (m,) group-informed consensus for agreeing
    disagree: np.ndarray  # (m,) ... and for disagreeing
    every_group_agrees: np.ndarray  # (m,) bool: the rule above, agree side
    every_group_disagrees: np.ndarray  # (m,) bool: ... disagree side
    opposed_by_a_group: np.ndarray  # (m,) bool: some group takes the disagree side

    def every_group(self, column: int, direction: Direction) -> bool:
        """Whether every group takes ``direction`` on this statement (the verdict, not the score)."""
        sides = self.every_group_agrees if direction == "agree" else self.every_group_disagrees
        return bool(sides[column])

    def ranked(self, eligible: np.ndarray) -> list[tuple[int, Direction, float]]:
        """(statement, direction, score) best first; each statement once, on its stronger side."""
        agree_wins = self.agree >= self.disagree
        score = np.where(agree_wins, self.agree, self.disagree)
        columns = np.flatnonzero(eligible)
        order = columns[np.lexsort((columns, -score[columns]))]
        return [(int(j), "agree" if agree_wins[j] else "disagree", float(score[j])) for j in order]


def group_informed_consensus(tallies: GroupTallies) -> Consensus:
    seen = tallies.seen + 2.0
    agrees, disagrees = takes_side(tallies.agree, tallies.seen), takes_side(tallies.disagree, tallies.seen)
    any_group = tallies.n_groups > 0  # with no group at all, "every group" is no claim
    return Consensus(
        agree=np.prod((tallies.agree + 1.0) / seen, axis=0),
        disagree=np.prod((tallies.disagree + 1.0) / seen, axis=0),
        every_group_agrees=np.asarray(agrees.all(axis=0) & any_group),
        every_group_disagrees=np.asarray(disagrees.all(axis=0) & any_group),
        opposed_by_a_group=np.asarray(disagrees.any(axis=0)),
    )


def takes_side(side: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """Per group × statement: enough voters, and more than half of them on this side with 90 %
    confidence (the lower Wilson score bound above one half)."""
    return (seen >= GROUP_VOTERS_NEEDED) & (wilson_lower_bound(side, seen, Z_90) > SIDE_SHARE)


def wilson_lower_bound(successes: np.ndarray, trials: np.ndarray, z: float) -> np.ndarray:
    """Lower end of the Wilson score interval of a proportion: unlike the raw share, small samples
    stay far from certainty (1 of 1 gives 0.38 at z = 1.28, 3 of 3 gives 0.65); 0 where nothing was seen.

        (p + z²/2n − z·sqrt(p(1−p)/n + z²/4n²)) / (1 + z²/n)
    """
    n = np.asarray(trials, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(n > 0, successes / n, 0.0)
        centre = p + z * z / (2 * n)
        spread = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        bound = (centre - spread) / (1 + z * z / n)
    return np.where(n > 0, bound, 0.0)


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
