"""What a decision rule returns: the result, and what a reader needs to trust it — every body's share
with its interval against its threshold, which of them carried, vetoed or left it open (and how many
more voters would settle it), why in one word (``reason``), and what a plain majority would have said.
The sentence a reader reads is composed from these in their language (:mod:`concord.report.explain`)."""

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
    at_least: bool = False  # the share must reach the threshold (else exceed it)
    counted: bool = False  # exact ballots (else a deliberation's sample, with an interval)
    settle: int | None = None  # unsettled: how many more voters at the same split would settle it


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
        at_least=at_least,
        counted=support.counted,
        settle=support.to_settle(threshold, side, at_least=at_least),
    )


class Reason(StrEnum):
    """Why, in one word, for the sentence a reader reads."""

    CARRIED = "carried"  # every check the rule makes clears
    VETOED = "vetoed"  # a group opposes it beyond the veto threshold
    NO_MAJORITY = "no_majority"  # too few of everyone agree
    SHORT = "short"  # some group (or everyone) that must agree falls short
    TOO_FEW = "too_few"  # a body that counts has too few voters to tell yet
    CANNOT_TELL = "cannot_tell"  # a body's share is too close to its threshold for the votes at hand
    NO_GROUPS = "no_groups"  # the rule counts declared groups and there are none


def unsettled(checks: list[Check]) -> Reason:
    """Why checks that neither clear nor fall short leave it open: too few voters first."""
    return Reason.TOO_FEW if any(c.verdict == Verdict.TOO_FEW for c in checks) else Reason.CANNOT_TELL


def plain_majority(everyone: Support) -> Result:
    """What a plain majority of the votes cast says, counted as they are (more agree than disagree; a
    tie does not pass): the contrast every outcome shows, never an interval."""
    if everyone.voting == 0:
        return Result.UNDECIDED
    return Result.PASS if everyone.agree > everyone.disagree else Result.FAIL


@dataclass(frozen=True)
class Outcome:
    rule: str
    parameters: dict[str, Any]
    result: Result
    reason: Reason
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
