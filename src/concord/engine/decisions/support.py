"""How a body (everyone, an opinion group, a declared community, a place) voted on one proposal, and
whether its share clears a threshold.

Counted ballots (a referendum, a place's reported tally) are decided exactly. A deliberation's groups
are samples of wider populations, so their share carries an interval: 90 % of the Beta posterior
Beta(agree + 1, disagree + 1) (shared/docs/decision-rules.md, "Deliberation samples vs counted
ballots"), the 90 % of highest density. Its mode is the share itself, so the share always lies inside its
interval (the central 90 % would exclude it at 0 % and 100 %: "0 % (1 %–26 %)"). When the interval
straddles the threshold, or fewer than ``MIN_VOTERS`` voted, the data cannot tell and the verdict is
*unclear*, never a guess; :meth:`Support.to_settle` says how many more voters at the same split would
settle it. Passes (abstentions) are not votes: shares are agree / (agree + disagree), as "members
present and voting" are counted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from functools import lru_cache
from math import log
from typing import Literal

CONFIDENCE = 0.90  # the level of Pol.is's own tests (Z_90), polis-math.md §1.9
MIN_VOTERS = 5  # a sampled body with fewer voters on a proposal is reported as too small, not decided
SETTLE_LIMIT = 100_000  # more voters than this at the same split are not offered as what would settle it

Side = Literal["agree", "disagree"]


class Verdict(StrEnum):
    CLEARS = "clears"  # the share is past the threshold (for a sample: its whole interval)
    SHORT = "short"  # it is not
    UNCLEAR = "unclear"  # a sample whose interval straddles the threshold
    TOO_FEW = "too_few"  # a sample with fewer than MIN_VOTERS voters


@dataclass(frozen=True)
class Support:
    """Votes of one body on one proposal."""

    name: str
    agree: int
    disagree: int
    passed: int = 0  # saw it and passed: not a vote either way
    counted: bool = False  # exact ballots (True) or a deliberation's sample (False)

    def __post_init__(self) -> None:
        if min(self.agree, self.disagree, self.passed) < 0:
            raise ValueError(f"{self.name}: vote counts cannot be negative")

    @property
    def voting(self) -> int:
        return self.agree + self.disagree

    def share(self, side: Side = "agree") -> float | None:
        """The side's share of those who voted; None when nobody did."""
        if self.voting == 0:
            return None
        return (self.agree if side == "agree" else self.disagree) / self.voting

    def interval(self, side: Side = "agree") -> tuple[float, float]:
        """The side's share as an interval: exact for counted ballots, else the 90 % Beta posterior."""
        share = self.share(side)
        if self.counted:
            return (share, share) if share is not None else (0.0, 1.0)
        successes = self.agree if side == "agree" else self.disagree
        return highest_density_interval(successes, self.voting - successes)

    def verdict(self, threshold: float, side: Side = "agree", *, at_least: bool = False) -> Verdict:
        """Whether the side's share is more than ``threshold`` (or at least it, with ``at_least``)."""
        if not self.counted and self.voting < MIN_VOTERS:
            return Verdict.TOO_FEW
        share = self.share(side)
        if self.counted:
            if share is None:
                return Verdict.SHORT
            return Verdict.CLEARS if (share >= threshold if at_least else share > threshold) else Verdict.SHORT
        low, high = self.interval(side)
        if low > threshold or (at_least and low >= threshold):
            return Verdict.CLEARS
        if high < threshold or (not at_least and high <= threshold):
            return Verdict.SHORT
        return Verdict.UNCLEAR

    def to_settle(self, threshold: float, side: Side = "agree", *, at_least: bool = False) -> int | None:
        """How many more voters, splitting as these did, would settle an unsettled verdict: the fewest
        that make it clear or short (at least enough to reach ``MIN_VOTERS``). None when it is settled,
        or when even ``SETTLE_LIMIT`` more would not settle it (a share on the threshold itself)."""
        if self.counted or self.verdict(threshold, side, at_least=at_least) in (Verdict.CLEARS, Verdict.SHORT):
            return None
        agree_rate = self.agree / self.voting if self.voting else None

        def settled(more: int) -> bool:
            if agree_rate is None:  # nobody voted yet: any split of MIN_VOTERS settles nothing known
                return more >= MIN_VOTERS
            total = self.voting + more
            agree = round(agree_rate * total)
            grown = replace(self, agree=agree, disagree=total - agree)
            return grown.verdict(threshold, side, at_least=at_least) in (Verdict.CLEARS, Verdict.SHORT)

        if agree_rate is None:
            return MIN_VOTERS
        high = 1
        while not settled(high):
            if high > SETTLE_LIMIT:
                return None
            high *= 2
        low = high // 2  # settled(high) holds; settled(low) does not (or low is 0)
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (low, middle) if settled(middle) else (middle, high)
        return high


def _log_density(x: float, a: int, b: int) -> float:
    """log of Beta(a + 1, b + 1)'s density at x, up to a constant."""
    if (x <= 0 and a > 0) or (x >= 1 and b > 0):
        return float("-inf")
    return (a * log(x) if a else 0.0) + (b * log(1 - x) if b else 0.0)


@lru_cache(maxsize=1 << 16)
def highest_density_interval(successes: int, failures: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The shortest interval holding ``confidence`` of Beta(successes + 1, failures + 1), the posterior
    of a share after these votes from a uniform prior. The posterior is unimodal with its mode at the
    observed share, so the interval is where the density is highest: its two ends have equal density.
    Found by bisection on the lower tail's probability (deterministic, to 1e-12)."""
    from scipy.special import betaincinv

    a, b = successes + 1, failures + 1
    if successes == failures == 0:  # no votes: the uniform prior, whose every 90 % is as short; the central one
        return (1 - confidence) / 2, (1 + confidence) / 2
    if successes == 0:
        return 0.0, float(betaincinv(a, b, confidence))
    if failures == 0:
        return float(betaincinv(a, b, 1 - confidence)), 1.0

    def ends(tail: float) -> tuple[float, float]:
        return float(betaincinv(a, b, tail)), float(betaincinv(a, b, tail + confidence))

    low, high = 0.0, 1 - confidence  # lower tails: the lower end's density rises with it, the upper's falls
    for _ in range(60):
        middle = (low + high) / 2
        lower, upper = ends(middle)
        if _log_density(lower, successes, failures) < _log_density(upper, successes, failures):
            low = middle
        else:
            high = middle
    return ends((low + high) / 2)
