"""Proposals and their decisions: which statements are proposals, the decisions of a conversation's
proposals from its latest analysis, a space's default rule, and how a space weighs as a place."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from concord.engine.analysis import Analysis, GroupComparison
from concord.engine.decisions import Rule
from concord.report import contract
from concord.report.decisions import decisions, statement_votes
from concord.service.accounts import user_of
from concord.service.caller import Caller
from concord.service.conversations import conversation_by_public_id
from concord.service.errors import Invalid
from concord.service.rules import validated_rule
from concord.service.spaces import require_moderator, space_by_id
from concord.service.statements import statement_by_number
from concord.states import StatementStatus
from concord.store.models import Space, Statement

if TYPE_CHECKING:
    from concord.service.runtime import Runtime


class ProposalText(Protocol):
    """A statement as a decision reads it (a stored one, or one replayed from the log)."""

    @property
    def number(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def status(self) -> StatementStatus: ...
    @property
    def is_proposal(self) -> bool: ...


def decide_proposals(
    rule: Rule,
    analysis: Analysis,
    statements: Sequence[ProposalText],
    declared: Mapping[str, GroupComparison],
) -> contract.Decisions:
    """Every shown proposal of the conversation decided by ``rule``, from the analysis's groups."""
    numbers = [s.number for s in statements if s.is_proposal and s.status == StatementStatus.ACCEPTED]
    columns = np.flatnonzero(np.isin(analysis.matrix.statement_ids, numbers)).tolist()
    partitions = {name: (found.labels, found.names) for name, found in declared.items()}
    texts = {s.number: s.text for s in statements}
    return decisions(rule, statement_votes(analysis, columns, partitions), texts)


# --- use cases ------------------------------------------------------------------------------------


def mark_proposal(runtime: Runtime, caller: Caller, public_id: str, number: int, is_proposal: bool) -> Statement:
    """Make a statement a proposal (decided by the conversation's rule), or a statement again."""
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        require_moderator(session, user_of(session, caller), conversation.space)
        statement = statement_by_number(session, conversation, number)
        statement.is_proposal = is_proposal
    runtime.live.notify(conversation.id)
    return statement


def set_space_rule(runtime: Runtime, caller: Caller, space_id: int, rule: dict[str, Any] | None) -> Space:
    """The default rule of every conversation below this space that has none of its own."""
    with runtime.transaction() as session:
        space = space_by_id(session, space_id)
        require_moderator(session, user_of(session, caller), space)
        space.decision_rule = validated_rule(rule) if rule is not None else None
        return space


def set_place(runtime: Runtime, caller: Caller, space_id: int, *, weight: float, population: float | None) -> Space:
    """How this space weighs as a place in a roll-up: its weight (0.5 for a half-place), its population."""
    if not 0 <= weight <= 1000 or (population is not None and population < 0):
        raise Invalid("a place's weight is from 0 to 1000, and its population is not negative", field="weight")
    with runtime.transaction() as session:
        space = space_by_id(session, space_id)
        parent = space.parent if space.parent is not None else space
        require_moderator(session, user_of(session, caller), parent)  # weights are set by the space above
        space.weight, space.population = weight, population
        return space
