"""Budgets in and out as pabulib ``.pb`` files (:mod:`concord.formats.pabulib`): an imported file becomes
a budget of the space, its voters participants of the budget's conversation (without tokens, so nobody
can vote as them) with their pabulib voter id and columns kept; an exported budget is the file again,
field for field (every META key, every project and voter column kept on import is written back).

An import is all or nothing, yet never holds the database for long (on SQLite, one writer at a time:
a million ballots written in one transaction would stop every other write for minutes). The file is
first read and checked whole, a ballot at a time (:class:`~concord.formats.pabulib.PabulibStream`),
so a bad line is refused with its number before anything is written. Then the budget, its projects and
its voters are written in transactions of :data:`BATCH` voters each, with a pause between them for the
other writers; the budget stays hidden (``budgets.importing_until``: its conversation too, and its log)
until the last one, and its outcome is computed before it shows. An import that fails half-way is
deleted again, in batches too; one whose process died (no batch for :data:`IMPORT_HOLD_MS`) is deleted
by the next import, or the next start of a server."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from itertools import islice
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from sqlalchemy import Connection, Table, delete, insert, select, update
from sqlalchemy.orm import Session

from concord.formats.errors import InputFileError
from concord.formats.pabulib import PabulibFile, PabulibStream, read_number, write_pabulib
from concord.languages import UnknownLanguage, canonical
from concord.ledger import events as ledger_events
from concord.service.accounts.moderators import user_of
from concord.service.budgets.budgets import create_budget
from concord.service.budgets.lookups import budget_by_public_id, projects_of
from concord.service.budgets.money import money_text
from concord.service.budgets.outcomes import store_outcome
from concord.service.budgets.records import BudgetView
from concord.service.budgets.settings import BUDGET_LIMITS, MAX_PROJECTS, NAME_LENGTH, PROJECT_LIMITS, BudgetSettings
from concord.service.budgets.views import view_of
from concord.service.caller import Caller
from concord.service.clock import now_ms
from concord.service.conversations.exchange import Download
from concord.service.errors import Invalid
from concord.service.log.appending import append, conversation_log_id
from concord.service.participation.declared import MAX_LISTED, K
from concord.service.spaces import require_moderator, space_by_id
from concord.store.models import Budget, BudgetBallot, BudgetProject, Conversation, Log, LogEntry, LogTile, Participant

if TYPE_CHECKING:
    from concord.service.runtime import Runtime

MAX_PB_BYTES = 32 * 1024 * 1024
PROJECT_FIELDS = {"project_id", "name", "description", "category", "latitude", "longitude"}  # stored in columns
BATCH = 1_000  # voters per transaction of an import (a fraction of a second each)
PAUSE = 0.1  # seconds between an import's transactions on SQLite: a writer waiting for the lock retries
# at least this often (SQLite's busy handler), so each gets its turn between two batches
IMPORT_HOLD_MS = 10 * 60 * 1000  # an import that wrote nothing for this long has died: deleted again
DECLARED_PER_TRANSACTION = 10  # declared entries (each of at most MAX_LISTED numbers) per transaction

_log = logging.getLogger(__name__)
_budgets = cast(Table, Budget.__table__)
_ballots = cast(Table, BudgetBallot.__table__)
_participants = cast(Table, Participant.__table__)


class ImportAbandoned(RuntimeError):
    """The import's hold on its hidden budget was lost (it wrote nothing for :data:`IMPORT_HOLD_MS`, and
    another process is deleting it)."""


class _Answers:
    """What an import publishes of its voters' columns: counted while the file is checked, each answer
    published beside the numbers of those who gave it where at least K of them did (as
    :func:`concord.service.participation.declared.shared_only` does for a file read whole)."""

    def __init__(self, stream: PabulibStream) -> None:
        self.stream = stream
        self.counts: Counter[tuple[str, str]] = Counter()
        self.columns: list[tuple[int, str]] | None = None  # (position, name) of each column that is an answer

    def count(self, cells: list[str], chosen: list[str]) -> None:
        if self.columns is None:
            columns = self.stream.head.vote_columns
            vote, points = columns.index("vote"), columns.index("points") if "points" in columns else None
            self.columns = [
                (at, name) for at, name in enumerate(columns) if at not in (vote, points) and name != "voter_id"
            ]
        for at, name in self.columns:
            self.counts[name, cells[at]] += 1

    def published_values(self) -> list[list[str]]:
        """Per answer column, the answers published (sorted)."""
        return [
            sorted(value for (column, value), count in self.counts.items() if column == name and count >= K)
            for _, name in self.columns or []
        ]


def _checked(data: bytes, name: str) -> tuple[PabulibStream, _Answers]:
    """The file read and checked whole (nothing written yet): a bad line refused, naming it."""
    try:
        stream = PabulibStream(data, name)
        answers = _Answers(stream)
        stream.check(answers.count)
    except InputFileError as error:
        raise Invalid("%(problem)s", "malformed_file", field="file", problem=str(error)) from None
    if len(stream.head.projects) > MAX_PROJECTS:
        raise Invalid("a budget has at most %(most)s projects", field="file", most=MAX_PROJECTS)
    return stream, answers


def import_pabulib(
    runtime: Runtime, caller: Caller, space_id: int, data: bytes, name: str, *, batch: int | None = None
) -> int:
    """A pabulib file as a new budget of this space, all or nothing; the budget's id. Checked whole
    first, then written in transactions of ``batch`` voters (:data:`BATCH`), hidden until the last one."""
    stream, answers = _checked(data, name)
    importing = _Import(runtime, stream, answers, batch or BATCH)
    importing.begin(caller, space_id)
    try:
        importing.voters()
        importing.declared()
        importing.outcome()
        importing.reveal()
    except BaseException:
        importing.abandon()
        raise
    return importing.budget_id


class _Import:
    """One import's steps, each a transaction of its own that renews its hold on the hidden budget."""

    def __init__(self, runtime: Runtime, stream: PabulibStream, answers: _Answers, batch: int) -> None:
        self.runtime, self.stream, self.answers, self.batch = runtime, stream, answers, max(1, batch)
        self.time = now_ms()  # every entry of an import has its time
        self.budget_id = 0
        self.conversation_id = 0
        self.log_id = 0
        self.until = 0  # the hold, as this import last committed it
        self.published = answers.published_values()
        self.codes = np.full((stream.voters, len(self.published)), -1, dtype=np.int32)  # each voter's, by column
        self.pause = _pause(runtime)

    def begin(self, caller: Caller, space_id: int) -> None:
        """The budget (hidden), its conversation and log, its projects, and the ``import`` entry."""
        head, stream = self.stream.head, self.stream
        meta = head.meta
        vote_type = head.vote_type
        settings = BudgetSettings(
            name=(meta.get("description") or meta.get("instance") or stream.name)[:NAME_LENGTH],
            amount=money_text(_fraction(meta["budget"])),
            currency=meta.get("currency", "")[: BUDGET_LIMITS["currency"].length],
            ballot_type="choose-1" if vote_type == "choose-1" else "approval",
            max_projects=int(meta["max_length"])
            if meta.get("max_length", "").isdigit() and int(meta["max_length"])
            else None,
            max_cost=meta.get("max_sum_cost") or None,
            language=_language(meta.get("language")),
        )
        with self.runtime.transaction() as session:
            user, space = user_of(session, caller), space_by_id(session, space_id)
            require_moderator(session, user, space)
            budget = create_budget(session, user, space, settings)
            until = now_ms() + IMPORT_HOLD_MS
            budget.importing_until = until
            shared = meta.get("max_sum_points", "")  # a cumulative ballot's points, shared out by each voter
            within = shared.isdigit() and 1 <= int(shared) <= (BUDGET_LIMITS["max_points"].high or 0)
            most = {"max_points": int(shared)} if vote_type == "cumulative" and within else {}
            budget.ballot = {**budget.ballot, "type": vote_type, **most}  # cumulative and ordinal keep their type
            budget.meta = {"header": head.meta_header, "fields": meta, "project_columns": head.project_columns,
                           "vote_columns": head.vote_columns}  # fmt: skip
            column = {name: at for at, name in enumerate(head.project_columns)}
            for number, row in enumerate(head.projects, start=1):
                session.add(
                    BudgetProject(
                        budget_id=budget.id,
                        number=number,
                        code=row[column["project_id"]][: PROJECT_LIMITS["code"].length],
                        name=(row[column["name"]] if "name" in column else "") or row[column["project_id"]],
                        description=row[column["description"]] if "description" in column else "",
                        cost=money_text(_fraction(row[column["cost"]])),
                        category=(row[column["category"]] if "category" in column else "")[
                            : PROJECT_LIMITS["category"].length
                        ],
                        location="",
                        latitude=_coordinate(row, column, "latitude"),
                        longitude=_coordinate(row, column, "longitude"),
                        extra={name: row[at] for name, at in column.items() if name not in PROJECT_FIELDS},
                    )
                )
            budget.conversation.next_participant_number = stream.voters  # their numbers: 0 … voters − 1
            session.flush()
            connection = session.connection()
            self.log_id = conversation_log_id(connection, budget.conversation_id)
            counts = {"voters": stream.voters, "projects": len(head.projects)}
            append(
                connection,
                self.log_id,
                [ledger_events.imported(self.time, "pabulib", {stream.name: stream.digest}, counts)],
            )
            self.budget_id, self.conversation_id = budget.id, budget.conversation_id
        self.until = until

    @contextmanager
    def step(self) -> Iterator[Connection]:
        """One transaction of the import, which holds the budget still (else :class:`ImportAbandoned`)."""
        if self.pause:
            time.sleep(self.pause)
        until = now_ms() + IMPORT_HOLD_MS
        with self.runtime.transaction() as session:
            connection = session.connection()
            if not _hold(connection, self.budget_id, self.until, until):
                raise ImportAbandoned(f"the import of budget {self.budget_id} was abandoned")
            yield connection
        self.until = until

    def voters(self) -> None:
        """Each voter a participant of the budget's conversation, and their ballot, a batch at a time. A
        voter's columns (district, sex, age …) are their answers, kept with them and published in the log
        as a conversation's declared answers are: only those at least K voters share
        (:mod:`concord.service.participation.declared`). Their pabulib voter id is kept for the moderators' export,
        never logged."""
        head = self.stream.head
        columns = head.vote_columns
        voter = columns.index("voter_id")
        points = columns.index("points") if "points" in columns else None
        answer_columns = self.answers.columns or []
        counts = self.answers.counts
        code_of = [{value: code for code, value in enumerate(values)} for values in self.published]
        number_of = {row[head.project_columns.index("project_id")]: n for n, row in enumerate(head.projects, start=1)}
        votes = self.stream.votes()
        start = 0
        while chunk := list(islice(votes, self.batch)):
            end = start + len(chunk)
            people, ballots = [], []
            for number, (cells, listed) in enumerate(chunk, start=start):
                given = {name: cells[at] for at, name in answer_columns}
                people.append(
                    {
                        "conversation_id": self.conversation_id,
                        "number": number,
                        "token_hash": None,
                        "xid": None,
                        "attributes": given,
                        "published": {name: value for name, value in given.items() if counts[name, value] >= K},
                        "created_ms": self.time,
                    }
                )
                for column, (at, _) in enumerate(answer_columns):
                    self.codes[number, column] = code_of[column].get(cells[at], -1)
                ballots.append(
                    (
                        [number_of[project] for project in listed],
                        _points(cells[points]) if points is not None else None,
                        cells[voter][:200],
                    )
                )
            with self.step() as connection:
                connection.execute(insert(_participants), people)
                ids = dict(
                    connection.execute(
                        select(_participants.c.number, _participants.c.id).where(
                            _participants.c.conversation_id == self.conversation_id,
                            _participants.c.number >= start,
                            _participants.c.number < end,
                        )
                    ).all()
                )
                connection.execute(
                    insert(_ballots),
                    [
                        {
                            "budget_id": self.budget_id,
                            "participant_id": ids[number],
                            "projects": projects,
                            "points": chosen_points,
                            "voter_label": label,
                            "attributes": {},  # the voter's columns are their answers (above)
                            "updated_ms": self.time,
                        }
                        for number, (projects, chosen_points, label) in enumerate(ballots, start=start)
                    ],
                )
                entries = [ledger_events.participant(self.time, number) for number in range(start, end)]
                entries += [
                    ledger_events.ballot(self.time, number, projects, chosen_points, None, {})
                    for number, (projects, chosen_points, _) in enumerate(ballots, start=start)
                ]
                append(connection, self.log_id, entries)
            start = end

    def declared(self) -> None:
        """The ``declared`` entries publishing the answers enough voters share, in the order and the
        chunks of :func:`concord.service.participation.declared.declared_entries`."""
        names = [name for _, name in self.answers.columns or []]
        entries: list[dict[str, Any]] = []
        for name, column in sorted((name, column) for column, name in enumerate(names)):
            for code, value in enumerate(self.published[column]):
                numbers = np.flatnonzero(self.codes[:, column] == code)
                for first in range(0, len(numbers), MAX_LISTED):
                    listed = [int(number) for number in numbers[first : first + MAX_LISTED]]
                    entries.append(ledger_events.declared(self.time, name, value, listed))
                    if len(entries) == DECLARED_PER_TRANSACTION:
                        with self.step() as connection:
                            append(connection, self.log_id, entries)
                        entries = []
        if entries:
            with self.step() as connection:
                append(connection, self.log_id, entries)

    def outcome(self) -> None:
        """The outcome of the log as the import leaves it, stored before the budget shows, so that its
        first readers find it."""
        store_outcome(self.runtime, self.budget_id)

    def reveal(self) -> None:
        with self.step() as connection:
            connection.execute(update(_budgets).where(_budgets.c.id == self.budget_id).values(importing_until=None))

    def abandon(self) -> None:
        """Delete what was written, if anything was (else another process will, once the hold runs out)."""
        if not self.budget_id:
            return
        try:
            delete_import(self.runtime, self.budget_id, self.until)
        except Exception:
            _log.exception("the failed import of budget %s could not be deleted now; it will be later", self.budget_id)


def _hold(connection: Connection, budget_id: int, held: int | None, until: int) -> bool:
    """Renew the hold on an import's budget (``held``: the hold as its holder left it; None: any hold
    run out, to delete an abandoned import): True when it is ours now."""
    holding = _budgets.c.importing_until == held if held is not None else _budgets.c.importing_until < now_ms()
    renewed = connection.execute(
        update(_budgets).where(_budgets.c.id == budget_id, holding).values(importing_until=until)
    )
    return renewed.rowcount == 1


def delete_import(runtime: Runtime, budget_id: int, held: int | None = None) -> bool:
    """Delete an import that did not complete, in batches as it was written: its ballots, participants
    and log entries, then its budget, conversation and log. ``held``: the import's own hold; None: an
    abandoned one (its hold run out). False when another process holds it."""
    until = now_ms() + IMPORT_HOLD_MS
    with runtime.transaction() as session:
        connection = session.connection()
        if not _hold(connection, budget_id, held, until):
            return False
        conversation_id = connection.execute(
            select(_budgets.c.conversation_id).where(_budgets.c.id == budget_id)
        ).scalar_one()
        log_id = conversation_log_id(connection, conversation_id)
        size = connection.execute(select(Log.size).where(Log.id == log_id)).scalar_one()
    held = until
    chunk = BATCH * 2
    pause = _pause(runtime)

    def step(work) -> int:
        nonlocal held
        until = now_ms() + IMPORT_HOLD_MS
        with runtime.transaction() as session:
            connection = session.connection()
            if not _hold(connection, budget_id, held, until):
                raise ImportAbandoned(f"another process deletes the import of budget {budget_id}")
            done = work(connection)
        held = until
        if pause:
            time.sleep(pause)
        return done

    def some(table, column, owner):
        chosen = select(table.c.id).where(column == owner).limit(chunk).scalar_subquery()
        return lambda connection: connection.execute(delete(table).where(table.c.id.in_(chosen))).rowcount

    while step(some(_ballots, _ballots.c.budget_id, budget_id)):
        pass
    while step(some(_participants, _participants.c.conversation_id, conversation_id)):
        pass
    for high in range(size, 0, -chunk):
        step(
            lambda connection, high=high: (
                connection.execute(
                    delete(LogEntry).where(
                        LogEntry.log_id == log_id, LogEntry.seq >= max(0, high - chunk), LogEntry.seq < high
                    )
                ).rowcount
            )
        )

    def rest(connection: Connection) -> int:
        connection.execute(delete(LogTile).where(LogTile.log_id == log_id))
        connection.execute(delete(LogEntry).where(LogEntry.log_id == log_id))  # any appended meanwhile
        connection.execute(delete(_budgets).where(_budgets.c.id == budget_id))
        connection.execute(delete(Log).where(Log.id == log_id))
        connection.execute(delete(Conversation).where(Conversation.id == conversation_id))
        return 1

    step(rest)
    return True


def sweep_abandoned_imports(runtime: Runtime) -> int:
    """Delete every import whose process died before it completed (its hold run out); how many."""
    with runtime.transaction() as session:
        abandoned = list(session.scalars(select(Budget.id).where(Budget.importing_until < now_ms())))
    swept = 0
    for budget_id in abandoned:
        try:
            swept += delete_import(runtime, budget_id)
        except ImportAbandoned:
            continue  # another process took it over
    return swept


def _pause(runtime: Runtime) -> float:
    """Between an import's transactions: on SQLite, where they hold the only write lock; none else."""
    return PAUSE if runtime.sessions.kw["bind"].dialect.name == "sqlite" else 0.0


def _fraction(text: str) -> Fraction:
    found = read_number(text)
    if found is None:  # checked with the file: cannot happen
        raise InputFileError(f"not a number: {text!r}")
    return found


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
    if budget.ballot.get("max_points"):
        meta["max_sum_points"] = str(budget.ballot["max_points"])
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
    points = ["points"] if budget.ballot["type"] == "cumulative" else []  # one per project voted for
    vote_columns = meta_kept.get("vote_columns") or ["voter_id", "vote", *points, *declared]
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
    """A pabulib file as a new budget of this space (:func:`import_pabulib`), as its page shows it."""
    if len(data) > MAX_PB_BYTES:
        raise Invalid("the upload is larger than %(megabytes)s MB", field="file", megabytes=MAX_PB_BYTES // 2**20)
    check_import_allowed(runtime, caller, space_id)
    sweep_abandoned_imports(runtime)
    budget_id = import_pabulib(runtime, caller, space_id, data, name)
    with runtime.transaction() as session:
        budget = session.get(Budget, budget_id)
        if budget is None:
            raise LookupError(f"no budget {budget_id}")
        return view_of(session, caller, budget)


def export_download(runtime: Runtime, caller: Caller, public_id: str) -> Download:
    """The budget as a pabulib file; moderators only (it carries every ballot)."""
    with runtime.transaction() as session:
        budget = budget_by_public_id(session, public_id)
        require_moderator(session, user_of(session, caller), budget.space)
        text = export_pabulib(session, budget)
        return Download(f"{public_id}.pb", "text/plain; charset=utf-8", text.encode("utf-8"))
