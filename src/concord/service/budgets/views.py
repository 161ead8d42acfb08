"""A budget as its page shows it to one reader: its projects, the ballots cast, the reader's own, and
what the reader may do."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from concord.service.accounts.moderators import user_of
from concord.service.budgets.lookups import ballot_of, ballots_cast, projects_of, split_into
from concord.service.budgets.records import BallotRecord, BudgetRecord, BudgetView, ProjectRecord
from concord.service.caller import Caller
from concord.service.conversations.wordings import budget_texts
from concord.service.participation.joining import find_participant
from concord.service.spaces import moderates
from concord.states import Access
from concord.store.models import Budget


def view_of(session: Session, caller: Caller, budget: Budget, reader: str | None = None) -> BudgetView:
    """``reader``: the reader's language (None: the budget's texts as written)."""
    participant = find_participant(session, budget.conversation, caller)
    mine = ballot_of(session, budget, participant) if participant is not None else None
    return BudgetView(
        budget=BudgetRecord.of(budget),
        projects=[ProjectRecord.of(project) for project in projects_of(session, budget)],
        ballots=ballots_cast(session, budget),
        mine=BallotRecord.of(mine) if mine is not None else None,
        is_moderator=moderates(session, user_of(session, caller), budget.space),
        needs_join=participant is None and budget.conversation.access != Access.LINK,
        parts=[(BudgetRecord.of(part), ballots_cast(session, part)) for part in split_into(session, budget)],
        parent=session.scalar(select(Budget.public_id).where(Budget.id == budget.parent_id))
        if budget.parent_id
        else None,
        asked=[
            question
            for question in budget.conversation.attributes or []
            if participant is None or question["name"] not in (participant.attributes or {})
        ],
        texts=budget_texts(session, budget, reader),
    )
