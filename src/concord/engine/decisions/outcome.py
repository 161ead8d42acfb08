"""What a decision rule returns: the result, and the explanation a reader needs to trust it — every
body's share with its interval against its threshold, which of them carried or vetoed the proposal,
and what a plain majority would have said."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from concord.engine.decisions.support import Side, Support, Verdict


class Result(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    UNDECIDED = "undecided"  # the data cannot tell (a sample's interval straddles a threshold, too few voters)


@dataclass(frozen=True)
class Check:
    """One body's share against one threshold, and the part it played."""

    body: str
    side: Side
    share: float | None
    low: float
    high: float
    threshold: float
    verdict: Verdict
    role: str  # e.g. "majority", "every group", "veto", "community"
    voters: int


def check(support: Support, threshold: float, role: str, side: Side = "agree", *, at_least: bool = False) -> Check:
    low, high = support.interval(side)
    return Check(
        body=support.name,
        side=side,
        share=support.share(side),
        low=low,
        high=high,
        threshold=threshold,
        verdict=support.verdict(threshold, side, at_least=at_least),
        role=role,
        voters=support.voting,
    )


@dataclass(frozen=True)
class Outcome:
    rule: str
    parameters: dict[str, Any]
    result: Result
    explanation: str  # one sentence, English, for logs and the CLI (pages compose their own)
    checks: list[Check]
    decisive: list[str] = field(default_factory=list)  # the bodies that carried, vetoed or left it open
    majority: Result | None = None  # what a plain majority of everyone would have said


def all_of(checks: list[Check]) -> Result:
    """Pass if every check clears, fail if any falls short, else undecided."""
    verdicts = {c.verdict for c in checks}
    if Verdict.SHORT in verdicts:
        return Result.FAIL
    if verdicts <= {Verdict.CLEARS}:
        return Result.PASS
    return Result.UNDECIDED


def as_result(verdict: Verdict) -> Result:
    return {Verdict.CLEARS: Result.PASS, Verdict.SHORT: Result.FAIL}.get(verdict, Result.UNDECIDED)
