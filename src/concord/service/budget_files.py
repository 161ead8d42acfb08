"""Budgets in and out as pabulib ``.pb`` files (:mod:`concord.formats.pabulib`): an imported file becomes
a budget of the space, its voters participants of the budget's conversation (without tokens, so nobody
can vote as them) with their pabulib voter id and columns kept; an exported budget is the file again,
field for field (every META key, every project and voter column kept on import is written back)."""

from __future__ import annotations

import hashlib
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from concord.formats.errors import InputFileError
from concord.formats.pabulib import PabulibFile, parse_pabulib, read_number, write_pabulib
from concord.ledger import events as ledger_events
from concord.service.accounts import user_of
from concord.service.budgets import (
    MAX_PROJECTS,
    Budget,
    BudgetSettings,
    BudgetView,
    budget_by_public_id,
    create_budget,
    money_text,
    projects_of,
    view_of,
)
from concord.service.caller import Caller
from concord.service.clock import now_ms
from concord.service.declared import declared_entries, shared_only
from concord.service.errors import Invalid
from concord.service.exchange import Download
from concord.service.log import append_all, conversation_log_id
from concord.service.spaces import require_moderator, space_by_id
from concord.store.models import BudgetBallot, BudgetProject, Participant, Space, User

if TYPE_CHECKING:
    from concord.service.runtime import Runtime

MAX_PB_BYTES = 32 * 1024 * 1024
PROJECT_FIELDS = {"project_id", "name", "description", "category", "latitude", "longitude"}  # stored in columns
BATCH = 20_000


def import_pabulib(session: Session, user: User | None, space: Space, data: bytes, name: str) -> Budget:
    """A pabulib file as a new budget of this space, all or nothing."""
    require_moderator(session, user, space)
    try:
        parsed = parse_pabulib(data, name)
        election = parsed.election()
    except InputFileError as error:
        raise Invalid("%(problem)s", "malformed_file", field="file", problem=str(error)) from None
    if len(parsed.projects) > MAX_PROJECTS:
        raise Invalid("a budget has at most %(most)s projects", field="file", most=MAX_PROJECTS)
    meta = parsed.meta
    vote_type = parsed.vote_type
    settings = BudgetSettings(
        name=(meta.get("description") or meta.get("instance") or name)[:300],
        amount=money_text(election.budget),
        currency=meta.get("currency", "")[:8],
        ballot_type="choose-1" if vote_type == "choose-1" else "approval",
        max_projects=int(meta["max_length"])
        if meta.get("max_length", "").isdigit() and int(meta["max_length"])
        else None,
        max_cost=meta.get("max_sum_cost") or None,
        language=_language(meta.get("language")),
    )
    budget = create_budget(session, user, space, settings)
    budget.ballot = {**budget.ballot, "type": vote_type}  # cumulative and ordinal ballots keep their type
    budget.meta = {"header": parsed.meta_header, "fields": meta, "project_columns": parsed.project_columns,
                   "vote_columns": parsed.vote_columns}  # fmt: skip
    column = {name: at for at, name in enumerate(parsed.project_columns)}
    for number, row in enumerate(parsed.projects, start=1):
        session.add(
            BudgetProject(
                budget_id=budget.id,
                number=number,
                code=row[column["project_id"]][:64],
                name=(row[column["name"]] if "name" in column else "") or row[column["project_id"]],
                description=row[column["description"]] if "description" in column else "",
                cost=money_text(election.projects[number - 1].cost),
                category=(row[column["category"]] if "category" in column else "")[:200],
                location="",
                latitude=_coordinate(row, column, "latitude"),
                longitude=_coordinate(row, column, "longitude"),
                extra={name: row[at] for name, at in column.items() if name not in PROJECT_FIELDS},
            )
        )
    _import_voters(session, budget, parsed, data, name)
    session.flush()
    return budget


def _import_voters(session: Session, budget: Budget, parsed: PabulibFile, data: bytes, name: str) -> None:
    """Each voter a participant of the budget's conversation, and their ballot. A voter's columns
    (district, sex, age …) are their answers, kept with them and published in the log as a conversation's
    declared answers are: only those at least K voters share (:mod:`concord.service.declared`). Their
    pabulib voter id is kept for the moderators' export, never logged."""
    conversation = budget.conversation
    now = now_ms()
    voters = len(parsed.votes)
    columns = parsed.vote_columns
    vote, points = columns.index("vote"), columns.index("points") if "points" in columns else None
    answers = [
        {name: cells[at] for at, name in enumerate(columns) if at not in (vote, points) and name != "voter_id"}
        for cells in parsed.votes
    ]
    published = shared_only(answers)
    for start in range(0, voters, BATCH):
        session.execute(
            insert(Participant),
            [
                {
                    "conversation_id": conversation.id,
                    "number": number,
                    "token_hash": None,
                    "xid": None,
                    "attributes": answers[number],
                    "published": published[number],
                    "created_ms": now,
                }
                for number in range(start, min(voters, start + BATCH))
            ],
        )
    conversation.next_participant_number = voters
    participant_of = dict(
        session.execute(
            select(Participant.number, Participant.id).where(Participant.conversation_id == conversation.id)
        ).all()
    )
    number_of = {row[parsed.project_columns.index("project_id")]: n for n, row in enumerate(parsed.projects, start=1)}
    listed = parsed.listed or []
    connection = session.connection()
    log_id = conversation_log_id(connection, conversation.id)
    digest = hashlib.sha256(data).hexdigest()
    counts = {"voters": voters, "projects": len(parsed.projects)}
    append_all(
        connection,
        log_id,
        [
            ledger_events.imported(now, "pabulib", {name: digest}, counts),
            *(ledger_events.participant(now, number) for number in range(voters)),
            *declared_entries(now, dict(enumerate(published))),
        ],
    )
    for start in range(0, voters, BATCH):
        rows: list[dict[str, Any]] = []
        for index in range(start, min(voters, start + BATCH)):
            cells = parsed.votes[index]
            rows.append(
                {
                    "budget_id": budget.id,
                    "participant_id": participant_of[index],
                    "projects": [number_of[p] for p in listed[index]] if listed else [],
                    "points": [p.strip() for p in cells[points].split(",") if p.strip()]
                    if points is not None
                    else None,
                    "voter_label": cells[columns.index("voter_id")][:200],
                    "attributes": {},  # the voter's columns are their answers (above)
                    "updated_ms": now,
                }
            )
        session.execute(insert(BudgetBallot), rows)
        entries = (
            ledger_events.ballot(now, index, row["projects"], row["points"], None, {})
            for index, row in enumerate(rows, start=start)
        )
        append_all(connection, log_id, entries)


def _as_written(written: str | None, amount: str) -> str:
    """An amount as the imported file wrote it ("100000.00"), while it is still that amount."""
    return written if written is not None and read_number(written) == Fraction(amount) else amount


def _limit(text: str | None) -> int | None:
    """pabulib's max_length: none when absent or 0."""
    return int(text) if text and text.isdigit() and int(text) else None


def _points(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(",") if part.strip()]


def _coordinate(row: list[str], column: dict[str, int], name: str) -> float | None:
    if name not in column:
        return None
    try:
        return float(row[column[name]])
    except ValueError:
        return None


def _language(tag: str | None) -> str:
    from concord.languages import UnknownLanguage, canonical

    try:
        return canonical(tag) if tag else "en"
    except UnknownLanguage:
        return "en"


def export_pabulib(session: Session, budget: Budget) -> str:
    """The budget as a pabulib file: what an import kept, with the projects and ballots as they are now."""
    meta_kept = budget.meta or {}
    projects = projects_of(session, budget)
    ballots = session.execute(
        select(BudgetBallot, Participant.number, Participant.attributes)
        .join(Participant, Participant.id == BudgetBallot.participant_id)
        .where(BudgetBallot.budget_id == budget.id)
        .order_by(BudgetBallot.id)
    ).all()
    code_of = {p.number: p.code for p in projects}
    meta = dict(meta_kept.get("fields") or {})
    meta.setdefault("description", budget.name)
    meta.setdefault("unit", budget.space.name)
    meta.setdefault("instance", budget.public_id)
    meta["num_projects"] = str(len(projects))
    meta["num_votes"] = str(len(ballots))
    meta["budget"] = _as_written(meta.get("budget"), budget.amount)
    meta["vote_type"] = budget.ballot["type"]
    meta.setdefault("rule", "equalshares/add1")
    if budget.currency:
        meta["currency"] = budget.currency
    if budget.ballot.get("max_projects") and budget.ballot["type"] != "choose-1":
        meta["max_length"] = str(budget.ballot["max_projects"])
    if budget.ballot.get("max_cost"):
        meta["max_sum_cost"] = _as_written(meta.get("max_sum_cost"), budget.ballot["max_cost"])
    project_columns = meta_kept.get("project_columns") or ["project_id", "cost", "name", "description", "category"]
    rows = []
    for project in projects:
        known = {
            "project_id": project.code,
            "cost": _as_written(project.extra.get("cost"), project.cost),
            "name": project.name,
            "description": project.description,
            "category": project.category,
            "latitude": "" if project.latitude is None else repr(project.latitude),
            "longitude": "" if project.longitude is None else repr(project.longitude),
        }
        rows.append([known.get(name, project.extra.get(name, "")) for name in project_columns])
    declared = sorted({name for _, _, answers in ballots for name in (answers or {})})
    vote_columns = meta_kept.get("vote_columns") or ["voter_id", "vote", *declared]
    votes = []
    for ballot, number, answers in ballots:
        known = {
            "voter_id": ballot.voter_label or str(number + 1),
            "vote": ",".join(code_of[n] for n in ballot.projects if n in code_of),
            "points": ",".join(ballot.points or []),
        }
        values = {**(answers or {}), **(ballot.attributes or {})}
        votes.append([known.get(name, values.get(name, "")) for name in vote_columns])
    return write_pabulib(
        PabulibFile(
            meta=meta,
            project_columns=project_columns,
            projects=rows,
            vote_columns=vote_columns,
            votes=votes,
            meta_header=meta_kept.get("header") or ["key", "value"],
        )
    )


# --- use cases ------------------------------------------------------------------------------------


def check_import_allowed(runtime: Runtime, caller: Caller, space_id: int) -> None:
    with runtime.transaction() as session:
        require_moderator(session, user_of(session, caller), space_by_id(session, space_id))


def import_upload(runtime: Runtime, caller: Caller, space_id: int, data: bytes, name: str) -> BudgetView:
    if len(data) > MAX_PB_BYTES:
        raise Invalid("the upload is larger than %(megabytes)s MB", field="file", megabytes=MAX_PB_BYTES // 2**20)
    with runtime.transaction() as session:
        budget = import_pabulib(session, user_of(session, caller), space_by_id(session, space_id), data, name)
        return view_of(session, caller, budget)


def export_download(runtime: Runtime, caller: Caller, public_id: str) -> Download:
    """The budget as a pabulib file; moderators only (it carries every ballot)."""
    with runtime.transaction() as session:
        budget = budget_by_public_id(session, public_id)
        require_moderator(session, user_of(session, caller), budget.space)
        text = export_pabulib(session, budget)
        return Download(f"{public_id}.pb", "text/plain; charset=utf-8", text.encode("utf-8"))
