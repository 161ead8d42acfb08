"""Deciding across places: a wider space's outcome built from the outcomes of the spaces below it
(or of places that voted elsewhere and reported their tallies), at any depth.

A place that has not decided (*silent*) is never counted as a yes, and never dropped: the outcome says
how many places decided. A place whose own outcome is *undecided* may still go either way, so a roll-up
is judged twice, with every undecided place for and then against: it passes only if it passes both
ways, fails only if it fails both ways, and is undecided otherwise. Silent places are judged the same
way while the vote goes on (``silent="wait"``: a roll-up is not "failing" because districts have not
voted yet); for a final count, ``silent="against"`` counts them as not passing, as a state that does not
ratify an amendment has not ratified it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from concord.engine.decisions.outcome import Result
from concord.engine.decisions.rule import Param, RuleParameterError, checked_parameters
from concord.engine.decisions.support import Support

WEIGHINGS = ("places", "population", "participants")
MAX_DEPTH = 12  # spaces nested deeper than this are not rolled up (a safeguard, not a design limit)
SILENT = Param(
    "wait",
    "places that have not decided: wait (the outcome stays open while they could change it) or against",
    kind=str,
    choices=("wait", "against"),
)


@dataclass(frozen=True)
class Place:
    """One place's outcome on the proposal, with what weighs it."""

    name: str
    result: Result | None  # None: silent, it has not decided
    agree: int = 0  # its votes, for a popular majority across places
    disagree: int = 0
    weight: float = 1.0  # as a place (a half-place weighs 0.5)
    population: float | None = None  # declared
    participants: int = 0
    assumed: bool = False  # its result is supposed, to see whether a place still open could change the outcome

    def __post_init__(self) -> None:
        if self.weight < 0 or (self.population is not None and self.population < 0):
            raise ValueError(f"{self.name}: weights and populations cannot be negative")


def reported(name: str, agree: int, disagree: int, *, weight: float = 1.0, population: float | None = None) -> Place:
    """A place that counted ballots elsewhere (on paper, at a meeting without connectivity) and reports
    its tally: decided exactly, a tie does not pass, a place with no vote is silent."""
    support = Support(name, agree, disagree, counted=True)
    result = None if support.voting == 0 else Result.PASS if agree > disagree else Result.FAIL
    return Place(name, result, agree, disagree, weight, population, agree + disagree)


@dataclass(frozen=True)
class RollupOutcome:
    rule: str
    parameters: dict[str, Any]
    result: Result
    places: list[Place]
    passing: list[str]
    failing: list[str]
    undecided: list[str]
    silent: list[str]
    popular: Result  # a majority of all votes cast in every place together
    detail: dict[str, Any] = field(default_factory=dict)  # the rule's own figures (weights, shares)

    def as_place(self, name: str, *, weight: float = 1.0, population: float | None = None) -> Place:
        """This outcome as one place of a wider roll-up (district → province → country)."""
        agree = sum(p.agree for p in self.places)
        disagree = sum(p.disagree for p in self.places)
        decided = self.passing or self.failing or self.undecided
        result = self.result if decided else None  # no place below has decided: silent too
        participants = sum(p.participants for p in self.places)
        return Place(name, result, agree, disagree, weight, population, participants)


class PlaceRule:
    name: ClassVar[str]
    summary: ClassVar[str]
    parameters: ClassVar[dict[str, Param]] = {}

    def __init__(self, **given: Any) -> None:
        self.values = checked_parameters(self.name, self.parameters, given)

    def passes(self, places: Sequence[Place]) -> tuple[bool, dict[str, Any]]:
        """Whether the proposal passes when every place's result is settled (pass or fail)."""
        raise NotImplementedError

    def decide(self, places: Sequence[Place]) -> RollupOutcome:
        places = list(places)
        if len({p.name for p in places}) != len(places):
            raise RuleParameterError("each place may appear once")
        undecided = [p.name for p in places if p.result == Result.UNDECIDED]
        waiting = self.values.get("silent", "wait") == "wait"
        open_ = {p.name for p in places if p.result == Result.UNDECIDED or (waiting and p.result is None)}
        hopeful = [replace(p, result=Result.PASS, assumed=True) if p.name in open_ else p for p in places]
        doubtful = [replace(p, result=Result.FAIL, assumed=True) if p.name in open_ else p for p in places]
        best, detail = self.passes(hopeful)
        worst, detail_if_failing = self.passes(doubtful)
        result = Result.PASS if worst else Result.FAIL if not best else Result.UNDECIDED
        agree, disagree = sum(p.agree for p in places), sum(p.disagree for p in places)
        passing = [p.name for p in places if p.result == Result.PASS]
        failing = [p.name for p in places if p.result == Result.FAIL]
        silent = [p.name for p in places if p.result is None]
        return RollupOutcome(
            self.name,
            dict(self.values),
            result,
            places,
            passing,
            failing,
            undecided,
            silent,
            Result.PASS if agree > disagree else Result.FAIL,
            detail_if_failing if result == Result.FAIL else detail,
        )

    def _weight(self, place: Place) -> float:
        """A place's weight by the rule's ``weigh`` parameter: as a place, by population, by participants."""
        weigh = self.values.get("weigh") or "places"
        if weigh == "population":
            return place.population if place.population is not None else float(place.participants)
        return float(place.participants) if weigh == "participants" else place.weight


def share_of(places: Sequence[Place], weight: Callable[[Place], float]) -> float:
    total = sum(weight(p) for p in places)
    return sum(weight(p) for p in places if p.result == Result.PASS) / total if total else 0.0
