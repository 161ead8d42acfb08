"""Proposals and their decisions: which statements are proposals, a space's default rule, and how a
space weighs as a place. (The decisions themselves are computed with the analysis:
:func:`concord.report.decisions.decide_proposals`.)"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from concord.service.accounts.moderators import user_of
from concord.service.caller import Caller
from concord.service.conversations.lifecycle import conversation_by_public_id, require_open
from concord.service.conversations.statements import StatementRecord, statement_by_number
from concord.service.decisions.rules import validated_rule
from concord.service.errors import Invalid
from concord.service.spaces import SpaceRecord, require_moderator, space_by_id

if TYPE_CHECKING:
    from concord.service.runtime import Runtime

MAX_WEIGHT = 1000  # a place's, in a roll-up


# --- use cases ------------------------------------------------------------------------------------


def mark_proposal(runtime: Runtime, caller: Caller, public_id: str, number: int, is_proposal: bool) -> StatementRecord:
    """Make a statement a proposal (decided by the conversation's rule), or a statement again; not in a
    closed conversation, whose decisions are final."""
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        require_moderator(session, user_of(session, caller), conversation.space)
        require_open(conversation)
        statement = statement_by_number(session, conversation, number)
        statement.is_proposal = is_proposal
        marked = StatementRecord.of(statement)
    runtime.live.notify(conversation.id)
    return marked


def set_space_rule(runtime: Runtime, caller: Caller, space_id: int, rule: dict[str, Any] | None) -> SpaceRecord:
    """The default rule of every conversation below this space that has none of its own."""
    with runtime.transaction() as session:
        space = space_by_id(session, space_id)
        require_moderator(session, user_of(session, caller), space)
        space.decision_rule = validated_rule(rule) if rule is not None else None
        return SpaceRecord.of(space)


def set_place(
    runtime: Runtime, caller: Caller, space_id: int, *, weight: float, population: float | None
) -> SpaceRecord:
    """How this space weighs as a place in a roll-up: its weight (0.5 for a half-place), its population.
    Written so that NaN, which compares false with everything, and infinities are refused too."""
    weighs = 0 <= weight <= MAX_WEIGHT
    if not weighs or (population is not None and not 0 <= population < math.inf):
        field = "population" if weighs else "weight"
        raise Invalid("a place's weight is from 0 to 1000, and its population is not negative", field=field)
    with runtime.transaction() as session:
        space = space_by_id(session, space_id)
        parent = space.parent if space.parent is not None else space
        require_moderator(session, user_of(session, caller), parent)  # weights are set by the space above
        space.weight, space.population = weight, population
        return SpaceRecord.of(space)
