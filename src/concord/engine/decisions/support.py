"""How a body (everyone, an opinion group, a declared community, a place) voted on one proposal, and
whether its share clears a threshold.

Counted ballots (a referendum, a place's reported tally) are decided exactly. A deliberation's groups
are samples of wider populations, so their share carries an interval: the central 90 % of the Beta
posterior Beta(agree + 1, disagree + 1) (shared/docs/decision-rules.md, "Deliberation samples vs counted
ballots"); when the interval straddles the threshold, or fewer than ``MIN_VOTERS`` voted, the data
cannot tell and the verdict is *unclear*, never a guess. Passes (abstentions) are not votes: shares are
agree / (agree + disagree), as "members present and voting" are counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

CONFIDENCE = 0.90  # the level of Pol.is's own tests (Z_90), polis-math.md §1.9
MIN_VOTERS = 5  # a sampled body with fewer voters on a proposal is reported as too small, not decided

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
        from scipy.stats import beta

        successes = self.agree if side == "agree" else self.disagree
        tail = (1 - CONFIDENCE) / 2
        posterior = beta(successes + 1, self.voting - successes + 1)
        return float(posterior.ppf(tail)), float(posterior.ppf(1 - tail))

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
