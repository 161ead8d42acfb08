"""Where a moderator lands after logging in: the spaces they hold (each with those below it, where a
district's moderator works), what is open in each, and what waits for their decision, so that every
next step (a new conversation, a new budget, a proposal put to the places below) is a link away."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from concord.service.accounts.moderators import UserRecord, require_user, user_of
from concord.service.budgets.lookups import voting_state
from concord.service.caller import Caller
from concord.service.conversations.settings import ConversationRecord
from concord.service.conversations.statements import StatementRecord, statements_of
from concord.service.conversations.wordings import Shown, topics
from concord.service.spaces import BudgetListed, ConversationListed, SpaceRecord, moderates
from concord.states import StatementStatus
from concord.store.models import Budget, Conversation, Space, SpaceRole, Statement, User, being_imported

if TYPE_CHECKING:
    from concord.service.runtime import Runtime

WAITING_PREVIEW = 3  # statements shown of each conversation's queue
OPEN_BUDGET_STATES = ("open", "not-yet")  # a budget still ahead of its decision


@dataclass(frozen=True)
class Waiting:
    conversation: ConversationRecord
    pending: int  # statements waiting for a decision
    first: list[StatementRecord]  # the oldest few of them


@dataclass(frozen=True)
class OpenBudget:
    budget: BudgetListed
    state: str  # "open", or "not-yet" (before its voting period)


@dataclass(frozen=True)
class HeldSpace:
    """A space the moderator holds, with what is open in it."""

    space: SpaceRecord
    conversations: list[ConversationListed]  # open ones (a budget's own is listed as the budget), newest first
    budgets: list[OpenBudget]  # those whose voting is open or has yet to open, newest first
    has_places: bool  # it has spaces inside, to put a proposal to


@dataclass(frozen=True)
class ModeratorHome:
    user: UserRecord
    spaces: list[HeldSpace]  # by path: each held space followed by those inside it
    topics: dict[int, Shown]  # the open conversations' topics as the reader sees them, by id
    waiting: list[Waiting]  # conversations with statements waiting, most waiting first


def moderator_home(runtime: Runtime, caller: Caller, reader: str = "en") -> ModeratorHome:
    """The logged-in moderator's spaces and what waits in them (Unauthorized without a login)."""
    with runtime.transaction() as session:
        user = require_user(user_of(session, caller))
        held = _held_spaces(session, user)
        ids = [space.id for space in held]
        open_conversations = list(
            session.scalars(
                select(Conversation)
                .where(
                    Conversation.space_id.in_(ids),
                    Conversation.is_open,
                    ~being_imported(Conversation.id),
                    ~exists().where(Budget.conversation_id == Conversation.id),
                )
                .order_by(Conversation.id.desc())
            )
        )
        budgets = list(
            session.scalars(
                select(Budget)
                .where(Budget.space_id.in_(ids), Budget.importing_until.is_(None))
                .order_by(Budget.id.desc())
            )
        )
        with_places = set(session.scalars(select(Space.parent_id).where(Space.parent_id.in_(ids))))
        spaces = [
            HeldSpace(
                SpaceRecord.of(space),
                [ConversationListed.of(c) for c in open_conversations if c.space_id == space.id],
                [
                    OpenBudget(BudgetListed.of(b), state)
                    for b in budgets
                    if b.space_id == space.id and (state := voting_state(b)) in OPEN_BUDGET_STATES
                ],
                space.id in with_places,
            )
            for space in held
        ]
        return ModeratorHome(
            UserRecord.of(user), spaces, topics(session, open_conversations, reader), _waiting(session, user)
        )


def _held_spaces(session: Session, user: User) -> list[Space]:
    """Every space the user moderates: those granted to them and all below (an administrator: all)."""
    query = select(Space).order_by(Space.path)
    if not user.is_admin:
        granted = list(
            session.scalars(
                select(Space.path).join(SpaceRole, SpaceRole.space_id == Space.id).where(SpaceRole.user_id == user.id)
            )
        )
        if not granted:
            return []
        query = query.where(
            or_(*(or_(Space.path == path, Space.path.startswith(path + "/", autoescape=True)) for path in granted))
        )
    return list(session.scalars(query))


def _waiting(session: Session, user: User) -> list[Waiting]:
    """Every conversation with statements waiting, in the spaces this moderator holds (and below)."""
    counted = session.execute(
        select(Conversation, func.count(Statement.id))
        .join(Statement, Statement.conversation_id == Conversation.id)
        .where(Statement.status == StatementStatus.PENDING)
        .group_by(Conversation.id)
    ).all()
    waiting = [
        Waiting(
            ConversationRecord.of(conversation),
            count,
            [
                StatementRecord.of(s)
                for s in statements_of(session, conversation, StatementStatus.PENDING)[:WAITING_PREVIEW]
            ],
        )
        for conversation, count in counted
        if moderates(session, user, conversation.space)
    ]
    return sorted(waiting, key=lambda w: (-w.pending, w.conversation.id))
