"""A budget's outcome: its projects and ballots as an election, decided by the engine (equal shares with
add1 and greedy completion, greedy by votes beside it), explained, with the fairness report by opinion
group and by every declared attribute. Kept with a digest of what it was computed from, and computed
again only when a ballot, a project or the amount changed."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from concord.engine.budgets.election import Election, Project, ballots_from_lists
from concord.engine.budgets.outcome import decide_budget
from concord.report.budgets import budget_report, voter_groups
from concord.service.budgets import Budget, budget_by_public_id, projects_of, split_into
from concord.service.clock import now_ms
from concord.store.models import BudgetBallot, BudgetOutcomeRecord, BudgetProject, Participant

if TYPE_CHECKING:
    from concord.service.runtime import Runtime


@dataclass(frozen=True)
class Voters:
    """The ballots as an election, with what is known of each voter."""

    election: Election
    attributes: dict[str, list[str | None]]  # declared answers and imported voter columns, per voter
    digest: str  # of everything the outcome depends on


def election_of(session: Session, budget: Budget) -> Voters:
    projects = projects_of(session, budget)
    position = {project.number: index for index, project in enumerate(projects)}
    rows = session.execute(
        select(BudgetBallot.projects, BudgetBallot.attributes, Participant.attributes)
        .join(Participant, Participant.id == BudgetBallot.participant_id)
        .where(BudgetBallot.budget_id == budget.id)
        .order_by(BudgetBallot.id)
    ).all()
    lists = [[position[number] for number in chosen if number in position] for chosen, _, _ in rows]
    names = sorted({name for _, imported, declared in rows for name in {**(declared or {}), **(imported or {})}})
    attributes = {
        name: [({**(declared or {}), **(imported or {})}).get(name) for _, imported, declared in rows] for name in names
    }
    digest = hashlib.sha256(
        json.dumps(
            [budget.amount, [(p.code, p.cost) for p in projects], [chosen for chosen, _, _ in rows], attributes],
            sort_keys=True,
        ).encode()
    ).hexdigest()
    election = Election(
        budget=Fraction(budget.amount),
        projects=tuple(Project(project.code, Fraction(project.cost)) for project in projects),
        ballots=ballots_from_lists(lists, len(projects)),
    )
    return Voters(election, attributes, digest)


def outcome_report(session: Session, budget: Budget) -> dict[str, Any] | None:
    """The stored report if it is of the current ballots, else computed now and stored. None while
    there is nothing to decide (no project, or no ballot)."""
    projects = projects_of(session, budget)
    if not projects:
        return None
    voters = election_of(session, budget)
    if voters.election.voters == 0:
        return None
    record = session.get(BudgetOutcomeRecord, budget.id)
    if record is not None and record.ballots_digest == voters.digest:
        return record.report
    started = time.perf_counter()
    outcome = decide_budget(voters.election)
    names = [project.name for project in projects]
    report = budget_report(voters.election, outcome, voter_groups(voters.election, voters.attributes), names)
    report["numbers"] = {project.code: project.number for project in projects}
    seconds = time.perf_counter() - started
    if record is None:
        record = BudgetOutcomeRecord(budget_id=budget.id)
        session.add(record)
    record.computed_ms, record.ballots_digest, record.seconds, record.report = now_ms(), voters.digest, seconds, report
    return report


# --- use cases ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetResults:
    budget: Budget
    projects: list[BudgetProject]
    report: dict[str, Any] | None  # None: nothing to decide yet
    parts: list[tuple[Budget, dict[str, Any] | None]]  # a split budget: each part's outcome


def budget_results(runtime: Runtime, public_id: str) -> BudgetResults:
    """The outcome as it stands (while voting goes on, of the ballots cast so far); for a budget split
    among the spaces below, each part's."""
    with runtime.transaction() as session:
        budget = budget_by_public_id(session, public_id)
        parts = [(part, outcome_report(session, part)) for part in split_into(session, budget)]
        return BudgetResults(budget, projects_of(session, budget), outcome_report(session, budget), parts)
