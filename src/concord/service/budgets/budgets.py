"""Participatory budgets in a space: a budget's life, from its making through its settings to opening
and closing its voting. A budget has a conversation of its own, whose participants are its voters: the
same anonymous participation, invitation codes, signed member ids and declared questions as any
conversation, and a place to discuss the projects. Its settings are :mod:`.settings`; its projects,
:mod:`.projects`; ballots, :mod:`.ballots`; deciding it, :mod:`.outcomes`; sharing it among the spaces
below, :mod:`.split`; pabulib files in and out, :mod:`.files`."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from concord.service.accounts.moderators import user_of
from concord.service.budgets.lookups import ballots_cast, budget_by_public_id, budgets_in
from concord.service.budgets.outcomes import publish_outcome, refresh_outcome
from concord.service.budgets.records import BudgetRecord, BudgetView
from concord.service.budgets.settings import BudgetSettings, topic_of
from concord.service.budgets.views import view_of
from concord.service.caller import Caller
from concord.service.clock import now_ms
from concord.service.conversations.lifecycle import create_conversation
from concord.service.errors import Conflict
from concord.service.spaces import require_moderator, space_by_id
from concord.store.models import Budget, Space, User

if TYPE_CHECKING:
    from concord.service.runtime import Runtime


def create_budget(
    session: Session, user: User | None, space: Space, settings: BudgetSettings, *, parent: Budget | None = None
) -> Budget:
    require_moderator(session, user, space)
    checked = settings.checked()
    conversation = create_conversation(
        session, user, space, settings.conversation_settings(checked["name"], checked["description"])
    )
    budget = Budget(
        public_id=secrets.token_urlsafe(8).replace("-", "x").replace("_", "y"),
        space_id=space.id,
        conversation_id=conversation.id,
        parent_id=parent.id if parent is not None else None,
        meta={},
        created_ms=now_ms(),
        **checked,
    )
    session.add(budget)
    session.flush()
    return budget


def update_budget(session: Session, user: User | None, budget: Budget, changes: dict[str, Any]) -> Budget:
    """Change some settings. Once ballots are cast, the amount and the ballot's rules stay (a voter chose
    under them)."""
    require_moderator(session, user, budget.space)
    checked = BudgetSettings.of(budget).like(**changes).checked()
    if ballots_cast(session, budget) and (checked["amount"] != budget.amount or checked["ballot"] != budget.ballot):
        raise Conflict(
            "ballots are cast: the amount and the ballot's rules can no longer change", "ballots_cast", field="amount"
        )
    for name, value in checked.items():
        setattr(budget, name, value)
    budget.conversation.topic = topic_of(checked["name"])
    budget.conversation.description = checked["description"]
    return budget


# --- use cases ------------------------------------------------------------------------------------


def start_budget(runtime: Runtime, caller: Caller, space_id: int, settings: BudgetSettings) -> BudgetView:
    with runtime.transaction() as session:
        budget = create_budget(session, user_of(session, caller), space_by_id(session, space_id), settings)
        return view_of(session, caller, budget)


def budget_view(runtime: Runtime, caller: Caller, public_id: str, reader: str | None = None) -> BudgetView:
    """``reader``: the reader's language, which its texts are shown in where translated."""
    with runtime.transaction() as session:
        return view_of(session, caller, budget_by_public_id(session, public_id), reader)


def change_budget(runtime: Runtime, caller: Caller, public_id: str, changes: dict[str, Any]) -> BudgetView:
    with runtime.transaction() as session:
        budget = budget_by_public_id(session, public_id)
        update_budget(session, user_of(session, caller), budget, changes)
        return view_of(session, caller, budget)


def closing_view(runtime: Runtime, caller: Caller, public_id: str) -> BudgetView:
    """The budget as its moderator sees it before closing its voting (what is asked first), refused to
    anyone else as the closing itself would be."""
    with runtime.transaction() as session:
        budget = budget_by_public_id(session, public_id)
        require_moderator(session, user_of(session, caller), budget.space)
        return view_of(session, caller, budget)


def open_or_close_budget(runtime: Runtime, caller: Caller, public_id: str, is_open: bool) -> BudgetView:
    """Closing stops the ballots (the results stay) and logs the outcome; reopening resumes them."""
    if not is_open:
        with runtime.transaction() as session:
            budget = budget_by_public_id(session, public_id)
            require_moderator(session, user_of(session, caller), budget.space)
            record = BudgetRecord.of(budget)
        # Computed before the closing transaction, which then finds it stored (unless a ballot came in
        # between) and only logs it: a big budget's computation holds no lock.
        refresh_outcome(runtime, record)
    with runtime.transaction() as session:
        budget = budget_by_public_id(session, public_id)
        require_moderator(session, user_of(session, caller), budget.space)
        if is_open and budget.split is not None:
            raise Conflict("this budget is split among the spaces below: each decides its own", "budget_split")
        budget.conversation.is_open = is_open
        budget.conversation.closed_ms = None if is_open else now_ms()
        if not is_open:
            publish_outcome(session, budget)
        return view_of(session, caller, budget)


def space_budgets(runtime: Runtime, space_id: int) -> list[BudgetRecord]:
    with runtime.transaction() as session:
        return [BudgetRecord.of(budget) for budget in budgets_in(session, space_by_id(session, space_id))]
