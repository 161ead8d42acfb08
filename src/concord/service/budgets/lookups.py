"""Finding a budget, its projects, its ballots and the budgets split from it; and where its voting
stands."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from concord.service.clock import now_ms
from concord.service.errors import Conflict, Label, NotFound
from concord.store.models import MAX_ID, Budget, BudgetBallot, BudgetProject, Participant, Space


def budget_by_public_id(session: Session, public_id: str) -> Budget:
    """A budget, unless it is still being imported (then nobody sees it yet)."""
    found = session.scalar(select(Budget).where(Budget.public_id == public_id, Budget.importing_until.is_(None)))
    if found is None:
        raise NotFound("no budget %(budget)s", budget=public_id)
    return found


def projects_of(session: Session, budget: Budget) -> list[BudgetProject]:
    return list(
        session.scalars(
            select(BudgetProject).where(BudgetProject.budget_id == budget.id).order_by(BudgetProject.number)
        )
    )


def project_by_number(session: Session, budget: Budget, number: int) -> BudgetProject:
    project = (
        session.scalar(
            select(BudgetProject).where(BudgetProject.budget_id == budget.id, BudgetProject.number == number)
        )
        if 0 <= number <= MAX_ID
        else None
    )
    if project is None:
        raise NotFound("no project %(number)s in this budget", number=number)
    return project


def ballots_cast(session: Session, budget: Budget) -> int:
    return session.scalar(select(func.count(BudgetBallot.id)).where(BudgetBallot.budget_id == budget.id)) or 0


def ballot_of(session: Session, budget: Budget, participant: Participant) -> BudgetBallot | None:
    """A voter's ballot, if they cast one."""
    return session.scalar(
        select(BudgetBallot).where(BudgetBallot.budget_id == budget.id, BudgetBallot.participant_id == participant.id)
    )


def budgets_in(session: Session, space: Space) -> list[Budget]:
    """A space's budgets, newest first (but those still being imported)."""
    return list(
        session.scalars(
            select(Budget)
            .where(Budget.space_id == space.id, Budget.importing_until.is_(None))
            .order_by(Budget.id.desc())
        )
    )


def split_into(session: Session, budget: Budget) -> list[Budget]:
    return list(session.scalars(select(Budget).where(Budget.parent_id == budget.id).order_by(Budget.id)))


def voting_state(budget: Budget, now: int | None = None) -> str:
    """ "open", "not-yet" (before its period), "closed", or "split" (its money went to the spaces below)."""
    now = now or now_ms()
    if budget.split is not None:
        return "split"
    if not budget.conversation.is_open or (budget.closes_ms is not None and now >= budget.closes_ms):
        return "closed"
    if budget.opens_ms is not None and now < budget.opens_ms:
        return "not-yet"
    return "open"


def check_voting_open(budget: Budget) -> None:
    state = voting_state(budget)
    if state == "not-yet":
        raise Conflict("voting has not opened yet", "voting_not_open")
    if state in ("closed", "split"):
        raise Conflict("voting is closed", "voting_closed")


def before_voting(session: Session, budget: Budget, refusal: str) -> None:
    """Refuse a change that voters would not have chosen under (``refusal``: what can no longer be)."""
    if budget.split is not None:
        raise Conflict("this budget is split among the spaces below: each decides its own", "budget_split")
    if ballots_cast(session, budget):
        raise Conflict("ballots are cast: %(what)s", "ballots_cast", what=Label(refusal))
