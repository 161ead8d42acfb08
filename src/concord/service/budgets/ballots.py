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


def record_ballot(session: Session, budget: Budget, participant: Participant, numbers: list[int]) -> BudgetBallot:
    """A voter's ballot, replacing their previous one, within the ballot's rules."""
    check_voting_open(budget)
    if not isinstance(numbers, list) or not all(isinstance(n, int) and not isinstance(n, bool) for n in numbers):
        raise Invalid("a ballot is a list of project numbers", field="projects")
    if len(set(numbers)) != len(numbers):
        raise Invalid("a ballot lists each project once", field="projects")
    costs = {p.number: Fraction(p.cost) for p in projects_of(session, budget)}
    unknown = [n for n in numbers if n not in costs]
    if unknown:
        raise Invalid("no project %(number)s in this budget", "unknown_project", field="projects", number=unknown[0])
    rules = budget.ballot
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
    ballot.projects = sorted(numbers) if rules["type"] != "ordinal" else numbers
    ballot.points = None
    ballot.updated_ms = now_ms()
    session.flush()
    return ballot


def cast_ballot(
    runtime: Runtime, caller: Caller, public_id: str, numbers: list[int], answers: dict[str, str] | None = None
) -> Cast:
    """A voter's ballot (joining, where anyone with the link may vote), replacing their previous one;
    with their answers to the budget's declared questions, if they gave any."""
    with runtime.transaction() as session:
        budget = budget_by_public_id(session, public_id)
        check_voting_open(budget)  # before anyone joins
        joined = acting_participant(session, budget.conversation, caller, runtime.limiter)
        runtime.limiter.check(session.connection(), VOTES, joined.participant.id)
        ballot = record_ballot(session, budget, joined.participant, numbers)
        if answers:
            set_attributes(budget.conversation, joined.participant, answers)
        return Cast(BallotRecord.of(ballot), joined.token)
