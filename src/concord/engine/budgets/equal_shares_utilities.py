"""The Method of Equal Shares with additive utilities, completed by add1: how cumulative and ordinal
ballots are decided, as pabutools decides them (``method_of_equal_shares(instance, profile,
sat_class=…, voter_budget_increment=1)`` with lexicographic tie-breaking), exactly.

A voter's utility for a project (``../shared/docs/anchors.md`` §3.1):

- cumulative and scoring ballots: the points they gave it (pabutools' ``Additive_Cardinal_Sat``: a
  cardinal ballot's satisfaction with a project is its score; 0 for a project it does not score);
- ordinal ballots: its Borda score within the ballot, the ballot's length less its rank (1 the first):
  of a ballot ranking three projects, the first gets 2, the second 1, the last 0 (pabutools'
  ``Additive_Borda_Sat``, ``len(ballot) - position - 1``). It is the one satisfaction pabutools defines
  for ordinal ballots (its ``PositionalSatisfaction``; every other one either ignores the order —
  ``Cost_Sat``, ``Cardinality_Sat``, which read a ranking as an approval of what it lists — or refuses
  ordinal ballots), so it is pabutools' reading of a ranking. As in pabutools, a project ranked last
  gives that voter no utility: the voter is not among its supporters in equal shares (they neither pay
  for it nor count for it), and a ballot ranking one project alone supports nothing.

Approval and choose-1 ballots keep cost satisfaction (:mod:`~concord.engine.budgets.equal_shares`).

Each of the n voters holds an equal share β = budget / n. With utilities u_i(c), a project c costing
cost(c) is affordable at price ρ when its supporters (u_i(c) > 0) can pay for it, each paying at most
ρ·u_i(c):

    Σ_{i: u_i(c) > 0} min(b_i, ρ·u_i(c)) = cost(c).

Round after round the project with the smallest such ρ is funded (a tie: the project whose id comes
first in lexicographic order), each supporter paying min(b_i, ρ·u_i(c)); the rounds end when no
project's supporters can pay for it (Σ b_i < cost(c): money only falls, so it stays out). "add1" runs
it again with every share raised by 1 while the outcome fits the budget and still leaves a project that
some voter has utility for and that would fit: it keeps the first outcome that leaves none, else the
last one that fitted. (With cost utilities, u_i(c) = cost(c), this is the cost-satisfaction method.)

Exactness: money and prices are computed in floating point, and decided exactly (``Fraction``) where
they decide: the projects whose price is within rounding of the smallest are priced exactly and only
exact prices are compared (ties are ties); a supporter within rounding of paying all they have, and a
project within rounding of its supporters' money, are decided exactly. A voter's exact money is
β − Σ_k ρ_k·u_i(c_k) over the rounds k they paid ρ_k·u_i(c_k) in full (nothing once they paid all they
had, less than that), so exact sums over voters come from the rounds' exact prices and integer sums of
utilities (:class:`~concord.engine.budgets.equal_shares._Ledger`).

add1 in fewer runs than raises, with the same outcome (:func:`equal_shares_utilities_add_one`): along
one order of funding, every voter's money at every round only grows with the share (a larger share
leaves each voter more, so each project's price ρ, the root of a sum that grows with the money, is no
larger, and what a voter keeps, max(0, b_i − ρ·u_i(c)), is no smaller), so every price only falls. Take
the runs at shares x < y. If they fund the same projects in the same order and, in each round of the
run at y, every other project its supporters could still pay for has a price (and id) above the price
(and id) of the project the run at x funds in that round, then the run at every share z between funds
the same projects in the same order: by induction over the rounds, the project funded at x in round k
is affordable at z (its supporters have at least as much) at no more than its price at x, and any other
project affordable at z is affordable at y at no more than its price at z, which is above that price
(or equal, its id coming later); and after the last round any project affordable at z would be at y.
add1's test (over the budget; nothing left that fits) depends only on what is funded, so no raise
between x and y stops it. The search tries raises ever further ahead (twice as far after each such
stretch, a quarter as far after a run that does not show one) and one raise ahead where it must: the
first raise at which a run stops add1 is the one pabutools stops at, and the run kept is its own.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import sparse

from concord.engine.budgets.election import Election
from concord.engine.budgets.equal_shares import AddOne, EqualSharesRun, Round, _Ledger

TOLERANCE = 1e-9  # relative: far above the rounding of sums of up to millions of float64 terms

# The satisfaction pabutools' Method of Equal Shares is run with, by pabulib vote_type.
SATISFACTIONS = {
    "approval": "Cost_Sat",
    "choose-1": "Cost_Sat",
    "cumulative": "Additive_Cardinal_Sat",
    "scoring": "Additive_Cardinal_Sat",
    "ordinal": "Additive_Borda_Sat",
}
# Said in the outcome: what a voter's satisfaction with a funded project is.
SATISFACTION_WORDS = {
    "Cost_Sat": "cost satisfaction (a project a voter lists counts as its cost; pabutools' Cost_Sat)",
    "Additive_Cardinal_Sat": "additive utilities: the points a voter gave a project (pabutools' Additive_Cardinal_Sat)",
    "Additive_Borda_Sat": (
        "additive Borda utilities: a ballot's length less the project's rank, the last ranked 0"
        " (pabutools' Additive_Borda_Sat)"
    ),
}


def satisfaction_of(vote_type: str) -> str:
    """The name of pabutools' satisfaction class that decides ballots of this pabulib vote_type."""
    return SATISFACTIONS.get(vote_type, "Cost_Sat")


def decided_by_utilities(election: Election) -> bool:
    """Whether the election's ballots carry points or ranks, decided with utilities here."""
    return election.values is not None and satisfaction_of(election.vote_type) != "Cost_Sat"


def utilities(election: Election) -> sparse.csr_matrix:
    """Each voter's utility for each project (voters × projects, int64; only positive ones stored)."""
    if election.values is None:
        raise ValueError("the election's ballots carry no points or ranks")
    values = sparse.csr_matrix(election.values, dtype=np.int64, copy=True)
    if election.vote_type == "ordinal":
        lengths = np.diff(values.indptr)
        values.data = np.repeat(lengths, lengths) - values.data  # Borda: length − rank (rank 1 the first)
    values.data[values.data < 0] = 0
    values.eliminate_zeros()
    values.sort_indices()
    return values


@dataclass(frozen=True)
class Payment:
    """Voters with the same utility for a funded project, who paid for it in full."""

    utility: int  # their points for it (or its Borda score on their ballot)
    voters: int
    each: Fraction  # what each of them paid: ρ·utility


@dataclass(frozen=True)
class UtilityRound(Round):
    """One funded project and who paid for it, with utilities: ``price`` (ρ) and ``per_supporter`` are
    what a supporter pays per unit of utility (point); ``full_payers`` paid ρ times their utility
    (``payments``: how many at each utility, and how much each), ``partial_payers`` all they had left,
    less than that (``partial_paid`` together)."""

    payments: tuple[Payment, ...] = ()


# --- the election, as every run of it sees it ----------------------------------------------------------


@dataclass(frozen=True)
class _Profile:
    """Distinct (projects, utilities) ballots with their weights, by project."""

    ids: list[str]
    costs: list[Fraction]
    costs_f: np.ndarray
    by_voter: sparse.csr_matrix  # distinct ballots × projects, int64 utilities
    weights: np.ndarray  # int64, voters per distinct ballot
    weights_f: np.ndarray
    rows: list[np.ndarray]  # each project's supporters (distinct ballots)
    utils: list[np.ndarray]  # their utilities for it (int64)
    utils_f: list[np.ndarray]
    weighted_f: list[np.ndarray]  # weight × utility (float)
    total: list[int]  # Σ weight × utility over its supporters
    support: np.ndarray  # voters with utility for it (float)
    supported: list[int]  # projects some voter has utility for
    small: bool  # every sum of weight × utility is below 2^53 (exact in floating point)

    def listed_by(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The (ballot position in ``rows``, project, utility) entries of these distinct ballots."""
        indptr = self.by_voter.indptr
        starts, lengths = indptr[rows], indptr[rows + 1] - indptr[rows]
        owner = np.repeat(np.arange(len(rows)), lengths)
        at = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(int(lengths.sum()))
        return owner, self.by_voter.indices[at], self.by_voter.data[at]

    @classmethod
    def of(cls, election: Election) -> _Profile:
        matrix = utilities(election)
        keys: dict[bytes, int] = {}
        first: list[int] = []
        counts: list[int] = []
        indptr, indices, data = matrix.indptr, matrix.indices, matrix.data
        for voter in range(matrix.shape[0]):
            start, end = indptr[voter], indptr[voter + 1]
            key = indices[start:end].tobytes() + b"|" + data[start:end].tobytes()
            at = keys.setdefault(key, len(first))
            if at == len(first):
                first.append(voter)
                counts.append(0)
            counts[at] += 1
        by_voter = sparse.csr_matrix(matrix[np.array(first, dtype=np.int64)], dtype=np.int64)
        by_voter.sort_indices()
        weights = np.array(counts, dtype=np.int64)
        by_project = sparse.csc_matrix(by_voter)
        by_project.sort_indices()
        rows, utils, utils_f, weighted_f, total = [], [], [], [], []
        for project in range(len(election.projects)):
            start, end = by_project.indptr[project], by_project.indptr[project + 1]
            these = by_project.indices[start:end].astype(np.int64)
            values = by_project.data[start:end].astype(np.int64)
            rows.append(these)
            utils.append(values)
            utils_f.append(values.astype(np.float64))
            weighted_f.append((weights[these] * values).astype(np.float64))
            total.append(int((weights[these] * values).sum()))
        return cls(
            ids=[project.id for project in election.projects],
            costs=election.costs,
            costs_f=np.array([float(cost) for cost in election.costs]),
            by_voter=by_voter,
            weights=weights,
            weights_f=weights.astype(np.float64),
            rows=rows,
            utils=utils,
            utils_f=utils_f,
            weighted_f=weighted_f,
            total=total,
            support=np.array([float(weights[these].sum()) for these in rows]),
            supported=[project for project, sum_ in enumerate(total) if sum_ > 0],
            small=int(weights.sum()) * int(by_voter.data.max(initial=0)) < 2**53,
        )


# --- one run ------------------------------------------------------------------------------------------


class _Run:
    """One run at a given share: each distinct ballot's money (floating point), whether it paid all it
    had, and the exact prices of the rounds so far, from which any exact sum of money is rebuilt.

    ``below``: the rounds of a run at a smaller share; the run then also finds whether every project it
    could fund instead of each of its own has a price (and id) above that run's project's in the same
    round, its projects being that run's in the same order (``stays_above``: see the module's
    docstring)."""

    def __init__(self, profile: _Profile, share: Fraction, below: tuple[Round, ...] | None = None) -> None:
        self.p = profile
        self.share = share
        self.below = below
        self.stays_above = below is not None
        distinct, projects = len(profile.weights), len(profile.costs)
        self.money = np.full(distinct, float(share))
        self.spent_all = np.zeros(distinct, dtype=bool)
        self.available = float(share) * profile.support  # each project's supporters' money
        self.funded: list[int] = []
        self.ledger = _Ledger(share)  # the exact price of each round
        self.priced: dict[int, tuple[float, float]] = {}  # a project's last price (float) and its error
        self.price_now = np.zeros(projects)  # the same price, by project
        self.current = np.zeros(projects, dtype=bool)

    def run(self) -> EqualSharesRun:
        outcome = EqualSharesRun(self.share)
        supported = set(self.p.supported)
        outcome.unsupported = [index for index in range(len(self.p.costs)) if index not in supported]
        queue = [((1 - TOLERANCE) * self.p.costs_f[i] / self.p.total[i], self.p.ids[i], i) for i in self.p.supported]
        heapq.heapify(queue)
        out_of_reach: dict[int, int] = dict.fromkeys(outcome.unsupported, 0)
        while queue:
            self._drop_out_of_reach(queue, out_of_reach, len(outcome.rounds))
            best = self._next(queue)
            if best is None:
                break
            project, price, capped = best
            if self.stays_above:
                self._stay_above(queue, project)
            outcome.rounds.append(self._fund(project, price, capped))
            outcome.funded.append(project)
        for _, _, index in queue:
            out_of_reach.setdefault(index, len(outcome.rounds))
        outcome.out_of_reach = out_of_reach
        self.stays_above = self.stays_above and self.below is not None and len(self.below) == len(self.funded)
        return outcome

    def explained(self, outcome: EqualSharesRun) -> EqualSharesRun:
        """What the supporters of each project left unfunded still had (exact)."""
        for index in outcome.out_of_reach:
            outcome.left_with_supporters[index] = self._exact_money(self.p.rows[index])
        return outcome

    # --- money, exactly -----------------------------------------------------------------------------

    def _exact_money(self, rows: np.ndarray) -> Fraction:
        """The exact money of these distinct ballots' voters together: the share, less ρ_k·utility for
        every round they paid in full; nothing for those who paid all they had."""
        rows = rows[~self.spent_all[rows]]
        if not len(rows):
            return Fraction(0)
        weights = self.p.weights[rows]
        counts: list[int] = []
        if self.funded:
            owner, listed, utility = self.p.listed_by(rows)
            units = weights[owner] * utility  # Σ weight × utility, per project, in integers:
            if self.p.small:  # below 2^53, exact in floating point (and far faster)
                totals = np.bincount(listed, weights=units.astype(np.float64), minlength=len(self.p.ids))
            else:
                totals = np.zeros(len(self.p.ids), dtype=np.int64)
                np.add.at(totals, listed, units)
            counts = [round(totals[project]) for project in self.funded]
        return self.ledger.left(int(weights.sum()), counts)

    # --- which projects are still within reach ------------------------------------------------------

    def _drop_out_of_reach(self, queue: list, out_of_reach: dict[int, int], after: int) -> None:
        """Projects whose supporters' money no longer covers their cost leave for good (money only
        falls); a borderline one is checked exactly."""
        if not queue:
            return
        indices = np.fromiter((entry[2] for entry in queue), dtype=np.int64, count=len(queue))
        costs = self.p.costs_f[indices]
        short = self.available[indices] < costs * (1 + TOLERANCE)
        if not short.any():
            return
        clearly = self.available[indices] < costs * (1 - TOLERANCE)
        out = {
            int(index)
            for index, sure in zip(indices[short], clearly[short])
            if sure or self._exact_money(self.p.rows[int(index)]) < self.p.costs[int(index)]
        }
        if not out:
            return
        for index in indices.tolist():
            if index in out:
                out_of_reach[index] = after
        queue[:] = [entry for entry in queue if entry[2] not in out]
        heapq.heapify(queue)

    # --- prices -------------------------------------------------------------------------------------

    def _next(self, queue: list) -> tuple[int, Fraction, np.ndarray] | None:
        """The project funded next, its exact price, and which of its supporters pay all they have.
        Projects are priced again in the order of their last price (a lower bound: prices only rise)
        until the next one's cannot beat the best found; those within rounding of the best are priced
        exactly, and the smallest exact price wins (ties: the smallest id)."""
        fresh: list[tuple[float, float, str, int]] = []
        ceiling = np.inf
        while queue and queue[0][0] <= ceiling:
            _, key, index = heapq.heappop(queue)
            price, error = self._priced(index)
            fresh.append((price, error, key, index))
            ceiling = min(ceiling, price + error)
        best: tuple[Fraction, str, int, np.ndarray] | None = None
        for price, error, key, index in fresh:
            if price - error <= ceiling:
                exact, capped = self._exact_price(index)
                if best is None or (exact, key) < best[:2]:
                    best = (exact, key, index, capped)
        for price, error, key, index in fresh:
            if best is None or index != best[2]:
                heapq.heappush(queue, (price - error, key, index))
        if best is None:
            return None
        return best[2], best[0], best[3]

    def _priced(self, index: int) -> tuple[float, float]:
        if not self.current[index]:
            self.priced[index] = self._price(index)
            self.price_now[index] = self.priced[index][0]
            self.current[index] = True
        return self.priced[index]

    def _price(self, index: int) -> tuple[float, float]:
        """The project's price ρ in floating point, and how far rounding may have moved it: in order of
        money per unit of utility, the first supporter who can pay ρ·utility, ρ being what is left of the
        cost once everyone before paid all they have, shared by utility among them and everyone after
        (pabutools' loop, in one pass)."""
        rows = self.p.rows[index]
        cost = self.p.costs_f[index]
        money = self.money[rows]
        utility = self.p.utils_f[index]
        weighted = self.p.weighted_f[index]
        ratio = money / utility
        even = cost / self.p.total[index]
        if ratio.min() >= even:  # nobody is short: all pay ρ·utility
            return even, TOLERANCE * even
        order = np.argsort(ratio, kind="stable")
        ratios = ratio[order]
        paid = (money * self.p.weights_f[rows])[order]
        paid_before = np.cumsum(paid) - paid
        left = np.cumsum(weighted[order][::-1])[::-1]  # utility of this supporter and everyone after
        each = (cost - paid_before) / left
        pays = each <= ratios
        if not pays.any():  # within rounding of unaffordable: priced exactly whenever it matters
            price = float(ratios[-1])
            return price, price
        first = int(np.argmax(pays))
        price = float(each[first])
        return price, TOLERANCE * ((cost + float(paid_before[first])) / float(left[first]) + price)

    def _exact_price(self, index: int) -> tuple[Fraction, np.ndarray]:
        """The project's exact price, and which supporters (a mask over them) have less than ρ·utility
        and pay all they have: those clearly short of the floating-point price's ask pay all they have
        (summed exactly at once), those within rounding of it are taken one by one in exact order of
        their money per unit of utility."""
        rows = self.p.rows[index]
        asks = self._priced(index)[0] * self.p.utils_f[index]
        money = self.money[rows]
        capped = money < asks * (1 - 8 * TOLERANCE)
        close = ~capped & (money <= asks * (1 + 8 * TOLERANCE))
        paid = self._exact_money(rows[capped])
        weights, utils = self.p.weights[rows], self.p.utils[index]
        units = int((weights[~capped] * utils[~capped]).sum())
        cost = self.p.costs[index]
        price = (cost - paid) / units
        candidates = sorted(
            (self._exact_money(rows[[at]]) / (int(weights[at]) * int(utils[at])), int(at))
            for at in np.flatnonzero(close)
        )
        for ratio, at in candidates:
            if price <= ratio:
                break
            paid += ratio * int(weights[at]) * int(utils[at])
            units -= int(weights[at]) * int(utils[at])
            price = (cost - paid) / units
            capped[at] = True
        return price, capped

    def _stay_above(self, queue: list, project: int) -> None:
        """Whether, in this round, every other project still in reach has a price (and id) above those of
        the other run's project in the same round, that project being the one this run funds."""
        assert self.below is not None
        at = len(self.funded)
        if at >= len(self.below) or self.below[at].project != project:
            self.stays_above = False
            return
        price, key = self.below[at].price, self.p.ids[project]
        price_f = float(price)
        kept = []
        while queue and queue[0][0] <= price_f * (1 + 4 * TOLERANCE):
            _, other_key, index = heapq.heappop(queue)
            other, error = self._priced(index)
            kept.append((other - error, other_key, index))
            if other - error > price_f * (1 + 4 * TOLERANCE):
                continue
            if other + error < price_f * (1 - 4 * TOLERANCE):
                self.stays_above = False
                break
            exact, _ = self._exact_price(index)
            if (exact, other_key) < (price, key):
                self.stays_above = False
                break
        for entry in kept:
            heapq.heappush(queue, entry)

    # --- paying -------------------------------------------------------------------------------------

    def _fund(self, index: int, price: Fraction, capped: np.ndarray) -> UtilityRound:
        """Every supporter pays ρ·utility, or all they have if less (``capped``, decided exactly)."""
        rows = self.p.rows[index]
        utils, weights = self.p.utils[index], self.p.weights[rows]
        before = self.money[rows]
        after = np.maximum(before - float(price) * self.p.utils_f[index], 0.0)
        after[capped] = 0.0
        self.money[rows] = after
        self.spent_all[rows[capped]] = True
        paid = (before - after) * self.p.weights_f[rows]
        # What each project's supporters have, and which prices no longer hold: a price holds until one
        # of its supporters has less than it asks of them (within rounding).
        payers = paid > 0
        changed = rows[payers]
        if len(changed):
            owner, listed, utility = self.p.listed_by(changed)
            self.available -= np.bincount(listed, weights=paid[payers][owner], minlength=len(self.available))
            stale = self.current[listed]
            if stale.any():
                owner, listed, utility = owner[stale], listed[stale], utility[stale]
                short = after[payers][owner] < self.price_now[listed] * utility * (1 + 8 * TOLERANCE)
                self.current[listed[short]] = False
        self.current[index] = False
        self.funded.append(index)
        self.ledger.append(price)
        full = ~capped
        payments = tuple(
            Payment(int(utility), int(weights[full & (utils == utility)].sum()), price * int(utility))
            for utility in sorted(set(utils[full].tolist()), reverse=True)
        )
        full_cost = sum((payment.each * payment.voters for payment in payments), Fraction(0))
        return UtilityRound(
            project=index,
            price=price,
            per_supporter=price,
            full_payers=int(weights[full].sum()),
            partial_payers=int(weights[capped].sum()),
            partial_paid=self.p.costs[index] - full_cost,
            payments=payments,
        )


def equal_shares_utilities(election: Election, share: Fraction | None = None) -> EqualSharesRun:
    """One run of the Method of Equal Shares with the ballots' utilities, every voter starting with
    ``share`` (budget / voters by default)."""
    if share is None:
        share = Fraction(election.budget, election.voters) if election.voters else Fraction(0)
    run = _Run(_Profile.of(election), share)
    return run.explained(run.run())


# --- add1 ---------------------------------------------------------------------------------------------


class _AddOne:
    """add1's search: the raise whose run is kept."""

    def __init__(self, election: Election) -> None:
        self.election = election
        self.profile = _Profile.of(election)
        self.base = Fraction(election.budget, election.voters)
        self.runs = 0
        self.shown: list[tuple[int, int]] = []  # (x, y): stretches of raises shown the same (for the tests)

    def run(self, raises: int, below: tuple[Round, ...] | None = None) -> tuple[EqualSharesRun, bool]:
        """The run at this raise, and (``below``: another run's rounds) whether it shows every raise
        between the two the same (see the module's docstring)."""
        self.runs += 1
        run = _Run(self.profile, self.base + raises, below)
        outcome = run.run()
        return outcome, run.stays_above

    def ends(self, funded: list[int]) -> str | None:
        """pabutools' test after each run: over the budget (keep the run before), or no project some
        voter has utility for would still fit (keep this one)."""
        spent = self.election.cost_of(funded)
        if spent > self.election.budget:
            return "over"
        chosen = set(funded)
        budget, projects = self.election.budget, self.election.projects
        if all(index in chosen or spent + projects[index].cost > budget for index in self.profile.supported):
            return "full"
        return None

    def search(self) -> int:
        """From raise 0: a run far ahead that shows the stretch up to it the same moves there; otherwise
        runs nearer, down to the next raise, which is run as it is."""
        known, _ = self.run(0)
        at, reach = 0, 1
        while True:
            ends = self.ends(known.funded)
            if ends is not None:
                return at - 1 if ends == "over" else at
            ahead, same = self.run(at + reach, below=tuple(known.rounds))
            if same or reach == 1:
                if same:
                    self.shown.append((at, at + reach))
                at, known = at + reach, ahead
                reach = 2 * reach if same else 1
            else:
                reach = max(1, reach // 4)


def equal_shares_utilities_add_one(election: Election) -> AddOne:
    """Equal shares with utilities, the share raised by 1 per voter while the outcome fits the budget and
    leaves a project some voter has utility for that would still fit (pabutools'
    ``voter_budget_increment=1``), in fewer runs than raises (see the module's docstring)."""
    if election.voters == 0:
        return AddOne(EqualSharesRun(Fraction(0)), 0, 0, 1)
    search = _AddOne(election)
    kept = search.search()
    state = _Run(search.profile, search.base + kept)
    kept_run = state.explained(state.run())
    stops_at = kept if search.ends(kept_run.funded) == "full" else kept + 1
    return AddOne(kept_run, kept, search.runs, stops_at + 1)
