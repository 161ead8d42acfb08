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
from concord.ledger import events
from concord.ledger.entries import digest
from concord.report.budgets import budget_report, voter_groups
from concord.service.budgets import Budget, budget_by_public_id, projects_of, split_into
from concord.service.clock import now_ms
from concord.service.log import append, conversation_log_id
from concord.store.models import BudgetOutcomeRecord, BudgetProject, Log, LogEntry, Participant

if TYPE_CHECKING:
    from concord.service.runtime import Runtime


@dataclass(frozen=True)
class Voters:
    """The ballots as an election, with what is known of each voter."""

    election: Election
    attributes: dict[str, list[str | None]]  # declared answers and imported voter columns, per voter
    digest: str  # of everything the outcome depends on


@dataclass(frozen=True)
class ProjectRow:
    """A project as the outcome reads it (a stored one, or one replayed from the log)."""

    number: int
    code: str
    name: str
    cost: str  # exact decimal


def voters_of(amount: str, projects: list[ProjectRow], ballots: list[tuple[list[int], dict, dict]]) -> Voters:
    """The election of these projects (by number) and ballots: (projects chosen, imported voter columns,
    declared answers) per voter, in the order they first voted."""
    position = {project.number: index for index, project in enumerate(projects)}
    lists = [[position[number] for number in chosen if number in position] for chosen, _, _ in ballots]
    names = sorted({name for _, imported, declared in ballots for name in {**(declared or {}), **(imported or {})}})
    attributes = {
        name: [({**(declared or {}), **(imported or {})}).get(name) for _, imported, declared in ballots]
        for name in names
    }
    digest = hashlib.sha256(
        json.dumps(
            [amount, [(p.code, p.cost) for p in projects], [chosen for chosen, _, _ in ballots], attributes],
            sort_keys=True,
        ).encode()
    ).hexdigest()
    election = Election(
        budget=Fraction(amount),
        projects=tuple(Project(project.code, Fraction(project.cost)) for project in projects),
        ballots=ballots_from_lists(lists, len(projects)),
    )
    return Voters(election, attributes, digest)


def report_of(voters: Voters, projects: list[ProjectRow]) -> dict[str, Any]:
    """The outcome, explained, with the fairness report: what a budget's results show and its
    ``outcome`` entry publishes (exact arithmetic: it recomputes to the same bytes anywhere)."""
    outcome = decide_budget(voters.election)
    names = [project.name for project in projects]
    report = budget_report(voters.election, outcome, voter_groups(voters.election, voters.attributes), names)
    report["numbers"] = {project.code: project.number for project in projects}
    return report


BUDGET_ENTRIES = ("budget", "project", "project-removed", "ballot")


def _logged(session: Session, budget: Budget) -> tuple[list[ProjectRow], Voters]:
    """The budget's amount, its projects and each voter's latest ballot as its conversation's log holds
    them (in the order the voters first voted, as ``concord verify`` replays them), with each voter's
    declared answers. The outcome is computed from these, while voting goes on as after it closed: a
    ballot or a project changed in the database behind the log's back changes nothing served."""
    log_id = conversation_log_id(session.connection(), budget.conversation_id)
    amount = budget.amount  # every budget's log holds its ``budget`` entry; this is only a fallback
    projects: dict[int, ProjectRow] = {}
    ballots: dict[int, tuple[list[int], dict]] = {}  # participant number → (projects, imported columns)
    bodies = session.scalars(
        select(LogEntry.body).where(LogEntry.log_id == log_id, LogEntry.type.in_(BUDGET_ENTRIES)).order_by(LogEntry.seq)
    )
    for body in bodies:
        entry = json.loads(body)
        kind = entry["type"]
        if kind == "budget":
            amount = entry["amount"]
        elif kind == "project":
            number = int(entry["project"])
            projects[number] = ProjectRow(number, entry["code"], entry["name"], entry["cost"])
        elif kind == "project-removed":
            projects.pop(int(entry["project"]), None)
        else:
            ballots[int(entry["participant"])] = (list(entry["projects"]), entry["attributes"] or {})
    declared: dict[int, dict] = {}
    if ballots:
        declared = dict(
            session.execute(
                # their answers as the log published them: only those enough voters share (service.declared)
                select(Participant.number, Participant.published).where(
                    Participant.conversation_id == budget.conversation_id
                )
            ).all()
        )
    rows = [projects[number] for number in sorted(projects)]
    return rows, voters_of(
        amount,
        rows,
        [(chosen, imported, declared.get(number) or {}) for number, (chosen, imported) in ballots.items()],
    )


def served_report(session: Session, budget: Budget) -> dict[str, Any] | None:
    """What the budget's outcome is now, storing nothing (a budget's record publishes it beside the log
    it holds, in a read-only snapshot): as :func:`outcome_report`."""
    return _report(session, budget, store=False)


def outcome_report(session: Session, budget: Budget) -> dict[str, Any] | None:
    """The stored report if it is of the ballots the log holds now, else computed now and stored. None
    while there is nothing to decide (no project, or no ballot)."""
    return _report(session, budget, store=True)


def _report(session: Session, budget: Budget, *, store: bool) -> dict[str, Any] | None:
    projects, voters = _logged(session, budget)
    if not projects or voters.election.voters == 0:
        return None
    record = session.get(BudgetOutcomeRecord, budget.id)
    if record is not None and record.ballots_digest == voters.digest:
        return record.report
    started = time.perf_counter()
    report = report_of(voters, projects)
    seconds = time.perf_counter() - started
    if not store:
        return report
    if record is None:
        record = BudgetOutcomeRecord(budget_id=budget.id)
        session.add(record)
    record.computed_ms, record.ballots_digest, record.seconds, record.report = now_ms(), voters.digest, seconds, report
    return report


def publish_outcome(session: Session, budget: Budget) -> None:
    """Log a closed budget's outcome (its digest, and the log prefix it is of), in the transaction that
    closed it: it holds the log, so the ballots read are exactly the log's."""
    session.flush()
    report = outcome_report(session, budget)
    if report is not None:
        connection = session.connection()
        log_id = conversation_log_id(connection, budget.conversation_id)
        size = connection.execute(select(Log.size).where(Log.id == log_id)).scalar_one()
        append(connection, log_id, [events.outcome(now_ms(), "budget", size, digest(report))])


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
