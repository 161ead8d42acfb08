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

Why one run is fast, and still exact:
- voters with the same ballot are one voter with a weight (they pay alike);
- a price only rises as money is spent, so a project whose last price is above the best price found in
  a round need not be priced again (pabutools does the same);
- prices are found in floating point, vectorised over a project's supporters; exactness is kept where
  it decides: the few projects whose price is within rounding of the smallest are priced exactly
  (``Fraction``), and only exact prices are compared, so a tie is a tie. Exact money never has to be
  carried per voter: a voter's money is β − Σ of the per-supporter payments of the funded projects
  their ballot lists (or nothing, once they paid all they had), so exact sums over supporters come
  from one exact payment per round and integer counts.

Why add1 needs one run per stretch of raises, not one per unit (:class:`_Certificate`). Along one run,
with the share a variable b', everything is affine in b': a payment in which the supporters in P pay all
they have and the others (R) an equal part is (cost − Σ_P money)/|R|, and every voter's money is b' less
such payments (or nothing once they paid all they had, less than asked). So the course of the run at b
(which project each round funds, who pays all they have, which projects are out of reach) is its
course at b' as long as a finite list of affine inequalities in b' holds:

- each funded project's supporters stay on the same side of its payment (P below, R at or above it),
  so that the payment keeps its formula (it is then the smallest that pays: the project is affordable);
- every other project still in the race in that round does not beat it: its price is at least a lower
  bound affine in b' (the price with ANY split P/R of its supporters is at most its true price, as
  Σ min(m_i, x) ≤ Σ_P m_i + |R|·x, and prices only rise over the rounds), and that bound stays above the
  funded project's price (or equal, the ids deciding the tie the same way);
- every project left unfunded stays out: its supporters stay unable to pay for it from the round it
  dropped out (money only falls), or — whichever lasts longer — its bound (all but its richest
  supporters paying all they have) stays above every later round's price and it is unaffordable after
  the last round.

If all hold at every share in [b, b''], the run at b'' funds the same projects in the same order
(induction over the rounds). Each inequality is affine, so it fails first at one point; the next raise
to try is the first integer at which any of them fails. Floating point finds the few inequalities that
can fail first (with error bounds far above rounding); those are decided exactly. add1's stopping test
(over the budget: keep the raise before; no supported project fits any more: keep this one) depends
only on the outcome, so every raise pabutools tries between two tried here has the outcome of the
first of them: the first raise at which pabutools stops is one tried here, and the run kept is its own.

The course of a run changes far more often than what it funds (a voter crossing a payment changes the
course, seldom the outcome), so the search also tries runs far ahead that may show a whole stretch the
same at once (:class:`_Prober`): along one order of funding, every voter's money at every round only
grows with the share, so prices only fall; a run at y that funds what the run at x < y funds, in the same
order, every other project it could fund in each round priced above the run at x's project (ties: ids),
holds at every share between (:meth:`_AddOne.tried`). Where the course changes at every unit anyway
(thousands of distinct ballots), runs go one raise at a time without the inequalities (:class:`_Pacer`),
as pabutools does; helper processes may run ahead (:class:`_Ahead`).
"""

from __future__ import annotations

import ctypes
import heapq
import math
import multiprocessing
import multiprocessing.pool
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from math import gcd

import numpy as np
from scipy import sparse

from concord.engine.budgets.election import Election, distinct_ballots

TOLERANCE = 1e-9  # relative: far above the rounding of sums of up to millions of float64 terms
_NEVER = np.iinfo(np.int64).max  # the round a ballot that never paid all it had did so


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
    runs: int  # how many runs were computed to find it
    stepwise_runs: int  # how many a search one raise at a time computes (pabutools): up to where it stops


def equal_shares_add_one(election: Election, workers: int = 1) -> AddOne:
    """Equal shares, the share raised by 1 per voter while the outcome fits the budget and leaves a
    supported project that would still fit (pabutools' ``voter_budget_increment=1``).

    Each run says up to which raise it would stay the same (see the module's docstring); the search
    goes from one such raise to the next, and tries runs far ahead that may show a whole stretch the
    same. With ``workers`` > 1 (where processes can be forked), a search still going after a quarter of a
    second gets forked helpers that run at raises ahead of it (the next ones, or further, where runs
    stay the same for long); the search takes what they found where it reaches it. The outcome is the
    same; the helpers end when the search ends, and when this process ends, however it ends."""
    if election.voters == 0:
        return AddOne(EqualSharesRun(Fraction(0)), 0, 0, 1)
    added = _AddOne(election)
    kept = added.search(workers)
    state = _Run(added.ballots, added.base + kept)
    kept_run = state.explained(state.run())
    stops_at = kept if added.ends(kept_run.funded) == "full" else kept + 1
    return AddOne(kept_run, kept, added.runs, stops_at + 1)


@dataclass(frozen=True)
class _Tried:
    """One run of the search: the raise, what it funded, how it ends the search, and the first raise
    at which the run might differ (None: never). A run not certified is known only at its own raise;
    one shown to hold down to an earlier raise (``same_since``: see :meth:`_AddOne.tried`) from there."""

    raises: int
    funded: tuple[int, ...]
    ends: str | None  # "over": over the budget; "full": no supported project fits any more
    changes_at: int | None
    rounds: tuple[Round, ...] = ()
    same_since: int | None = None

    def covers(self, raises: int) -> bool:
        start = self.raises if self.same_since is None else self.same_since
        return start <= raises and (self.changes_at is None or raises < self.changes_at)


class _Pacer:
    """Whether the next run is certified. Where the runs change at every raise (a large election whose
    voters' money crosses some payment at every unit), a certificate costs and saves nothing: after
    three in a row that said 1, runs go uncertified for a while (8, 16, … up to 64), then one is tried
    again."""

    def __init__(self) -> None:
        self.ones = 0
        self.plain = 0
        self.pause = 8

    def certify(self) -> bool:
        if self.plain > 0:
            self.plain -= 1
            return False
        return True

    def seen(self, tried: _Tried) -> None:
        """A certified run that did not end the search."""
        if tried.changes_at is not None and tried.changes_at - tried.raises == 1:
            self.ones += 1
            if self.ones >= 3:
                self.plain, self.pause = self.pause, min(64, 2 * self.pause)
        else:
            self.ones, self.pause = 0, 8


class _AddOne:
    """add1's search: the raise whose run is kept."""

    def __init__(self, election: Election) -> None:
        self.election = election
        self.ballots = _Ballots.of(election)
        self.base = Fraction(election.budget, election.voters)
        self.supported = [index for index, count in enumerate(election.approvals()) if count > 0]
        self.runs = 0
        self.walk: _Walk | None = None

    def tried(self, raises: int, certify: bool = True, below: _Tried | None = None) -> _Tried:
        """The run at this raise, certified (up to which raise it stays the same) or not. ``below``: a run
        at a smaller raise that does not end add1. If this run funds the same projects in the same order,
        and in each round every other project it could fund has a price (and id) above the price (and id)
        of ``below``'s project in that round, then every raise between the two funds the same projects in
        the same order: along one order of funding, every voter's money at every round can only grow
        with the share (a payment falls when those who pay all they have have more), so a price can only
        fall and a project only become affordable; at any share between, the project funded in each
        round is affordable (it is at the smaller share) at no more than its price there, and any other
        project affordable there is so at the larger share too, at no less than its price there."""
        run = _Run(self.ballots, self.base + raises, certify=certify, below=below.rounds if below else None)
        outcome = run.run()
        funded = outcome.funded
        ends = self.ends(funded)
        changes_at: int | None = raises + 1
        if certify and ends is None:
            assert run.certificate is not None
            offset = run.certificate.offset()
            changes_at = None if offset is None else raises + offset
        same_since = below.raises if below is not None and run.stays_above else None
        return _Tried(raises, tuple(funded), ends, changes_at, tuple(outcome.rounds), same_since)

    def ends(self, funded: list[int]) -> str | None:
        """pabutools' test after each run: over the budget (keep the run before), or no supported
        project left out would fit (keep this one)."""
        spent = self.election.cost_of(funded)
        if spent > self.election.budget:
            return "over"
        chosen = set(funded)
        budget, projects = self.election.budget, self.election.projects
        if all(index in chosen or spent + projects[index].cost > budget for index in self.supported):
            return "full"
        return None

    @staticmethod
    def kept(tried: _Tried, raises: int) -> int:
        """The raise add1 keeps when the first raise at which it stops is ``raises``, with the outcome
        of ``tried`` (a run that covers it)."""
        if tried.ends == "over":
            assert raises > 0  # at budget / voters, equal shares never overspends
            return raises - 1
        return raises

    def search(self, workers: int = 1, alone_for: float = 0.25) -> int:
        """Runs from raise 0 on, each where what is known might change (see :class:`_Walk`). With
        ``workers`` > 1 (where processes can be forked), a search still going after ``alone_for`` seconds
        goes on with helpers (:class:`_Ahead`)."""
        walk, started = _Walk(self), time.perf_counter()
        self.walk = walk  # what it found: for the tests
        helped = workers > 1 and "fork" in multiprocessing.get_all_start_methods()
        while (kept := walk.advance()) is None:
            if helped and time.perf_counter() - started > alone_for:
                return self.search_with_helpers(walk, workers - 1)
            walk.step()
        return kept

    def search_with_helpers(self, walk: _Walk, helpers: int) -> int:
        """The search from where ``walk`` is, with forked processes (which inherit this search rather
        than receive it) computing runs at other raises (see :class:`_Ahead`)."""
        global _SEARCH
        _SEARCH = self
        pool = multiprocessing.get_context("fork").Pool(helpers, initializer=_end_with_parent, initargs=(os.getpid(),))
        try:
            return _Ahead(walk, pool, helpers).search()
        finally:
            pool.terminate()
            pool.join()
            _SEARCH = None


class _Prober:
    """When to try a run far ahead that may show a whole stretch the same (``below`` in
    :meth:`_AddOne.tried`), and how far: where runs hold for a few raises at least, at first 8 times as
    far as the last one held, then twice as far after a success and a quarter after a failure; after
    three failures in a row, not for the next 4, 8, … runs."""

    def __init__(self) -> None:
        self.reach = 0
        self.failures = 0
        self.rest = 0
        self.pause = 4
        self.tried_from: int | None = None

    def wanted(self, before: _Tried | None) -> int | None:
        """How far ahead to try, from the run ``before`` the search's next raise (None: not now)."""
        if before is None or before.changes_at is None or before.raises == self.tried_from:
            return None
        if self.rest > 0:
            self.rest -= 1
            return None
        span = before.changes_at - before.raises
        if span < 4:
            return None
        self.tried_from = before.raises
        self.reach = max(self.reach, 2 * span) if self.reach else 8 * span
        return self.reach

    def seen(self, held: bool) -> None:
        if held:
            self.reach, self.failures, self.pause = 2 * self.reach, 0, 4
        else:
            self.reach, self.failures = self.reach // 4, self.failures + 1
            if self.failures >= 3:
                self.rest, self.pause, self.failures = self.pause, 2 * self.pause, 0


class _Walk:
    """The search's state: every run known (each covers the raises from its own, or from ``same_since``,
    to its ``changes_at``), and how far from raise 0 they cover without a gap (``frontier``, the next
    raise to know; ``before``, the run that covers the one before it). add1 stops at the first covered
    raise whose run ends it: every raise before it is covered by runs that do not."""

    def __init__(self, search: _AddOne) -> None:
        self.s = search
        self.known: list[_Tried] = []
        self.frontier = 0
        self.before: _Tried | None = None
        self.pacer = _Pacer()
        self.prober = _Prober()
        self.spans: list[int] = []  # how far the search's own certified runs held
        self.took: list[float] = []  # seconds, of the runs here

    def covering(self, raises: int) -> _Tried | None:
        return next((tried for tried in reversed(self.known) if tried.covers(raises)), None)

    def advance(self) -> int | None:
        """Move the frontier through what is covered; the raise kept, where a covering run ends add1."""
        while (tried := self.covering(self.frontier)) is not None:
            if tried.ends is not None:
                return self.s.kept(tried, self.frontier)
            # With no end, the run would stay the same for ever, and add1 would never stop (it cannot
            # be: at a large enough share, every supported project is funded).
            assert tried.changes_at is not None, "add1 would raise the share for ever"
            self.frontier, self.before = tried.changes_at, tried
        return None

    def step(self, meanwhile: Callable[[int], None] | None = None) -> None:
        """One run here: one far ahead that may show the stretch up to it the same as the run before the
        frontier (``meanwhile``, if given, is told the frontier: it may have its run done elsewhere), or
        the run at the frontier (certified, unless runs change at every raise)."""
        started = time.perf_counter()
        reach = self.prober.wanted(self.before)
        if reach is not None:
            assert self.before is not None
            if meanwhile is not None:
                meanwhile(self.frontier)
            tried = self.s.tried(self.frontier + reach, True, below=self.before)
            self.prober.seen(tried.same_since is not None)
        else:
            certify = self.pacer.certify()
            tried = self.s.tried(self.frontier, certify)
            if certify and tried.ends is None:
                self.pacer.seen(tried)
                assert tried.changes_at is not None, "add1 would raise the share for ever"
                self.spans.append(tried.changes_at - tried.raises)
        self.took.append(time.perf_counter() - started)
        self.add(tried)

    def add(self, tried: _Tried) -> None:
        self.s.runs += 1
        self.known.append(tried)


_SEARCH: _AddOne | None = None  # the search forked workers continue


def _tried(raises: int, certify: bool) -> _Tried:
    assert _SEARCH is not None
    return _SEARCH.tried(raises, certify)


class _Ahead:
    """The search (:class:`_Walk`) with helpers: runs from helpers are known like runs done here, and the
    search takes what they cover where it gets there. Correct whatever the helpers compute; they save
    time where runs change every unit or two (they run at the next raises after the frontier), and
    where the search tries a run far ahead (a helper runs at the frontier meanwhile: the search needs
    that run if the one far ahead does not show the stretch the same)."""

    def __init__(self, walk: _Walk, pool: multiprocessing.pool.Pool, helpers: int) -> None:
        self.walk = walk
        self.pool = pool
        self.helpers = helpers
        self.pending: dict[int, multiprocessing.pool.AsyncResult] = {}
        self.late = 0  # runs computed here, in a row, while a helper had them

    def patience(self) -> float:
        """How long to wait for a helper's run that the search needs next, before computing it here: a
        few runs' time (a helper may be slowed down by other work on the machine)."""
        recent = sorted(self.walk.took[-9:]) or [0.1]
        return max(0.02, 3 * recent[len(recent) // 2])

    def search(self) -> int:
        walk = self.walk
        while True:
            for raises in [raises for raises, result in self.pending.items() if result.ready()]:
                walk.add(self.pending.pop(raises).get())
            if (kept := walk.advance()) is not None:
                return kept
            recent = walk.spans[-5:]
            if not recent or sorted(recent)[len(recent) // 2] <= 2:  # runs change every unit or two
                ahead = walk.frontier + 1
                while len(self.pending) < self.helpers and ahead <= walk.frontier + 2 * self.helpers:
                    self.submit(ahead, certify=walk.pacer.plain == 0)
                    ahead += 1
            if walk.frontier in self.pending:
                self.pending[walk.frontier].wait(self.patience())
                if self.pending[walk.frontier].ready():
                    self.late = 0
                    continue
                self.late += 1  # a helper slower than the runs here: compute it here too
                if self.late >= 8:  # eight times in a row (helpers gone?): go on without them
                    self.helpers = 0
                    self.pending.clear()
            walk.step(lambda raises: self.submit(raises, certify=True))

    def submit(self, raises: int, certify: bool) -> None:
        if len(self.pending) < self.helpers and raises not in self.pending and self.walk.covering(raises) is None:
            self.pending[raises] = self.pool.apply_async(_tried, (raises, certify))


_PR_SET_PDEATHSIG = 1


def _end_with_parent(parent: int) -> None:
    """In a forked worker: be killed when the process that forked it ends, however it ends (Linux:
    ``prctl(PR_SET_PDEATHSIG)``; elsewhere a thread watches for the parent to go)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl")
    except (OSError, AttributeError):
        import threading

        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(0.5)
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent:  # the parent ended before the signal was asked for
        os._exit(1)


@dataclass(frozen=True)
class _Ballots:
    """What every run of one election shares: distinct ballots, by voter and by project."""

    ids: list[str]
    rank: np.ndarray  # each project's place in lexicographic order of ids (ties go to the smaller)
    costs: list[Fraction]
    costs_f: np.ndarray
    by_voter: sparse.csr_matrix  # distinct ballots × projects
    by_project: sparse.csc_matrix
    weights: np.ndarray  # voters per distinct ballot (float64: exact below 2^53)
    support: np.ndarray  # voters per project

    @classmethod
    def of(cls, election: Election) -> _Ballots:
        distinct = distinct_ballots(election.ballots)
        by_voter = sparse.csr_matrix(distinct.ballots, dtype=np.float64)
        weights = distinct.weights.astype(np.float64)
        ids = [project.id for project in election.projects]
        rank = np.empty(len(ids), dtype=np.int64)
        rank[sorted(range(len(ids)), key=ids.__getitem__)] = np.arange(len(ids))
        return cls(
            ids=ids,
            rank=rank,
            costs=election.costs,
            costs_f=np.array([float(cost) for cost in election.costs]),
            by_voter=by_voter,
            by_project=sparse.csc_matrix(by_voter),
            weights=weights,
            support=np.asarray(by_voter.T @ weights).ravel(),
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


class _Ledger:
    """An exact start amount and one exact amount per funded round, over one common denominator, so that
    weight·start − Σ count·amount is computed in integer arithmetic."""

    def __init__(self, start: Fraction) -> None:
        self.denominator = start.denominator
        self.start = start.numerator
        self.units: list[int] = []
        self.amounts: list[Fraction] = []

    def append(self, amount: Fraction) -> None:
        scale = amount.denominator // gcd(self.denominator, amount.denominator)
        if scale != 1:
            self.denominator *= scale
            self.start *= scale
            self.units = [units * scale for units in self.units]
        self.units.append(amount.numerator * (self.denominator // amount.denominator))
        self.amounts.append(amount)

    def left(self, weight: int, counts: list[int]) -> Fraction:
        """weight·start − Σ counts[r]·amount[r], over the first len(counts) rounds."""
        return Fraction(weight * self.start - sum(u * c for u, c in zip(self.units, counts) if c), self.denominator)


@dataclass(frozen=True)
class _Bound:
    """A lower bound on a project's price that is affine in the share: its price were the supporters
    ``poor`` to pay all they had after ``round`` rounds and the others (``rich`` voters) an equal part."""

    round: int
    poor: np.ndarray  # distinct ballots
    rich: int


class _Run:
    """One run: each distinct ballot's money (floating point), whether it has paid all it had, and the
    exact payments of the rounds so far, from which any exact sum of money is rebuilt.

    ``certify``: also what the run's :class:`_Certificate` needs: each ballot's money as an affine
    function of the share (its slope, in floating point, and exactly the slope of each payment), the
    round in which it paid all it had (strictly less than asked), and each project's last lower bound."""

    def __init__(
        self, ballots: _Ballots, share: Fraction, certify: bool = False, below: tuple[Round, ...] | None = None
    ) -> None:
        self.b = ballots
        self.share = share
        # Another run's rounds (at a smaller share): whether every project this run could fund instead
        # of each of its projects has a price above that run's, round after round (see _AddOne.tried).
        self.below = below
        self.stays_above = below is not None
        rows, projects = len(ballots.weights), len(ballots.costs)
        self.money = np.full(rows, float(share))
        self.spent_all = np.zeros(rows, dtype=bool)
        self.zeroed_at = np.full(rows, _NEVER, dtype=np.int64)  # the round it paid all, less than asked
        self.available = ballots.support * float(share)  # each project's supporters' money
        self.funded: list[int] = []
        self.paid: list[Fraction] = []  # per-supporter payment of each funded project
        # Which funded projects (in funding order) each distinct ballot lists: with the payments over one
        # common denominator, exact sums of money in integer arithmetic.
        self.listing = np.zeros((rows, projects), dtype=np.int8, order="F")
        self.payments = _Ledger(share)
        # The last price found for each project, and whether it still holds: a payment changes a
        # project's price only if it leaves one of its supporters with less than the project asks of
        # each (until then its poorer supporters and what they pay are the same).
        self.priced: dict[int, tuple[float, float]] = {}
        self.asks = np.full(projects, np.inf)  # what each supporter pays at that price
        self.current = np.zeros(projects, dtype=bool)
        self.certificate = _Certificate(self) if certify else None

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
            project, price, per_supporter, poor = best
            if self.stays_above:
                self._stay_above(queue, project)
            outcome.rounds.append(self._fund(project, price, per_supporter, poor))
            outcome.funded.append(project)
            if self.certificate is not None:
                self.certificate.chosen(len(self.funded) - 1, project, [entry[2] for entry in queue])
        for _, _, index in queue:
            out_of_reach.setdefault(index, len(outcome.rounds))
        outcome.out_of_reach = out_of_reach
        self.stays_above = self.stays_above and self.below is not None and len(self.below) == len(self.funded)
        return outcome

    def _stay_above(self, queue: list, project: int) -> None:
        """Whether, in this round, every other project still in reach has a price (and id) above those of
        the other run's project in the same round, that project being the one this run funds: priced
        again in the order of their last price until one cannot be below; close ones exactly."""
        assert self.below is not None
        at = len(self.funded)
        if at >= len(self.below) or self.below[at].project != project:
            self.stays_above = False
            return
        price, key = self.below[at].price, self.b.ids[project]
        price_f = float(price)
        kept = []
        while queue and queue[0][0] <= price_f * (1 + 4 * TOLERANCE):
            _, other_key, index = heapq.heappop(queue)
            if not self.current[index]:
                self.priced[index] = self._price(index)
                self.current[index] = True
                self.asks[index] = self.priced[index][0] * self.b.costs_f[index]
            other, error = self.priced[index]
            kept.append((other - error, other_key, index))
            if other - error > price_f * (1 + 4 * TOLERANCE):
                continue
            if other + error < price_f * (1 - 4 * TOLERANCE):
                self.stays_above = False
                break
            per_supporter, poor = self._exact_per_supporter(index)
            exact = per_supporter / self.b.costs[index]
            if self.certificate is not None:
                self.certificate.bound(index, poor, float(exact))
            if (exact, other_key) < (price, key):
                self.stays_above = False
                break
        for entry in kept:
            heapq.heappush(queue, entry)

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
        if not queue:
            return
        indices = np.fromiter((entry[2] for entry in queue), dtype=np.int64, count=len(queue))
        short = self.available[indices] < self.b.costs_f[indices] * (1 + TOLERANCE)
        if not short.any():
            return
        clearly = self.available[indices] < self.b.costs_f[indices] * (1 - TOLERANCE)
        out = {
            int(index)
            for index, sure in zip(indices[short], clearly[short])
            if sure or self._exact_money(self.b.supporters(int(index))) < self.b.costs[int(index)]
        }
        if not out:
            return
        dropped = [index for index in indices.tolist() if index in out]
        kept = [entry for entry in queue if entry[2] not in out]
        for index in dropped:
            out_of_reach[index] = after
        if dropped:
            queue[:] = kept
            heapq.heapify(queue)
            if self.certificate is not None:
                self.certificate.dropped(after, dropped)

    # --- prices -------------------------------------------------------------------------------------

    def _next(self, queue: list) -> tuple[int, Fraction, Fraction, np.ndarray] | None:
        """The project funded next, its exact price and payment, and which of its supporters pay all
        they have (less than the payment). Projects are priced again in the order of their last price
        (a lower bound: prices only rise) until the next one's cannot beat the best found; those whose
        price is within rounding of the best are priced exactly, and the smallest exact price wins
        (ties: the smallest id)."""
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
        best: tuple[Fraction, str, int, Fraction, np.ndarray] | None = None
        for key, index in near:
            per_supporter, poor = self._exact_per_supporter(index)
            exact = per_supporter / self.b.costs[index]
            if self.certificate is not None:
                self.certificate.bound(index, poor, float(exact))
            if best is None or (exact, key) < best[:2]:
                best = (exact, key, index, per_supporter, poor)
        for price, error, key, index in fresh:
            if best is None or index != best[2]:
                heapq.heappush(queue, (price - error, key, index))
        if best is None:
            return None
        return best[2], best[0], best[3], best[4]

    def _price(self, index: int) -> tuple[float, float]:
        """The project's price ρ in floating point, and how far rounding may have moved it: supporters
        too poor to pay an equal part pay all they have, the rest share what is left equally (pabutools'
        "poor/rich" pricing, in one pass: in order of money, the first supporter who can pay what is
        left shared by them and everyone richer sets the payment; everyone before pays all they have)."""
        rows = self.b.supporters(index)
        cost = self.b.costs_f[index]
        money = self.money[rows]
        support = self.b.support[index]
        if money.min() >= cost / support:  # nobody is too poor: all pay the same
            price = 1.0 / support
            if self.certificate is not None:
                self.certificate.bound(index, np.zeros(len(rows), dtype=bool), price)
            return price, TOLERANCE * price
        # Those with nothing left pay nothing: the others, in order of money.
        some = np.flatnonzero(money > 0)
        weights = self.b.weights[rows[some]]
        order = np.argsort(money[some], kind="stable")
        ordered, ordered_weights = money[some][order], weights[order]
        paid = ordered * ordered_weights
        paid_before = np.cumsum(paid) - paid  # by the poorer supporters, if they all pay all they have
        left = weights.sum() - (np.cumsum(ordered_weights) - ordered_weights)  # the others
        each = (cost - paid_before) / left
        pays = ordered >= each
        if not pays.any():
            # Within rounding of unaffordable (its exact check kept it): everyone pays all they have, and
            # the price is known only roughly, so it is always priced exactly.
            price = float(ordered[-1]) / cost
            if self.certificate is not None:  # the bound that holds whatever the money
                self.certificate.bound(index, np.zeros(len(rows), dtype=bool), 1.0 / support)
            return price, price
        first = int(np.argmax(pays))
        price = float(each[first]) / cost
        if self.certificate is not None:
            poor = money <= 0
            poor[some[order[:first]]] = True
            self.certificate.bound(index, poor, price)
        return price, TOLERANCE * ((cost + float(paid_before[first])) / float(left[first]) / cost + price)

    def _paid_by(self, rows: np.ndarray, before: np.ndarray, after: np.ndarray) -> None:
        """After a payment by ``rows`` (their money before and after): what the supporters of each project
        they list have together, and which projects' prices no longer hold: a price holds until one of its
        supporters has less than it asks of each (within rounding)."""
        owner, projects = self.b.listed_by(rows)
        paid = (before - after) * self.b.weights[rows]
        self.available -= np.bincount(projects, weights=paid[owner], minlength=len(self.available))
        current = self.current[projects]
        if current.any():
            owner, projects = owner[current], projects[current]
            self.current[projects[after[owner] < self.asks[projects] * (1 + 8 * TOLERANCE)]] = False

    def _exact_per_supporter(self, index: int) -> tuple[Fraction, np.ndarray]:
        """What each supporter who can afford the project pays (ρ·cost), exactly, and which supporters
        (a mask over them) have less than that and pay all they have: the supporters clearly poorer than
        the floating-point payment pay all they have (summed exactly at once), those within rounding of
        it are taken one by one in exact order of their money."""
        rows = self.b.supporters(index)
        cost = self.b.costs[index]
        each_f = self.asks[index]
        money, weights = self.money[rows], self.b.weights[rows]
        poor = money < each_f * (1 - 8 * TOLERANCE)
        close = ~poor & (money <= each_f * (1 + 8 * TOLERANCE))
        paid = self._exact_money(rows[poor])
        left = round(weights[~poor].sum())
        each = (cost - paid) / left
        for money_exact, weight, at in sorted(
            (self._exact_money(rows[[i]]), int(weights[i]), int(i)) for i in np.flatnonzero(close)
        ):
            if each <= money_exact:
                break
            paid += money_exact * weight
            left -= weight
            each = (cost - paid) / left
            poor[at] = True
        return each, poor

    # --- money, exactly -----------------------------------------------------------------------------

    def _exact_money(self, rows: np.ndarray) -> Fraction:
        """The exact money of these distinct ballots' voters together: the share each started with, less
        the exact payment of every funded project their ballot lists; nothing for those who paid all
        they had."""
        rows = rows[~self.spent_all[rows]]
        if not len(rows):
            return Fraction(0)
        weights = self.b.weights[rows]
        counts = np.rint(weights @ self.listing[rows, : len(self.funded)]).astype(np.int64).tolist()
        return self.payments.left(round(weights.sum()), counts)

    # --- paying -------------------------------------------------------------------------------------

    def _fund(self, index: int, price: Fraction, per_supporter: Fraction, poor: np.ndarray) -> Round:
        """Every supporter pays ``per_supporter``, or all they have if less (they are then out of money:
        one whose money is within rounding of the payment is told apart exactly). ``poor``: the
        supporters with less than ``per_supporter`` (exactly)."""
        rows = self.b.supporters(index)
        each_f = float(per_supporter)
        money = self.money[rows]
        if self.certificate is not None:
            self.certificate.paid(len(self.funded), index, per_supporter, poor)
        had = money > 0  # the others' money cannot change
        before = money[had]
        short = money <= each_f * (1 + 8 * TOLERANCE)
        all_of_it = short & (money < each_f * (1 - 8 * TOLERANCE))
        for i in np.flatnonzero(short & ~all_of_it):
            all_of_it[i] = self._exact_money(rows[[i]]) <= per_supporter
        partial = 0
        money -= each_f
        if all_of_it.any():
            poorer = rows[all_of_it]
            partial = round(self.b.weights[poorer].sum())
            money[all_of_it] = 0.0
            self.spent_all[poorer] = True
        self.money[rows] = money
        self.zeroed_at[rows[poor]] = np.minimum(self.zeroed_at[rows[poor]], len(self.funded))
        self.current[index] = False
        self._paid_by(rows[had], before, money[had])
        full = round(self.b.support[index]) - partial
        self.listing[rows, len(self.funded)] = 1
        self.funded.append(index)
        self.paid.append(per_supporter)
        self.payments.append(per_supporter)
        return Round(
            project=index,
            price=price,
            per_supporter=per_supporter,
            full_payers=full,
            partial_payers=partial,
            partial_paid=self.b.costs[index] - per_supporter * full,
        )


_PAYMENT, _BOUND, _DROP = 0, 1, 2  # the kinds of inequality


class _Certificate:
    """Up to which raise of the share a run stays the same (see the module's docstring).

    Each inequality is g(b') = α + σ·(b' − b) ≥ 0 (or > 0: ``strict``), b the run's share. While the run
    goes, α and σ are found in floating point, with error bounds (``TOLERANCE`` times the size of what
    they are made of: money is at most the share, a slope at most 1 + Σ|slope of a payment|). At the end
    they give, all at once, for each inequality the earliest and the latest integer offset at which it
    could first fail. The offset sought is the smallest exact one: only inequalities whose earliest is at
    most the smallest latest can be it, and those are decided exactly (in order of their earliest,
    stopping when none left can be smaller)."""

    def __init__(self, run: _Run) -> None:
        self.run = run
        self.b = run.b
        self.money_error = TOLERANCE * float(run.share)
        self.slope = np.ones(len(run.b.weights))  # each distinct ballot's money: its slope in the share
        self.slope_scale = 1.0
        self.payers: list[tuple[np.ndarray, int]] = []  # each round: who paid all they had, the others' weight
        self.slopes = _Ledger(Fraction(1))  # each round's payment: its exact slope, found when needed
        self.payment_slopes: list[float] = []  # and in floating point
        projects = len(run.b.costs)
        self.bounds: list[_Bound | None] = [None] * projects
        with np.errstate(divide="ignore"):
            self.bound_value = 1.0 / run.b.support  # ρ units
        self.bound_slope = np.zeros(projects)
        self.bound_error = TOLERANCE * self.bound_value
        self.bound_slope_error = np.zeros(projects)
        # The inequalities: α, σ, their errors, and what each is (kind, round, item, flag, bound).
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        # (kind, round — or one per inequality —, items, flags, bounds)
        self.what: list[tuple[int, int | np.ndarray, np.ndarray, np.ndarray, list[_Bound | None] | None]] = []
        # Projects out of reach: after how many rounds, the inequality that keeps them out, and a bound.
        self.drops: list[tuple[int, int, tuple[float, float, float, float], tuple]] = []

    # --- recorded during the run --------------------------------------------------------------------

    def bound(self, index: int, poor: np.ndarray, value: float) -> None:
        """The project was just priced: ``poor`` (a mask over its supporters) paying all they have."""
        if not poor.any():
            self.bounds[index] = None  # 1 / support, whatever the share
            self.bound_value[index] = 1.0 / self.b.support[index]
            self.bound_slope[index] = 0.0
            self.bound_error[index] = TOLERANCE * self.bound_value[index]
            self.bound_slope_error[index] = 0.0
            return
        rows = self.b.supporters(index)
        poor_rows = rows[poor]
        poor_weights = self.b.weights[poor_rows]
        poor_weight = float(poor_weights.sum())
        rich = float(self.b.support[index]) - poor_weight
        scale = 1.0 / (self.b.costs_f[index] * rich)
        slope = -float(poor_weights @ self.slope[poor_rows]) * scale
        self.bounds[index] = _Bound(len(self.run.funded), poor_rows, round(rich))
        self.bound_value[index] = value
        self.bound_slope[index] = slope
        self.bound_error[index] = poor_weight * self.money_error * scale + TOLERANCE * (value + 1.0 / rich)
        self.bound_slope_error[index] = poor_weight * TOLERANCE * self.slope_scale * scale + TOLERANCE * abs(slope)

    def paid(self, at: int, index: int, per_supporter: Fraction, poor: np.ndarray) -> None:
        """Round ``at`` funds the project: each supporter must stay on its side of the payment (those
        with less below it, the others at or above it). Every ballot's slope moves with the payment's."""
        rows = self.b.supporters(index)
        poor_rows, rich_rows = rows[poor], rows[~poor]
        poor_slopes = self.slope[poor_rows]
        rich = round(float(self.b.support[index]) - float(self.b.weights[poor_rows].sum()))
        self.payers.append((poor_rows, rich))
        slope_f = -float(self.b.weights[poor_rows] @ poor_slopes) / rich
        self.payment_slopes.append(slope_f)
        self.slope_scale += abs(slope_f)
        # Those who paid all they had in an earlier round stay at nothing (no inequality).
        still = self.run.zeroed_at[rows] >= at
        moving, side = rows[still], poor[still]
        sign = 1.0 - 2.0 * side
        alpha = sign * (self.run.money[moving] - float(per_supporter))
        sigma = sign * (self.slope[moving] - slope_f)
        errors = np.full(len(moving), 2 * self.money_error), np.full(len(moving), 2 * TOLERANCE * self.slope_scale)
        self.parts.append((alpha, sigma, *errors))
        self.what.append((_PAYMENT, at, moving, side, None))
        self.slope[rich_rows] -= slope_f
        self.slope[poor_rows] = 0.0

    def chosen(self, at: int, index: int, others: list[int]) -> None:
        """Round ``at`` funded ``index``: every other project still in the race has a price at least its
        bound, which must stay above the funded one's price (or equal, the tie going the same way)."""
        if not others:
            return
        projects = np.array(others, dtype=np.int64)
        cost = self.b.costs_f[index]
        price = float(self.run.paid[at]) / cost
        slope = self.payment_slopes[at] / cost
        alpha = self.bound_value[projects] - price
        sigma = self.bound_slope[projects] - slope
        alpha_error = self.bound_error[projects] + TOLERANCE * price
        sigma_error = self.bound_slope_error[projects] + TOLERANCE * (abs(slope) + self.slope_scale / cost)
        strict = self.b.rank[projects] < self.b.rank[index]
        self.parts.append((alpha, sigma, alpha_error, sigma_error))
        self.what.append((_BOUND, at, projects, strict, [self.bounds[project] for project in others]))

    def dropped(self, at: int, projects: list[int]) -> None:
        """After ``at`` rounds these projects' supporters cannot pay for them. Either they must stay
        unable to, or (see :meth:`_late`) the project's price, were it affordable, must stay above each
        later round's and be out of reach after the last: which of the two is decided at the end."""
        for index in projects:
            rows = self.b.supporters(index)
            weights, money = self.b.weights[rows], self.run.money[rows]
            support, cost = float(self.b.support[index]), self.b.costs_f[index]
            drop = (
                cost - self.run.available[index],
                -float(weights @ self.slope[rows]),
                4 * support * self.money_error,
                2 * support * TOLERANCE * self.slope_scale,
            )
            # A lower bound on its price once affordable: all but the richest paying all they have.
            richest = money >= money.max()
            poor_rows, poor_weights = rows[~richest], weights[~richest]
            rich = float(weights[richest].sum())
            scale = 1.0 / (cost * rich)
            value = (cost - float(poor_weights @ money[~richest])) * scale
            slope = -float(poor_weights @ self.slope[poor_rows]) * scale
            poor_weight = support - rich
            bound = (
                _Bound(at, poor_rows, round(rich)),
                value,
                slope,
                poor_weight * self.money_error * scale + TOLERANCE * (value + 1.0 / rich),
                poor_weight * TOLERANCE * self.slope_scale * scale + TOLERANCE * abs(slope),
            )
            self.drops.append((at, index, drop, bound))

    def _late(self) -> None:
        """For each project that dropped out after t rounds, the inequalities of one of two ways to keep
        it out (the one whose earliest failure, in floating point, comes later): its supporters stay
        unable to pay for it after t rounds; or its lower bound stays above the funded project's price in
        each round from t on (were it affordable then, it would not be funded) and its supporters are
        unable to pay for it after the last round."""
        last = len(self.run.funded)
        funded = np.array(self.run.funded, dtype=np.int64)
        costs = self.b.costs_f[funded]
        prices = np.array([float(paid) for paid in self.run.paid]) / costs if last else np.zeros(0)
        slopes = np.array(self.payment_slopes) / costs if last else np.zeros(0)
        for at, index, drop, (bound, value, slope, error, slope_error) in self.drops:
            one = np.ones(1)
            soon, _ = _offsets(*(one * part for part in drop))
            rounds = np.arange(at, last)
            alpha = value - prices[rounds]
            sigma = slope - slopes[rounds]
            alpha_error = error + TOLERANCE * prices[rounds]
            sigma_error = slope_error + TOLERANCE * (np.abs(slopes[rounds]) + self.slope_scale / costs[rounds])
            rows = self.b.supporters(index)
            support = float(self.b.support[index])
            end = (
                self.b.costs_f[index] - self.run.available[index],
                -float(self.b.weights[rows] @ self.slope[rows]),
                4 * support * self.money_error,
                2 * support * TOLERANCE * self.slope_scale,
            )
            later, _ = _offsets(
                np.append(alpha, end[0]), np.append(sigma, end[1]),
                np.append(alpha_error, end[2]), np.append(sigma_error, end[3]),
            )  # fmt: skip
            if float(later.min()) > float(soon[0]):
                strict = self.b.rank[index] < self.b.rank[funded[rounds]]
                self.parts.append((alpha, sigma, alpha_error, sigma_error))
                self.what.append((_BOUND, rounds, np.full(len(rounds), index), strict, [bound] * len(rounds)))
                self.parts.append(tuple(one * part for part in end))  # type: ignore[arg-type]
                self.what.append((_DROP, last, np.array([index]), np.ones(1, dtype=bool), None))
            else:
                self.parts.append(tuple(one * part for part in drop))  # type: ignore[arg-type]
                self.what.append((_DROP, at, np.array([index]), np.ones(1, dtype=bool), None))

    # --- decided exactly ----------------------------------------------------------------------------

    def exact(self, rows: np.ndarray, at: int) -> tuple[Fraction, Fraction]:
        """The exact money of these distinct ballots' voters together after ``at`` rounds, and its slope
        in the share."""
        rows = rows[self.run.zeroed_at[rows] >= at]
        if not len(rows):
            return Fraction(0), Fraction(0)
        weights = self.b.weights[rows]
        weight = round(weights.sum())
        counts = np.rint(weights @ self.run.listing[rows, :at]).astype(np.int64).tolist() if at else []
        self._exact_slopes(at)
        return self.run.payments.left(weight, counts), self.slopes.left(weight, counts)

    def _exact_slopes(self, rounds: int) -> None:
        """The exact slope of the payments of the first ``rounds`` rounds: a payment's is minus the slope
        of the money of those who paid all they had, shared by the others."""
        while len(self.slopes.amounts) < rounds:
            at = len(self.slopes.amounts)
            poor_rows, rich = self.payers[at]
            _, slope = self.exact(poor_rows, at)
            self.slopes.append(-slope / rich)

    def offset(self) -> int | None:
        """The smallest integer d ≥ 1 such that the run at share + d might differ (None: none)."""
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            self._late()
            if not self.parts:
                return None
            alpha, sigma, alpha_error, sigma_error = (np.concatenate(part) for part in zip(*self.parts))
            earliest, latest = _offsets(alpha, sigma, alpha_error, sigma_error)
        last = float(latest.min())
        if last <= 1:
            return 1
        sizes = [len(items) for _, _, items, _, _ in self.what]
        part = np.repeat(np.arange(len(sizes)), sizes)
        position = np.arange(len(part)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        candidates = np.flatnonzero(earliest <= last)
        candidates = candidates[np.argsort(earliest[candidates], kind="stable")]
        best: float = math.inf
        seen: set = set()
        bound_cache: dict[int, tuple[Fraction, Fraction]] = {}
        for at_index in candidates:
            if earliest[at_index] >= best:
                break
            kind, rounds, items, flags, bounds = self.what[part[at_index]]
            item, flag = int(items[position[at_index]]), bool(flags[position[at_index]])
            at = rounds if isinstance(rounds, int) else int(rounds[position[at_index]])
            if kind == _PAYMENT:
                # Ballots with the same funded projects listed (and money left) have the same money.
                key = (at, flag, self.run.listing[item, :at].tobytes())
                if key in seen:
                    continue
                seen.add(key)
                money, slope = self.exact(np.array([item]), at)
                self._exact_slopes(at + 1)
                weight = int(self.b.weights[item])
                alpha_exact = money / weight - self.run.paid[at]
                sigma_exact = slope / weight - self.slopes.amounts[at]
                if flag:
                    alpha_exact, sigma_exact = -alpha_exact, -sigma_exact
            elif kind == _BOUND:
                assert bounds is not None
                bound = bounds[position[at_index]]
                funded = self.run.funded[at]
                if bound is None:
                    value, value_slope = Fraction(1, round(self.b.support[item])), Fraction(0)
                else:
                    if id(bound) not in bound_cache:
                        money, slope = self.exact(bound.poor, bound.round)
                        cost = self.b.costs[item]
                        bound_cache[id(bound)] = ((cost - money) / (cost * bound.rich), -slope / (cost * bound.rich))
                    value, value_slope = bound_cache[id(bound)]
                self._exact_slopes(at + 1)
                alpha_exact = value - self.run.paid[at] / self.b.costs[funded]
                sigma_exact = value_slope - self.slopes.amounts[at] / self.b.costs[funded]
            else:
                money, slope = self.exact(self.b.supporters(item), at)
                alpha_exact, sigma_exact = self.b.costs[item] - money, -slope
            best = min(best, _exact_offset(alpha_exact, sigma_exact, flag))
        return None if best == math.inf else int(best)


def _offsets(
    alpha: np.ndarray, sigma: np.ndarray, alpha_error: np.ndarray, sigma_error: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For g(b + d) = α + σ·d ≥ 0 (or > 0) with α, σ known within the errors: the earliest and the
    latest integer d ≥ 1 at which it could first fail (inf: never). (Called under ``np.errstate``: a
    quotient may overflow to inf, which is what it means.)"""
    low, fall = alpha - alpha_error, sigma_error - sigma  # the least α, the fastest fall
    high, slow = alpha + alpha_error, -sigma - sigma_error  # the largest α, the slowest fall
    soonest = np.divide(low, fall, out=np.full(len(low), np.inf), where=fall > 0)
    earliest = np.where(low > 0, np.maximum(1.0, np.ceil(soonest * (1 - 1e-9))), 1.0)
    last = np.divide(high, slow, out=np.full(len(high), np.inf), where=slow > 0)
    latest = np.where(high < 0, 1.0, np.maximum(1.0, np.floor(last * (1 + 1e-9)) + 1))
    return earliest, latest


def _exact_offset(alpha: Fraction, sigma: Fraction, strict: bool) -> float:
    """The first integer d ≥ 1 at which α + σ·d ≥ 0 (> 0 if ``strict``) fails (inf: never)."""
    if alpha < 0 or (strict and alpha == 0):
        return 1
    if sigma >= 0:
        return math.inf
    delta = alpha / -sigma
    return max(1, math.ceil(delta)) if strict else max(1, math.floor(delta) + 1)
