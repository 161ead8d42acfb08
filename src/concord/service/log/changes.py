"""Every change made through the ORM gets its log entry in the same flush: an ``after_flush`` hook turns
the new, changed and deleted rows of the logged tables into entries (:mod:`concord.ledger.events`) and
appends them to their conversation's or space's log. A use case cannot change a logged row and forget
its entry; the few paths that write with SQLAlchemy Core for speed (votes, imports) append their own.

Within one flush, logs are appended to in the order of their ids (so two transactions never wait on
each other's logs in opposite orders), and each log's entries come in the order of :data:`RANK`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, UOWTransaction, class_mapper

from concord.ledger import events
from concord.service.budgets.settings import PROJECT_LIMITS
from concord.service.clock import now_ms
from concord.service.conversations.settings import LOGGED_SETTINGS
from concord.service.decisions.rules import rule_of_conversation
from concord.service.log.appending import append, conversation_log_id, new_conversation_log, new_space_log, space_log_id
from concord.states import Translated
from concord.store.models import (
    BlocDecision,
    Budget,
    BudgetBallot,
    BudgetProject,
    BudgetTranslation,
    Conversation,
    ModerationEvent,
    Participant,
    ReportedTally,
    Space,
    SpaceProposal,
    SpaceTranslation,
    Statement,
    Translation,
    TranslationDecision,
)

LOGGED: dict[type, frozenset[str]] = {  # the columns whose change is an entry
    Space: frozenset({"path", "parent_id", "name", "description", "language", "decision_rule", "weight", "population"}),
    Conversation: frozenset({"is_open", "outcome", *LOGGED_SETTINGS}),
    Participant: frozenset({"number"}),  # answers: published apart, where enough share them (service.declared)
    Statement: frozenset({"text", "language", "author_id", "is_seed", "status", "is_proposal"}),
    ModerationEvent: frozenset(),  # only new ones
    Translation: frozenset({"text", "original", "status", "language"}),
    TranslationDecision: frozenset(),
    BlocDecision: frozenset(),  # only new ones
    Budget: frozenset(
        {"name", "description", "amount", "currency", "ballot", "opens_ms", "closes_ms", "parent_id", "split", "meta"}
    ),
    BudgetProject: frozenset({*PROJECT_LIMITS, "extra"}),
    BudgetBallot: frozenset({"projects", "points", "attributes"}),  # an imported voter's id is not published
    SpaceProposal: frozenset(),
    SpaceTranslation: frozenset({"text", "original", "status", "language"}),
    BudgetTranslation: frozenset({"text", "original", "status", "language"}),
    ReportedTally: frozenset({"agree", "disagree", "note"}),
}
RANK = {model: rank for rank, model in enumerate(LOGGED)}
LogKey = tuple[str, int]  # ("conversation", id) or ("space", id)


@event.listens_for(Session, "after_flush")
def _log_changes(session: Session, _flush: UOWTransaction) -> None:
    changed = [(obj, "new") for obj in session.new if type(obj) in LOGGED]
    changed += [(obj, "changed") for obj in session.dirty if type(obj) in LOGGED and _logged_change(obj)]
    changed += [(obj, "deleted") for obj in session.deleted if type(obj) is BudgetProject]
    if not changed:
        return
    with session.no_autoflush:
        entries = _Entries(session)
        for obj, kind in sorted(changed, key=lambda item: (RANK[type(item[0])], _id(item[0]))):
            entries.add(obj, kind)
        entries.append_all()


def _logged_change(obj: Any) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in LOGGED[type(obj)])


def _id(obj: Any) -> int:
    identity = inspect(obj).identity
    return identity[0] if identity and isinstance(identity[0], int) else 0


class _Entries:
    """The entries of one flush, by log."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.connection = session.connection()
        self.time = now_ms()
        self.by_log: dict[LogKey, list[dict[str, Any]]] = defaultdict(list)
        self.log_ids: dict[LogKey, int] = {}

    def add(self, obj: Any, kind: str) -> None:
        BUILDERS[type(obj)](self, obj, kind)

    def to(self, key: LogKey, entry: dict[str, Any]) -> None:
        self.by_log[key].append(entry)

    def append_all(self) -> None:
        ids = {key: self.log_id(key) for key in self.by_log}
        for key in sorted(self.by_log, key=lambda k: ids[k]):
            append(self.connection, ids[key], self.by_log[key])

    def log_id(self, key: LogKey) -> int:
        if key not in self.log_ids:
            kind, owner = key
            self.log_ids[key] = (
                conversation_log_id(self.connection, owner)
                if kind == "conversation"
                else space_log_id(self.connection, owner)
            )
        return self.log_ids[key]

    def number(self, model: type[Participant] | type[Statement], row_id: int | None) -> int | None:
        """A participant's or statement's number in its conversation, from its id."""
        if row_id is None:
            return None
        loaded = self.session.identity_map.get(class_mapper(model).identity_key_from_primary_key((row_id,)))
        if loaded is not None:
            return loaded.number
        return self.connection.execute(select(model.number).where(model.id == row_id)).scalar_one()

    def budget_conversation(self, budget_id: int) -> int:
        loaded = self.session.identity_map.get(class_mapper(Budget).identity_key_from_primary_key((budget_id,)))
        if loaded is not None:
            return loaded.conversation_id
        return self.connection.execute(select(Budget.conversation_id).where(Budget.id == budget_id)).scalar_one()


# --- one builder per logged table ------------------------------------------------------------------


def _space(entries: _Entries, space: Space, kind: str) -> None:
    if kind == "new":
        entries.log_ids["space", space.id] = new_space_log(entries.session, space.id, space.path)
    parent = None
    if space.parent_id is not None:
        parent = entries.connection.execute(select(Space.path).where(Space.id == space.parent_id)).scalar_one()
    fields = {
        "path": space.path,
        "parent": parent,
        "name": space.name,
        "description": space.description,
        "language": space.language,
        "rule": rule_entry(space.decision_rule),
        "weight": events.decimal(space.weight),
        "population": events.decimal(space.population),
    }
    entries.to(("space", space.id), events.space(entries.time, fields))
    if kind == "changed" and inspect(space).attrs["decision_rule"].history.has_changes():
        below = entries.session.scalars(
            select(Conversation)
            .join(Space, Space.id == Conversation.space_id)
            .where((Space.path == space.path) | Space.path.startswith(space.path.rstrip("/") + "/"))
            .order_by(Conversation.id)
        )
        # Those without a rule of their own (SQL NULL, or the JSON null a JSON column stores for None):
        # their rule in force changed with their space's.
        for conversation in below:
            if not conversation.decision_rule:
                _conversation(entries, conversation, "rule")


def _conversation(entries: _Entries, conversation: Conversation, kind: str) -> None:
    if kind == "new":
        path = entries.connection.execute(select(Space.path).where(Space.id == conversation.space_id)).scalar_one()
        log_id = new_conversation_log(entries.session, conversation.id, conversation.public_id, path)
        entries.log_ids["conversation", conversation.id] = log_id
    entries.to(("conversation", conversation.id), events.conversation(entries.time, settings_entry(conversation)))


def settings_entry(conversation: Conversation) -> dict[str, Any]:
    rule = rule_of_conversation(conversation)
    return {
        "topic": conversation.topic,
        "description": conversation.description,
        "language": conversation.language,
        "moderation": str(conversation.moderation),
        "access": str(conversation.access),
        "participants_can_write": bool(conversation.participants_can_write),
        "max_statement_length": conversation.max_statement_length,
        "attributes": events.exact(conversation.attributes or []),
        "open": bool(conversation.is_open),
        "rule": rule_entry({"name": rule.name, "parameters": rule.parameters}),
        "closes": conversation.closes_ms,
        "outcome": conversation.outcome or "",
    }


def rule_entry(rule: dict[str, Any] | None) -> dict[str, Any] | None:
    """A decision rule as logged: its parameters' fractions as decimal text."""
    if not rule:
        return None
    return {"name": rule["name"], "parameters": events.exact(rule.get("parameters") or {})}


def _participant(entries: _Entries, participant: Participant, kind: str) -> None:
    """Their number only: their answers are published by :mod:`concord.service.participation.declared`, where enough
    others share them, never beside their number here."""
    entries.to(("conversation", participant.conversation_id), events.participant(entries.time, participant.number))


def _statement(entries: _Entries, statement: Statement, kind: str) -> None:
    entry = events.statement(
        entries.time,
        statement.number,
        text=statement.text,
        language=statement.language,
        author=entries.number(Participant, statement.author_id),
        seed=bool(statement.is_seed),
        status=str(statement.status),
        proposal=bool(statement.is_proposal),
        created=statement.created_ms,
    )
    entries.to(("conversation", statement.conversation_id), entry)


def _moderation(entries: _Entries, decision: ModerationEvent, kind: str) -> None:
    conversation_id, number = entries.connection.execute(
        select(Statement.conversation_id, Statement.number).where(Statement.id == decision.statement_id)
    ).one()
    entry = events.moderation(entries.time, number, str(decision.status), decision.reason or "")
    entries.to(("conversation", conversation_id), entry)


def _translation(entries: _Entries, translation: Translation, kind: str) -> None:
    by: int | str | None = None
    if translation.translator_id is not None:
        by = entries.number(Participant, translation.translator_id)
    elif translation.moderator_id is not None:
        by = "moderator"
    entry = events.translation(
        entries.time,
        translation.id,
        subject=str(translation.subject),
        statement=entries.number(Statement, translation.statement_id)
        if translation.subject == Translated.STATEMENT
        else None,
        language=translation.language,
        text=translation.text,
        original=translation.original,
        status=str(translation.status),
        by=by,
    )
    entries.to(("conversation", translation.conversation_id), entry)


def _translation_decision(entries: _Entries, decision: TranslationDecision, kind: str) -> None:
    conversation_id = entries.connection.execute(
        select(Translation.conversation_id).where(Translation.id == decision.translation_id)
    ).scalar_one()
    entry = events.translation_decision(entries.time, decision.translation_id, str(decision.status), decision.reason)
    entries.to(("conversation", conversation_id), entry)


def _space_translation(entries: _Entries, translation: SpaceTranslation, kind: str) -> None:
    entry = events.space_translation(
        entries.time,
        translation.id,
        subject=translation.subject,
        language=translation.language,
        text=translation.text,
        original=translation.original,
        status=str(translation.status),
    )
    entries.to(("space", translation.space_id), entry)


def _budget_translation(entries: _Entries, translation: BudgetTranslation, kind: str) -> None:
    project = None
    if translation.project_id is not None:
        project = entries.connection.execute(
            select(BudgetProject.number).where(BudgetProject.id == translation.project_id)
        ).scalar_one()
    entry = events.budget_translation(
        entries.time,
        translation.id,
        project=project,
        subject=translation.subject,
        language=translation.language,
        text=translation.text,
        original=translation.original,
        status=str(translation.status),
    )
    entries.to(("conversation", entries.budget_conversation(translation.budget_id)), entry)


def _bloc(entries: _Entries, decision: BlocDecision, kind: str) -> None:
    entry = events.bloc(entries.time, list(decision.participants), str(decision.verdict), decision.reason)
    entries.to(("conversation", decision.conversation_id), entry)


def _budget(entries: _Entries, budget: Budget, kind: str) -> None:
    parent = None
    if budget.parent_id is not None:
        parent = entries.connection.execute(select(Budget.public_id).where(Budget.id == budget.parent_id)).scalar()
    fields = budget_fields(budget, parent)
    entries.to(("conversation", budget.conversation_id), events.budget(entries.time, fields))


def budget_fields(budget: Budget, parent: str | None) -> dict[str, Any]:
    """What a ``budget`` entry holds; ``parent``: the public id of the budget it was split from."""
    return {
        "budget": budget.public_id,
        "name": budget.name,
        "description": budget.description,
        "amount": budget.amount,
        "currency": budget.currency,
        "ballot": events.exact(budget.ballot),
        "opens": budget.opens_ms,
        "closes": budget.closes_ms,
        "parent": parent,
        "split": events.exact(budget.split),
        "meta": events.exact(budget.meta or {}),
    }


def _project(entries: _Entries, project: BudgetProject, kind: str) -> None:
    log = ("conversation", entries.budget_conversation(project.budget_id))
    if kind == "deleted":
        entries.to(log, events.project_removed(entries.time, project.number))
    else:
        entries.to(log, events.project(entries.time, project.number, project_fields(project)))


def project_fields(project: BudgetProject) -> dict[str, Any]:
    """What a ``project`` entry holds: every declared field of a project (numbers as exact decimals), and
    what else its pabulib file said of it."""
    fields = {
        name: events.decimal(getattr(project, name)) if limits.kind == "number" else getattr(project, name)
        for name, limits in PROJECT_LIMITS.items()
    }
    return {**fields, "extra": events.exact(project.extra or {})}


def _ballot(entries: _Entries, ballot: BudgetBallot, kind: str) -> None:
    """The ballot without its imported voter id (``voter``: null), which could name the voter to whoever
    holds the city's list; ``attributes`` are {} on every ballot stored now (an imported voter's columns
    are their answers, published where enough share them) and what an older import kept otherwise, as
    its log already published them."""
    entry = events.ballot(
        entries.time,
        entries.number(Participant, ballot.participant_id) or 0,
        list(ballot.projects),
        events.exact(ballot.points),
        None,
        events.exact(dict(ballot.attributes or {})),
    )
    entries.to(("conversation", entries.budget_conversation(ballot.budget_id)), entry)


def _proposal(entries: _Entries, proposal: SpaceProposal, kind: str) -> None:
    entry = events.proposal(entries.time, proposal.id, proposal.text, events.exact(proposal.place_rule))
    entries.to(("space", proposal.space_id), entry)


def _tally(entries: _Entries, tally: ReportedTally, kind: str) -> None:
    owner = entries.connection.execute(
        select(SpaceProposal.space_id).where(SpaceProposal.id == tally.proposal_id)
    ).scalar_one()
    place = entries.connection.execute(select(Space.path).where(Space.id == tally.space_id)).scalar_one()
    entry = events.tally(entries.time, tally.proposal_id, place, tally.agree, tally.disagree, tally.note or "")
    entries.to(("space", owner), entry)


BUILDERS: dict[type, Callable[[_Entries, Any, str], None]] = {
    Space: _space,
    Conversation: _conversation,
    Participant: _participant,
    Statement: _statement,
    ModerationEvent: _moderation,
    Translation: _translation,
    TranslationDecision: _translation_decision,
    SpaceTranslation: _space_translation,
    BudgetTranslation: _budget_translation,
    BlocDecision: _bloc,
    Budget: _budget,
    BudgetProject: _project,
    BudgetBallot: _ballot,
    SpaceProposal: _proposal,
    ReportedTally: _tally,
}
