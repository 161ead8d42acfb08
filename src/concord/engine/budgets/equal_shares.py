"""The Method of Equal Shares with cost satisfaction, and its "add1" completion: the outcome pabutools
(the reference implementation: ``method_of_equal_shares(…, sat_class=Cost_Sat, voter_budget_increment=1)``
with lexicographic tie-breaking) gives, computed exactly as it does, much faster.

Each of the n voters holds an equal share β = budget / n (``../shared/docs/anchors.md`` §3.1). A project
c costing cost(c) is affordable at price ρ when its supporters can pay for it, each paying at most
ρ·cost(c) (their satisfaction with it is its cost):

    Σ_{i supports c} min(b_i, ρ·cost(c)) = cost(c).

Round after round the project with the smallest ρ is funded (a tie: the project whose id comes first in
lexicographic order), each supporter paying min(b_i, ρ·cost(c)); the rounds end when no project's
supporters can pay for it. "add1" runs it again with every share raised by 1 (currency unit) while the
outcome fits the budget and still leaves a supported project that would fit: it returns the first
outcome that leaves none, else the last one that fitted.

Why it is fast, and still exact:
- voters with the same ballot are one voter with a weight (they pay alike);
- a price only rises as money is spent, so a project whose last price is above the best price found in
  a round need not be priced again (pabutools does the same);
- prices are found in floating point, vectorised over a project's supporters; exactness is kept where
  it decides: the few projects whose price is within rounding of the smallest are priced exactly
  (``Fraction``), and only exact prices are compared, so a tie is a tie. Exact money never has to be
  carried per voter: a voter's money is β − Σ of the per-supporter payments of the funded projects
  their ballot lists (or nothing, once they paid all they had), so exact sums over supporters come
  from one exact payment per round and integer counts.
"""

from __future__ import annotations

import heapq
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from math import gcd

import numpy as np
from scipy import sparse

from concord.engine.budgets.election import Election, distinct_ballots

TOLERANCE = 1e-9  # relative: far above the rounding of sums of up to millions of float64 terms


@dataclass(frozen=True)
class Round:
    """One funded project and who paid for it."""

    project: int
    price: Fraction  # ρ: what a supporter pays per unit of the project's cost
    per_supporter: Fraction  # ρ·cost: what each supporter who could afford it paid
    full_payers: int  # supporters who paid ``per_supporter``
    partial_payers: int  # supporters who paid all they had left, less than that
    partial_paid: Fraction  # what the partial payers paid together


@dataclass
class EqualSharesRun:
    """One run of equal shares at a given share per voter, with how each project fared."""

    share: Fraction  # each voter's money at the start
    funded: list[int] = field(default_factory=list)  # in the order funded
    rounds: list[Round] = field(default_factory=list)
    # For projects not funded: the number of rounds after which their supporters could no longer pay
    # for them (0: not even at the start), and what those supporters still had at the end.
    out_of_reach: dict[int, int] = field(default_factory=dict)
    left_with_supporters: dict[int, Fraction] = field(default_factory=dict)
    unsupported: list[int] = field(default_factory=list)  # nobody listed them


def equal_shares(election: Election, share: Fraction | None = None) -> EqualSharesRun:
    """One run of the Method of Equal Shares, every voter starting with ``share`` (budget / voters by
    default)."""
    if share is None:
        share = Fraction(election.budget, election.voters) if election.voters else Fraction(0)
    run = _Run(_Ballots.of(election), share)
    return run.explained(run.run())


@dataclass(frozen=True)
class AddOne:
    """Equal shares completed by add1: the run kept, and how many raises it took."""

    run: EqualSharesRun
    raises: int  # the share was raised by 1 this many times (0: budget / voters as it is)
    runs: int  # how many runs were computed


def equal_shares_add_one(election: Election, workers: int = 1) -> AddOne:
    """Equal shares, the share raised by 1 per voter while the outcome fits the budget and leaves a
    supported project that would still fit (pabutools' ``voter_budget_increment=1``).

    The runs at successive shares are independent: with ``workers`` > 1 (where processes can be
    forked), several are computed at once, ahead of knowing whether they are needed; the outcome is
    the same, a few runs past the last are wasted."""
    if election.voters == 0:
        return AddOne(EqualSharesRun(Fraction(0)), 0, 0)
    added = _AddOne(election)
    started = time.perf_counter()
    first = added.stop(0)
    if first is not None:
        kept = first
    elif workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        found = added.search(1, None)
        assert found is not None  # a search without an end ends only when found
        kept = found
    else:
        # Tasks of about a tenth of a second each: fewer round trips when runs are quick.
        chunk = max(1, int(0.1 / max(time.perf_counter() - started, 1e-4)))
        kept = added.search_in_parallel(1, workers, chunk)
    state = _Run(added.ballots, added.base + kept)
    return AddOne(state.explained(state.run()), kept, added.runs)


class _AddOne:
    """add1's search: the raise whose run is kept."""

    def __init__(self, election: Election) -> None:
        self.election = election
        self.ballots = _Ballots.of(election)
        self.base = Fraction(election.budget, election.voters)
        self.supported = [index for index, count in enumerate(election.approvals()) if count > 0]
        self.runs = 0

    def stop(self, raises: int) -> int | None:
        """The raise to keep if the run at this one ends the search (it overspends: the one before; it
        leaves no supported project that fits: this one), else None."""
        self.runs += 1
        funded = _Run(self.ballots, self.base + raises).run().funded
        spent = self.election.cost_of(funded)
        if spent > self.election.budget:
            assert raises > 0  # at budget / voters, equal shares never overspends
            return raises - 1
        chosen = set(funded)
        budget, projects = self.election.budget, self.election.projects
        if all(index in chosen or spent + projects[index].cost > budget for index in self.supported):
            return raises
        return None

    def search(self, start: int, stop_before: int | None) -> int | None:
        raises = start
        while stop_before is None or raises < stop_before:
            found = self.stop(raises)
            if found is not None:
                return found
            raises += 1
        return None

    def search_in_parallel(self, start: int, workers: int, chunk: int) -> int:
        """``workers`` forked processes (which inherit this search rather than receive it) each take
        ``chunk`` successive raises; the first raise that ends the search, in order, wins."""
        global _SEARCH
        _SEARCH = self
        try:
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(workers, mp_context=context) as pool:
                while True:
                    starts = [start + i * chunk for i in range(workers)]
                    found = list(pool.map(_search_chunk, starts, [chunk] * workers))
                    self.runs += sum(ran for _, ran in found)
                    for kept, _ in found:
                        if kept is not None:
                            return kept
                    start += workers * chunk
        finally:
            _SEARCH = None


_SEARCH: _AddOne | None = None  # the search forked workers continue


def _search_chunk(start: int, count: int) -> tuple[int | None, int]:
    assert _SEARCH is not None
    before = _SEARCH.runs
    found = _SEARCH.search(start, start + count)
    return found, _SEARCH.runs - before


@dataclass(frozen=True)
class _Ballots:
    """What every run of one election shares: distinct ballots, by voter and by project."""

    ids: list[str]
    costs: list[Fraction]
    costs_f: np.ndarray
    by_voter: sparse.csr_matrix  # distinct ballots × projects
    by_project: sparse.csc_matrix
    weights: np.ndarray  # voters per distinct ballot (float64: exact below 2^53)
    support: np.ndarray  # voters per project
    together: np.ndarray  # projects × projects: voters who list both (the diagonal: ``support``)

    @classmethod
    def of(cls, election: Election) -> _Ballots:
        distinct = distinct_ballots(election.ballots)
        by_voter = sparse.csr_matrix(distinct.ballots, dtype=np.float64)
        weights = distinct.weights.astype(np.float64)
        return cls(
            ids=[project.id for project in election.projects],
            costs=election.costs,
            costs_f=np.array([float(cost) for cost in election.costs]),
            by_voter=by_voter,
            by_project=sparse.csc_matrix(by_voter),
            weights=weights,
            support=np.asarray(by_voter.T @ weights).ravel(),
            together=np.asarray((by_voter.T @ sparse.diags(weights) @ by_voter).todense()),
        )

    def supporters(self, project: int) -> np.ndarray:
        return self.by_project.indices[self.by_project.indptr[project] : self.by_project.indptr[project + 1]]

    def listed_by(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The (ballot position in ``rows``, project) pairs of these distinct ballots' lists."""
        starts, ends = self.by_voter.indptr[rows], self.by_voter.indptr[rows + 1]
        lengths = ends - starts
        owner = np.repeat(np.arange(len(rows)), lengths)
        offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        return owner, self.by_voter.indices[np.repeat(starts, lengths) + offsets]


class _Run:
    """One run: each distinct ballot's money (floating point), whether it has paid all it had, and the
    exact payments of the rounds so far, from which any exact sum of money is rebuilt."""

    def __init__(self, ballots: _Ballots, share: Fraction) -> None:
        self.b = ballots
        self.share = share
        self.money = np.full(len(ballots.weights), float(share))
        self.spent_all = np.zeros(len(ballots.weights), dtype=bool)
        self.available = ballots.support * float(share)  # each project's supporters' money
        self.funded: list[int] = []
        self.paid: list[Fraction] = []  # per-supporter payment of each funded project
        # Which funded projects (in funding order) each distinct ballot lists, and the payments over one
        # common denominator: exact sums of money in integer arithmetic.
        self.listing = np.zeros((len(ballots.weights), len(ballots.costs)), dtype=np.int8, order="F")
        self.denominator = share.denominator
        self.share_units = share.numerator
        self.paid_units: list[int] = []
        # The last price found for each project, and whether it still holds: a payment changes a
        # project's price only if it leaves one of its supporters with less than the project asks of
        # each (until then its poorer supporters and what they pay are the same).
        self.priced: dict[int, tuple[float, float]] = {}
        self.asks = np.full(len(ballots.costs), np.inf)  # what each supporter pays at that price
        self.current = np.zeros(len(ballots.costs), dtype=bool)

    def run(self) -> EqualSharesRun:
        outcome = EqualSharesRun(self.share)
        listed = self.b.support > 0
        outcome.unsupported = [int(index) for index in np.flatnonzero(~listed)]
        # The queue holds each project's lowest possible price (its last price less rounding): at first,
        # its cost shared by all its supporters.
        queue = [((1 - TOLERANCE) / self.b.support[i], self.b.ids[i], int(i)) for i in np.flatnonzero(listed)]
        heapq.heapify(queue)
        out_of_reach: dict[int, int] = {}
        while queue:
            self._drop_out_of_reach(queue, out_of_reach, len(outcome.rounds))
            best = self._next(queue)
            if best is None:
                break
            project, price, per_supporter = best
            outcome.rounds.append(self._fund(project, price, per_supporter))
            outcome.funded.append(project)
        for _, _, index in queue:
            out_of_reach.setdefault(index, len(outcome.rounds))
        outcome.out_of_reach = out_of_reach
        return outcome

    def explained(self, outcome: EqualSharesRun) -> EqualSharesRun:
        """The run with what the supporters of each project left unfunded still had (exact), computed
        once for the run kept rather than for every run add1 tries."""
        for index in outcome.out_of_reach:
            outcome.left_with_supporters[index] = self._exact_money(self.b.supporters(index))
        return outcome

    # --- which projects are still within reach ------------------------------------------------------

    def _drop_out_of_reach(self, queue: list, out_of_reach: dict[int, int], after: int) -> None:
        """Projects whose supporters' money no longer covers their cost leave for good (money only
        falls); a borderline one is checked exactly."""
        kept = []
        for entry in queue:
            index = entry[2]
            cost = self.b.costs_f[index]
            if self.available[index] < cost * (1 - TOLERANCE) or (
                self.available[index] < cost * (1 + TOLERANCE)
                and self._exact_money(self.b.supporters(index)) < self.b.costs[index]
            ):
                out_of_reach[index] = after
            else:
                kept.append(entry)
        if len(kept) != len(queue):
            queue[:] = kept
            heapq.heapify(queue)

    # --- prices -------------------------------------------------------------------------------------

    def _next(self, queue: list) -> tuple[int, Fraction, Fraction] | None:
        """The project funded next. Projects are priced again in the order of their last price (a lower
        bound: prices only rise) until the next one's cannot beat the best found; those whose price is
        within rounding of the best are priced exactly, and the smallest exact price wins (ties: the
        smallest id)."""
        fresh: list[tuple[float, float, str, int]] = []
        ceiling = np.inf
        while queue and queue[0][0] <= ceiling:
            _, key, index = heapq.heappop(queue)
            if not self.current[index]:
                self.priced[index] = self._price(index)
                self.current[index] = True
                self.asks[index] = self.priced[index][0] * self.b.costs_f[index]
            price, error = self.priced[index]
            fresh.append((price, error, key, index))
            ceiling = min(ceiling, price + error)
        near = [(key, index) for price, error, key, index in fresh if price - error <= ceiling]
        best: tuple[Fraction, str, int, Fraction] | None = None
        for key, index in near:
            per_supporter = self._exact_per_supporter(index)
            exact = per_supporter / self.b.costs[index]
            if best is None or (exact, key) < best[:2]:
                best = (exact, key, index, per_supporter)
        for price, error, key, index in fresh:
            if best is None or index != best[2]:
                heapq.heappush(queue, (price - error, key, index))
        if best is None:
            return None
        return best[2], best[0], best[3]

    def _price(self, index: int) -> tuple[float, float]:
        """The project's price ρ in floating point, and how far rounding may have moved it: supporters
        too poor to pay an equal part pay all they have, the rest share what is left equally (found by
        moving the too poor aside until none is left, as pabutools' "poor/rich" pricing does)."""
        rows = self.b.supporters(index)
        cost = self.b.costs_f[index]
        money = self.money[rows]
        rich = self.b.support[index]
        if money.min() >= cost / rich:  # nobody is too poor: all pay the same
            price = 1.0 / rich
            return price, TOLERANCE * price
        weights = self.b.weights[rows]
        poor = np.zeros(len(rows), dtype=bool)
        paid_poor = 0.0
        while True:
            each = (cost - paid_poor) / rich
            newly = ~poor & (money < each)
            if not newly.any():
                break
            if newly.sum() == (~poor).sum():
                # Within rounding of unaffordable (its exact check kept it): everyone pays all they have,
                # and the price is known only roughly, so it is always priced exactly.
                price = float(money[newly].max()) / cost
                return price, price
            poor |= newly
            paid_poor += float(money[newly] @ weights[newly])
            rich -= weights[newly].sum()
        price = each / cost
        return price, TOLERANCE * ((cost + paid_poor) / rich / cost + price)

    def _in_units(self, paid: Fraction) -> None:
        """Record a payment over the common denominator (rescaling the others if it needs a larger one)."""
        scale = paid.denominator // gcd(self.denominator, paid.denominator)
        if scale != 1:
            self.denominator *= scale
            self.share_units *= scale
            self.paid_units = [units * scale for units in self.paid_units]
        self.paid_units.append(paid.numerator * (self.denominator // paid.denominator))

    def _prices_moved(self, rows: np.ndarray) -> None:
        """After a payment by ``rows``: a project's price no longer holds once one of them has less than
        it asks of each supporter (within rounding)."""
        asked = self.asks[self.current]
        if not len(asked):
            return
        low = rows[self.money[rows] < asked.max() * (1 + 8 * TOLERANCE)]
        if not len(low):
            return
        owner, projects = self.b.listed_by(low)
        self.current[projects[self.money[low][owner] < self.asks[projects] * (1 + 8 * TOLERANCE)]] = False

    def _exact_per_supporter(self, index: int) -> Fraction:
        """What each supporter who can afford the project pays (ρ·cost), exactly: the supporters clearly
        poorer than the floating-point payment pay all they have (summed exactly at once), those within
        rounding of it are taken one by one in exact order of their money."""
        rows = self.b.supporters(index)
        cost = self.b.costs[index]
        each_f = self.asks[index]
        money, weights = self.money[rows], self.b.weights[rows]
        poor = money < each_f * (1 - 8 * TOLERANCE)
        close = ~poor & (money <= each_f * (1 + 8 * TOLERANCE))
        paid = self._exact_money(rows[poor])
        left = round(weights[~poor].sum())
        each = (cost - paid) / left
        for money_exact, weight in sorted(
            (self._exact_money(rows[[i]]), int(weights[i])) for i in np.flatnonzero(close)
        ):
            if each <= money_exact:
                break
            paid += money_exact * weight
            left -= weight
            each = (cost - paid) / left
        return each

    # --- money, exactly -----------------------------------------------------------------------------

    def _exact_money(self, rows: np.ndarray) -> Fraction:
        """The exact money of these distinct ballots' voters together: the share each started with, less
        the exact payment of every funded project their ballot lists; nothing for those who paid all
        they had."""
        rows = rows[~self.spent_all[rows]]
        if not len(rows):
            return Fraction(0)
        weights = self.b.weights[rows]
        units = round(weights.sum()) * self.share_units
        if self.funded:
            listed = np.rint(weights @ self.listing[rows, : len(self.funded)]).astype(np.int64).tolist()
            units -= sum(paid * count for paid, count in zip(self.paid_units, listed) if count)
        return Fraction(units, self.denominator)

    # --- paying -------------------------------------------------------------------------------------

    def _fund(self, index: int, price: Fraction, per_supporter: Fraction) -> Round:
        """Every supporter pays ``per_supporter``, or all they have if less (they are then out of money:
        one whose money is within rounding of the payment is told apart exactly)."""
        rows = self.b.supporters(index)
        each_f = float(per_supporter)
        money = self.money[rows]
        short = money <= each_f * (1 + 8 * TOLERANCE)
        all_of_it = short & (money < each_f * (1 - 8 * TOLERANCE))
        for i in np.flatnonzero(short & ~all_of_it):
            all_of_it[i] = self._exact_money(rows[[i]]) <= per_supporter
        # Every supporter paying in full would take each_f from every project they list; those who paid
        # all they had took less.
        self.available -= each_f * self.b.together[index]
        partial = 0
        money -= each_f
        if all_of_it.any():
            poorer = rows[all_of_it]
            weights = self.b.weights[poorer]
            partial = round(weights.sum())
            owner, projects = self.b.listed_by(poorer)
            less = ((-money[all_of_it]) * weights)[owner]  # each_f less what they had
            self.available += np.bincount(projects, weights=less, minlength=len(self.available))
            money[all_of_it] = 0.0
            self.spent_all[poorer] = True
        self.money[rows] = money
        self.current[index] = False
        self._prices_moved(rows)
        full = round(self.b.support[index]) - partial
        self.listing[rows, len(self.funded)] = 1
        self.funded.append(index)
        self.paid.append(per_supporter)
        self._in_units(per_supporter)
        return Round(
            project=index,
            price=price,
            per_supporter=per_supporter,
            full_payers=full,
            partial_payers=partial,
            partial_paid=self.b.costs[index] - per_supporter * full,
        )
