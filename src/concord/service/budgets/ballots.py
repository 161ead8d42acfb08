"""Voters' ballots: one per voter, replaced by their next, within the ballot's rules."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from concord.service.budgets.lookups import ballot_of, budget_by_public_id, check_voting_open, projects_of
from concord.service.budgets.money import money_text
from concord.service.budgets.records import BallotRecord, Cast
from concord.service.caller import Caller
from concord.service.clock import now_ms
from concord.service.errors import Invalid
from concord.service.participation.joining import acting_participant, set_attributes
from concord.service.ratelimit import VOTES
from concord.store.models import Budget, BudgetBallot, Participant

if TYPE_CHECKING:
    from concord.service.runtime import Runtime


def _whole_numbers(values: object) -> bool:
    return isinstance(values, list) and all(isinstance(n, int) and not isinstance(n, bool) for n in values)


def ranked(numbers: list[int], ranks: list[int]) -> list[int]:
    """The projects in rank order, from each one's rank (1 the first choice): ranks go 1, 2, 3… each
    given once, without a gap."""
    if not _whole_numbers(ranks) or len(ranks) != len(numbers):
        raise Invalid("give each project ranked its rank", "ranks_mismatch", field="ranks")
    seen: set[int] = set()
    for rank in ranks:
        if rank < 1:
            raise Invalid("a rank is a whole number from 1 on: %(rank)s is not", "bad_rank", field="ranks", rank=rank)
        if rank in seen:
            raise Invalid("two projects are ranked %(rank)s: give each rank once", "repeated_rank", field="ranks",
                          rank=rank)  # fmt: skip
        seen.add(rank)
    for rank in range(1, len(ranks) + 1):
        if rank not in seen:
            raise Invalid("no project is ranked %(rank)s: ranks go 1, 2, 3… without a gap", "rank_gap",
                          field="ranks", rank=rank)  # fmt: skip
    return [number for _, number in sorted(zip(ranks, numbers, strict=True))]


def _checked_points(budget: Budget, numbers: list[int], points: list[int] | None) -> list[int] | None:
    """A cumulative ballot's points, one per project chosen: whole, more than 0, together within the
    points each voter shares out. Other ballots give none."""
    cumulative = budget.ballot["type"] == "cumulative"
    if not cumulative:
        if points is not None:
            raise Invalid("this ballot gives no points: choose projects", "no_points", field="points")
        return None
    if points is None and not numbers:
        points = []  # a blank ballot
    if points is None or not _whole_numbers(points) or len(points) != len(numbers):
        raise Invalid("give each project chosen its points", "points_mismatch", field="points")
    for given in points:
        if given < 1:
            raise Invalid("points are whole numbers more than 0: %(points)s is not", "bad_points", field="points",
                          points=given)  # fmt: skip
    most, total = budget.ballot.get("max_points"), sum(points)
    if most is not None and total > most:
        raise Invalid(
            "the points given add up to %(total)s, more than the %(most)s each voter shares out",
            "over_points",
            field="points",
            total=total,
            most=most,
        )
    return points


def record_ballot(
    session: Session,
    budget: Budget,
    participant: Participant,
    numbers: list[int],
    points: list[int] | None = None,
    ranks: list[int] | None = None,
) -> BudgetBallot:
    """A voter's ballot, replacing their previous one, within the ballot's rules: the projects chosen
    (in rank order for an ordinal ballot, or with ``ranks``, 1 the first choice), and a cumulative
    ballot's ``points``, one per project."""
    check_voting_open(budget)
    if not _whole_numbers(numbers):
        raise Invalid("a ballot is a list of project numbers", field="projects")
    rules = budget.ballot
    if ranks is not None:
        if rules["type"] != "ordinal":
            raise Invalid("this ballot ranks no projects: choose them", "no_ranks", field="ranks")
        numbers = ranked(numbers, ranks)
    given = _checked_points(budget, numbers, points)
    if len(set(numbers)) != len(numbers):
        raise Invalid("a ballot lists each project once", field="projects")
    costs = {p.number: Fraction(p.cost) for p in projects_of(session, budget)}
    unknown = [n for n in numbers if n not in costs]
    if unknown:
        raise Invalid("no project %(number)s in this budget", "unknown_project", field="projects", number=unknown[0])
    if rules["type"] == "choose-1" and len(numbers) != 1:
        raise Invalid("choose one project", "choose_one", field="projects")
    if rules.get("max_projects") and len(numbers) > rules["max_projects"]:
        raise Invalid(
            "a ballot lists at most %(most)s projects; this one lists %(count)s",
            "too_many_projects",
            field="projects",
            most=rules["max_projects"],
            count=len(numbers),
        )
    total = sum((costs[n] for n in numbers), Fraction(0))
    if rules.get("max_cost") and total > Fraction(rules["max_cost"]):
        raise Invalid(
            "the projects chosen cost %(total)s together, more than the limit of %(limit)s",
            "over_cost_limit",
            field="projects",
            total=money_text(total),
            limit=rules["max_cost"],
        )
    ballot = ballot_of(session, budget, participant)
    if ballot is None:
        ballot = BudgetBallot(budget_id=budget.id, participant_id=participant.id, attributes={})
        session.add(ballot)
    if rules["type"] == "ordinal":
        ballot.projects, ballot.points = numbers, None  # in rank order
    elif given is not None:  # by project, each with its points (as exact decimal text, as imports keep them)
        pairs = sorted(zip(numbers, given, strict=True))
        ballot.projects, ballot.points = [n for n, _ in pairs], [str(p) for _, p in pairs]
    else:
        ballot.projects, ballot.points = sorted(numbers), None
    ballot.updated_ms = now_ms()
    session.flush()
    return ballot


def cast_ballot(
    runtime: Runtime,
    caller: Caller,
    public_id: str,
    numbers: list[int],
    answers: dict[str, str] | None = None,
    *,
    points: list[int] | None = None,
    ranks: list[int] | None = None,
) -> Cast:
    """A voter's ballot (joining, where anyone with the link may vote), replacing their previous one;
    with their answers to the budget's declared questions, if they gave any. ``points``: a cumulative
    ballot's, one per project; ``ranks``: an ordinal ballot's, one per project (else the order of
    ``numbers`` is the ranking)."""
    with runtime.transaction() as session:
        budget = budget_by_public_id(session, public_id)
        check_voting_open(budget)  # before anyone joins
        joined = acting_participant(session, budget.conversation, caller, runtime.limiter)
        runtime.limiter.check(session.connection(), VOTES, joined.participant.id)
        ballot = record_ballot(session, budget, joined.participant, numbers, points, ranks)
        if answers:
            set_attributes(budget.conversation, joined.participant, answers)
        return Cast(BallotRecord.of(ballot), joined.token)
