"""Representative statements: what a group believes that the others do not (polis-math.md §1.9).

For group g and statement j, with na/nd/ns the group's agree/disagree/seen counts and "rest" all other
groups pooled:

    pa  = (na + 1)/(ns + 2)                          smoothed share of the group that agrees
    pat = one-proportion z of pa against 1/2
    ra  = pa / ((na_rest + 1)/(ns_rest + 2))         how much likelier the group agrees than the rest
    rat = two-proportion z of the group against the rest

(and the same for disagree). A statement represents the group when both tests pass 90 % one-sided
significance on one side; statements are ranked by ra·rat·pa·pat, and at most five are kept, the best
agreed one first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from concord.engine.tallies import Direction, GroupTallies

Z_90 = 1.2816  # one-sided 90 % normal quantile, polis-math.md notation
MAX_REPRESENTATIVE = 5  # §1.9 step 5


@dataclass(frozen=True)
class RepresentativeStatement:
    statement: int  # column index
    direction: Direction
    n_success: int  # group members voting that way
    n_trials: int  # group members who saw it
    p_success: float  # smoothed share voting that way
    p_test: float  # z against 1/2
    repness: float  # ratio to the rest of the participants
    repness_test: float  # z against the rest
    share_rest: float  # smoothed share of everyone else voting that way

    @property
    def rank_score(self) -> float:
        return self.repness * self.repness_test * self.p_success * self.p_test


@dataclass(frozen=True)
class GroupStatistics:
    """pa, pat, ra, rat (and the disagree side) for every group × statement."""

    pa: np.ndarray
    pd: np.ndarray
    pat: np.ndarray
    pdt: np.ndarray
    ra: np.ndarray
    rd: np.ndarray
    rat: np.ndarray
    rdt: np.ndarray
    pa_rest: np.ndarray
    pd_rest: np.ndarray


def one_proportion_z(successes: np.ndarray, trials: np.ndarray) -> np.ndarray:
    """2·sqrt(n+1)·((s+1)/(n+1) − 1/2): a test of a smoothed proportion against one half."""
    return 2.0 * np.sqrt(trials + 1.0) * ((successes + 1.0) / (trials + 1.0) - 0.5)


def two_proportion_z(s1: np.ndarray, s2: np.ndarray, n1: np.ndarray, n2: np.ndarray) -> np.ndarray:
    """Pooled two-proportion z test with one pseudo-count added to every count, 0 when the pool is 1."""
    s1, s2, n1, n2 = s1 + 1.0, s2 + 1.0, n1 + 1.0, n2 + 1.0
    pooled = (s1 + s2) / (n1 + n2)
    spread = np.sqrt(np.clip(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (s1 / n1 - s2 / n2) / spread
    return np.where((pooled >= 1.0) | (spread == 0), 0.0, z)


def group_statistics(tallies: GroupTallies) -> GroupStatistics:
    na, nd, ns = (counts.astype(np.float64) for counts in (tallies.agree, tallies.disagree, tallies.seen))
    rest_na, rest_nd, rest_ns = na.sum(0) - na, nd.sum(0) - nd, ns.sum(0) - ns
    pa, pd = (na + 1) / (ns + 2), (nd + 1) / (ns + 2)
    pa_rest, pd_rest = (rest_na + 1) / (rest_ns + 2), (rest_nd + 1) / (rest_ns + 2)
    return GroupStatistics(
        pa=pa,
        pd=pd,
        pat=one_proportion_z(na, ns),
        pdt=one_proportion_z(nd, ns),
        ra=pa / pa_rest,
        rd=pd / pd_rest,
        rat=two_proportion_z(na, rest_na, ns, rest_ns),
        rdt=two_proportion_z(nd, rest_nd, ns, rest_ns),
        pa_rest=pa_rest,
        pd_rest=pd_rest,
    )


def representative_statements(
    tallies: GroupTallies, eligible: np.ndarray, limit: int = MAX_REPRESENTATIVE
) -> list[list[RepresentativeStatement]]:
    """Per group, its representative statements (agree ones first), following Pol.is's selection.

    ``eligible`` masks statements that may be reported (moderated-out ones may not).
    """
    stats = group_statistics(tallies)
    return [_select_for_group(tallies, stats, g, eligible, limit) for g in range(tallies.n_groups)]


def _describe(
    tallies: GroupTallies, stats: GroupStatistics, g: int, j: int, direction: Direction
) -> RepresentativeStatement:
    if direction == "agree":
        return RepresentativeStatement(
            j,
            "agree",
            int(tallies.agree[g, j]),
            int(tallies.seen[g, j]),
            float(stats.pa[g, j]),
            float(stats.pat[g, j]),
            float(stats.ra[g, j]),
            float(stats.rat[g, j]),
            float(stats.pa_rest[g, j]),
        )
    return RepresentativeStatement(
        j,
        "disagree",
        int(tallies.disagree[g, j]),
        int(tallies.seen[g, j]),
        float(stats.pd[g, j]),
        float(stats.pdt[g, j]),
        float(stats.rd[g, j]),
        float(stats.rdt[g, j]),
        float(stats.pd_rest[g, j]),
    )


def _select_for_group(
    tallies: GroupTallies, stats: GroupStatistics, g: int, eligible: np.ndarray, limit: int
) -> list[RepresentativeStatement]:
    columns = np.flatnonzero(eligible & (tallies.seen[g] > 0))
    agree_side = stats.rat[g] > stats.rdt[g]
    sufficient = [
        _describe(tallies, stats, g, j, "agree" if agree_side[j] else "disagree")
        for j in map(int, columns)
        if (stats.rat[g, j] > Z_90 and stats.pat[g, j] > Z_90) or (stats.rdt[g, j] > Z_90 and stats.pdt[g, j] > Z_90)
    ]
    sufficient.sort(key=lambda r: (-r.rank_score, r.statement))
    best_agree = _best_agree(tallies, stats, g, columns)

    if not sufficient:
        if best_agree is not None:
            return [best_agree]
        if len(columns) == 0:
            return []
        strongest = int(max(columns, key=lambda j: (max(stats.rat[g, j], stats.rdt[g, j]), -j)))
        side: Direction = "agree" if stats.rat[g, strongest] > stats.rdt[g, strongest] else "disagree"
        return [_describe(tallies, stats, g, strongest, side)]

    chosen = [best_agree] if best_agree is not None else []
    for candidate in sufficient:
        if len(chosen) >= limit:
            break
        if best_agree is None or candidate.statement != best_agree.statement:
            chosen.append(candidate)
    return sorted(chosen, key=lambda r: r.direction != "agree")  # stable: agrees first, order kept


def _best_agree(
    tallies: GroupTallies, stats: GroupStatistics, g: int, columns: np.ndarray
) -> RepresentativeStatement | None:
    """Pol.is's "best agree" scan (§1.9 step 4): the statement the group most clearly agrees with."""
    best: int | None = None
    for j in columns:
        if tallies.agree[g, j] == 0 and tallies.disagree[g, j] == 0:
            continue
        pa, pat, ra, rat = stats.pa[g, j], stats.pat[g, j], stats.ra[g, j], stats.rat[g, j]
        if best is None:
            if pat > Z_90 or (ra > 1 and pa > 0.5):
                best = j
        elif stats.ra[g, best] > 1:
            if ra * rat * pa * pat > stats.ra[g, best] * stats.rat[g, best] * stats.pa[g, best] * stats.pat[g, best]:
                best = j
        elif pa * pat > stats.pa[g, best] * stats.pat[g, best]:
            best = j
    return None if best is None else _describe(tallies, stats, g, best, "agree")
