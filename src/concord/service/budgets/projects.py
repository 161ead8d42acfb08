"""A budget's projects: added, changed and removed by its moderators until the first ballot (voters
chose among them, at their cost); after it, only renamed and described."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from concord.service.accounts.moderators import user_of
from concord.service.budgets.lookups import before_voting, budget_by_public_id, project_by_number, projects_of
from concord.service.budgets.records import ProjectRecord
from concord.service.budgets.settings import MAX_PROJECTS, ProjectFields
from concord.service.caller import Caller
from concord.service.conversations.lifecycle import lock_for_writing
from concord.service.errors import Conflict, Invalid
from concord.service.spaces import require_moderator
from concord.store.models import Budget, BudgetProject, User

if TYPE_CHECKING:
    from concord.service.runtime import Runtime


def add_project(session: Session, user: User | None, budget: Budget, fields: ProjectFields) -> BudgetProject:
    require_moderator(session, user, budget.space)
    before_voting(session, budget, "projects can no longer be added")
    checked = fields.checked()
    lock_for_writing(session, budget.conversation)
    existing = projects_of(session, budget)
    if len(existing) >= MAX_PROJECTS:
        raise Invalid("a budget has at most %(most)s projects", field="name", most=MAX_PROJECTS)
    number = max((p.number for p in existing), default=0) + 1
    code = fields.code_for(number)
    if any(p.code == code for p in existing):
        raise Conflict("the project id %(code)s is taken", "project_exists", field="code", code=code)
    project = BudgetProject(budget_id=budget.id, number=number, code=code, extra={}, **checked)
    session.add(project)
    session.flush()
    return project


def update_project(
    session: Session, user: User | None, budget: Budget, number: int, changes: dict[str, Any]
) -> BudgetProject:
    """Change a project; its cost only until the first ballot (voters chose at that cost)."""
    require_moderator(session, user, budget.space)
    project = project_by_number(session, budget, number)
    checked = ProjectFields.of(project).like(**changes).checked()
    if checked["cost"] != project.cost:
        before_voting(session, budget, "a project's cost can no longer change")
    for name, value in checked.items():
        setattr(project, name, value)
    return project


def remove_project(session: Session, user: User | None, budget: Budget, number: int) -> None:
    require_moderator(session, user, budget.space)
    before_voting(session, budget, "projects can no longer be removed")
    session.delete(project_by_number(session, budget, number))


# --- use cases ------------------------------------------------------------------------------------


def new_project(runtime: Runtime, caller: Caller, public_id: str, fields: ProjectFields) -> ProjectRecord:
    with runtime.transaction() as session:
        budget = budget_by_public_id(session, public_id)
        return ProjectRecord.of(add_project(session, user_of(session, caller), budget, fields))


def change_project(
    runtime: Runtime, caller: Caller, public_id: str, number: int, changes: dict[str, Any]
) -> ProjectRecord:
    with runtime.transaction() as session:
        budget = budget_by_public_id(session, public_id)
        return ProjectRecord.of(update_project(session, user_of(session, caller), budget, number, changes))


def delete_project(runtime: Runtime, caller: Caller, public_id: str, number: int) -> None:
    with runtime.transaction() as session:
        budget = budget_by_public_id(session, public_id)
        remove_project(session, user_of(session, caller), budget, number)
