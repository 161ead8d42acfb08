"""A budget's outcome: its projects and ballots as an election, decided by the engine (equal shares with
add1 and greedy completion, greedy by votes beside it), explained, with the fairness report by opinion
group and by every declared attribute.

An outcome is that of a prefix of the budget's conversation's log: everything it reads (the amount, the
projects, each voter's latest ballot, the answers published beside their numbers) is an entry there, so
the outcome of the log's first N entries never changes, and ``concord verify`` recomputes it from them.
It is stored with that N (``budget_outcomes.log_size``) and served as stored while the log is that size,
or has grown only by entries it does not read (a vote on a statement, an ``outcome`` entry): such a read
touches no ballot. When the log has grown by a ballot, a project, the amount or a published answer, one
server process at a time computes it again (a lease per budget in the database, as the live analysis
has per conversation, so it holds across any number of processes on one PostgreSQL); the others serve
the stored outcome meanwhile, saying which log size it is of. An outcome that took long to compute is
computed again at most as often as it takes, so a budget of a million ballots that keeps receiving
ballots leaves the machine time for the rest.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from typing import cast as typed

from sqlalchemy import Connection, Row, Table, Text, cast, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from concord.ledger import events
from concord.ledger.entries import digest
from concord.report.budgets import ProjectRow, Voters, report_of, voters_of
from concord.service.budgets.lookups import budget_by_public_id, projects_of, split_into
from concord.service.budgets.records import BudgetRecord, ProjectRecord
from concord.service.clock import now_ms
from concord.service.conversations.wordings import BudgetTexts, budget_texts
from concord.service.live_analysis.leases import claim_statements, new_holder
from concord.service.log.appending import append
from concord.store.database import read_snapshot
from concord.store.models import Budget, BudgetOutcomeLease, BudgetOutcomeRecord, Log, LogEntry, Participant

if TYPE_CHECKING:
    from concord.service.runtime import Runtime

BUDGET_ENTRIES = ("budget", "project", "project-removed", "ballot")
# What an outcome reads of its log: the budget's entries, and the answers published beside voters'
# numbers (``participants.published`` follows them; participant entries carried answers only in logs
# built by migration 0008, before any outcome was stored with its log size).
READS = (*BUDGET_ENTRIES, "declared")
LEASE_SECONDS = 10.0  # how long a process that died computing keeps others from taking over
SLOW_SECONDS = 1.0  # an outcome that took longer is computed again at most as often as it takes
WAIT_SECONDS = 300.0  # the most a reader waits for a budget's first outcome, computed by another process
READ_CHUNK = 20_000  # log entries (or participants) fetched at a time
STORED = ("computed_ms", "ballots_digest", "log_size", "seconds", "report")

_records = typed(Table, BudgetOutcomeRecord.__table__)
_leases = typed(Table, BudgetOutcomeLease.__table__)
_logs = typed(Table, Log.__table__)
_entries = typed(Table, LogEntry.__table__)


# --- computing an outcome from the log ------------------------------------------------------------


@dataclass(frozen=True)
class LogAt:
    """A conversation's log as a transaction sees it."""

    id: int
    size: int
    last: str  # the leaf hash of its last entry


def log_at(connection: Connection, conversation_id: int) -> LogAt:
    found = connection.execute(
        select(_logs.c.id, _logs.c.size, _logs.c.last).where(_logs.c.conversation_id == conversation_id)
    ).first()
    if found is None:
        raise LookupError(f"conversation {conversation_id} has no log: the database was not migrated")
    return LogAt(*found)


def _logged(session: Session, budget: Budget, log: LogAt) -> tuple[list[ProjectRow], Voters]:
    """The budget's amount, its projects and each voter's latest ballot as the log's first ``log.size``
    entries hold them (in the order the voters first voted, as ``concord verify`` replays them), with
    each voter's declared answers. The outcome is computed from these, while voting goes on as after it
    closed: a ballot or a project changed in the database behind the log's back changes nothing served.
    Call it in a :func:`read_snapshot` transaction (or one holding the log), so that the answers read
    are those of the same moment."""
    connection = session.connection()
    amount = budget.amount  # every budget's log holds its ``budget`` entry; this is only a fallback
    projects: dict[int, ProjectRow] = {}
    ballots: dict[int, tuple[list[int], list[str] | None, dict | None]] = {}  # number → (projects, points, columns)
    vote_type = "approval"
    bodies = connection.execute(
        select(_entries.c.body)
        .where(_entries.c.log_id == log.id, _entries.c.type.in_(BUDGET_ENTRIES), _entries.c.seq < log.size)
        .order_by(_entries.c.seq)
        .execution_options(yield_per=READ_CHUNK)
    ).scalars()
    for body in bodies:
        entry = json.loads(body)
        kind = entry["type"]
        if kind == "ballot":
            ballots[int(entry["participant"])] = (entry["projects"], entry["points"], entry["attributes"])
        elif kind == "budget":
            amount, vote_type = entry["amount"], entry["ballot"].get("type", "approval")
        elif kind == "project":
            number = int(entry["project"])
            projects[number] = ProjectRow(number, entry["code"], entry["name"], entry["cost"])
        else:
            projects.pop(int(entry["project"]), None)
    declared: dict[int, dict] = {}
    if ballots:
        # Their answers as the log published them: only those enough voters share (service.declared).
        # As text, each distinct one read once: voters share a few combinations of answers.
        read: dict[str | None, dict] = {None: {}}
        rows = connection.execute(
            select(Participant.number, cast(Participant.published, Text))
            .where(Participant.conversation_id == budget.conversation_id)
            .execution_options(yield_per=READ_CHUNK)
        )
        for number, text in rows:
            answers = read.get(text)
            if answers is None:
                answers = read[text] = json.loads(text) or {}
            declared[number] = answers
    listed = [projects[number] for number in sorted(projects)]
    return listed, voters_of(
        amount,
        listed,
        [
            (chosen, points, imported, declared.get(number, {}))
            for number, (chosen, points, imported) in ballots.items()
        ],
        vote_type,
    )


def _decided(session: Session, budget: Budget, log: LogAt) -> dict[str, Any] | None:
    """The outcome of the log's first ``log.size`` entries; None while there is nothing to decide (no
    project, or no ballot)."""
    projects, voters = _logged(session, budget, log)
    if not projects or voters.election.voters == 0:
        return None
    return report_of(voters, projects)


# --- the stored outcome ---------------------------------------------------------------------------


def _stored(connection: Connection, budget_id: int) -> Row | None:
    return connection.execute(
        select(_records.c.log_size, _records.c.computed_ms, _records.c.seconds, _records.c.report).where(
            _records.c.budget_id == budget_id
        )
    ).first()


def _reads_nothing_new(connection: Connection, log: LogAt, since: int) -> bool:
    """Whether the log's entries from ``since`` on change nothing an outcome reads (one probe of the
    log's index by type)."""
    if since > log.size:
        return False  # stored by a transaction this one does not see: of another log than this one's
    if since == log.size:
        return True
    found = connection.execute(
        select(_entries.c.seq)
        .where(
            _entries.c.log_id == log.id,
            _entries.c.type.in_(READS),
            _entries.c.seq >= since,
            _entries.c.seq < log.size,
        )
        .limit(1)
    ).first()
    return found is None


def _store(
    connection: Connection, budget_id: int, log: LogAt, seconds: float, report: dict[str, Any] | None, computed_ms: int
) -> None:
    """Keep this outcome unless one of a longer log is kept already (one upsert: any process may store)."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(_records).values(
        budget_id=budget_id,
        computed_ms=computed_ms,
        ballots_digest=log.last,
        log_size=log.size,
        seconds=seconds,
        report=report,
    )
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[_records.c.budget_id],
            set_={name: statement.excluded[name] for name in STORED},
            where=_records.c.log_size < statement.excluded.log_size,
        )
    )


def _report_now(session: Session, budget: Budget, *, store: bool) -> dict[str, Any] | None:
    """The outcome of the log as this transaction sees it: the stored one when it is of that log, else
    computed now (and stored, with ``store``)."""
    session.flush()
    connection = session.connection()
    log = log_at(connection, budget.conversation_id)
    record = _stored(connection, budget.id)
    if record is not None and _reads_nothing_new(connection, log, record.log_size):
        return record.report
    started = time.perf_counter()
    report = _decided(session, budget, log)
    if store:
        _store(connection, budget.id, log, time.perf_counter() - started, report, now_ms())
    return report


def served_report(session: Session, budget: Budget) -> dict[str, Any] | None:
    """What the budget's outcome is as this transaction sees the log, storing nothing (a budget's record
    publishes it beside the log it holds, in a read-only snapshot)."""
    return _report_now(session, budget, store=False)


def outcome_report(session: Session, budget: Budget) -> dict[str, Any] | None:
    """The stored report if it is of the log as this transaction sees it, else computed now and stored.
    None while there is nothing to decide (no project, or no ballot)."""
    return _report_now(session, budget, store=True)


def publish_outcome(session: Session, budget: Budget) -> None:
    """Log a closed budget's outcome (its digest, and the log prefix it is of), in the transaction that
    closed it: it holds the log, so the ballots read are exactly the log's."""
    report = outcome_report(session, budget)
    if report is not None:
        connection = session.connection()
        log = log_at(connection, budget.conversation_id)
        append(connection, log.id, [events.outcome(now_ms(), "budget", log.size, digest(report))])


# --- one process at a time computes a budget's outcome again ----------------------------------------


_CLAIMS = claim_statements(_leases, "budget_id", LEASE_SECONDS)


def claim(connection: Connection, budget_id: int, holder: str, now: float | None = None) -> bool:
    """Take (or keep) the lease of a budget's outcome: True when ``holder`` has it now. The row is written
    when it is new, ``holder``'s already, or run out."""
    now = time.time() if now is None else now
    row = connection.execute(
        _CLAIMS[connection.dialect.name],
        {"budget_id": budget_id, "holder": holder, "expires": now + LEASE_SECONDS},
    ).first()
    return row is not None


def release(connection: Connection, budget_id: int, holder: str) -> None:
    connection.execute(delete(_leases).where(_leases.c.budget_id == budget_id, _leases.c.holder == holder))


@contextmanager
def _leading(runtime: Runtime, budget_id: int, holder: str) -> Iterator[None]:
    """Keep the lease renewed while the block computes, and give it up after."""
    done = threading.Event()

    def renew() -> None:
        while not done.wait(LEASE_SECONDS / 3):
            try:
                with runtime.transaction() as session:
                    claim(session.connection(), budget_id, holder)
            except Exception:  # the database is away for a moment: try again at the next turn
                continue

    renewer = threading.Thread(target=renew, name=f"outcome-lease-{budget_id}", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        done.set()
        renewer.join()
        with runtime.transaction() as session:
            release(session.connection(), budget_id, holder)


@dataclass(frozen=True)
class Served:
    """A budget's outcome as served: that of its log's first ``log_size`` entries."""

    report: dict[str, Any] | None  # None: nothing to decide
    log_size: int
    computed_ms: int
    current: bool = True  # False: the log has grown since; another process is computing it again


def store_outcome(runtime: Runtime, budget_id: int) -> Served:
    """The outcome of the log as it is now, read in one snapshot, computed outside any transaction, and
    stored in a short one."""
    started = time.perf_counter()
    with runtime.transaction() as session:
        read_snapshot(session)
        budget = session.get(Budget, budget_id)
        if budget is None:
            raise LookupError(f"no budget {budget_id}")
        log = log_at(session.connection(), budget.conversation_id)
        projects, voters = _logged(session, budget, log)
    report = report_of(voters, projects) if projects and voters.election.voters else None
    del voters
    seconds, computed_ms = time.perf_counter() - started, now_ms()
    with runtime.transaction() as session:
        _store(session.connection(), budget_id, log, seconds, report, computed_ms)
    return Served(report, log.size, computed_ms)


def current_outcome(runtime: Runtime, budget: BudgetRecord, *, up_to_date: bool = False) -> Served:
    """The budget's outcome for a reader: as stored while it is of the log as it is (the usual case, one
    short read that touches no ballot); else computed again here, unless another process is computing
    it (then the stored one, of the log size it says) or computed it less than its own computing time
    ago (a slow one). ``up_to_date``: never the stored one of a shorter log (wait for the process
    computing it, or compute it here)."""
    holder, pause, waited = new_holder(), 0.05, time.monotonic()
    while True:
        with runtime.transaction() as session:
            connection = session.connection()
            log = log_at(connection, budget.conversation.id)
            record = _stored(connection, budget.id)
            if record is not None and record.log_size == log.size:
                return Served(record.report, log.size, record.computed_ms)
            if record is not None and _reads_nothing_new(connection, log, record.log_size):
                connection.execute(  # of this size too: later reads need not look again
                    update(_records)
                    .where(_records.c.budget_id == budget.id, _records.c.log_size == record.log_size)
                    .values(log_size=log.size)
                )
                return Served(record.report, log.size, record.computed_ms)
        stale = None
        if record is not None and not up_to_date:
            stale = Served(record.report, record.log_size, record.computed_ms, current=False)
            if record.seconds > SLOW_SECONDS and now_ms() - record.computed_ms < record.seconds * 1000:
                return stale
        with runtime.transaction() as session:
            claimed = claim(session.connection(), budget.id, holder)
        if claimed:
            with _leading(runtime, budget.id, holder):
                return store_outcome(runtime, budget.id)
        if stale is not None:
            return stale
        if time.monotonic() - waited > WAIT_SECONDS:  # its holder is stuck: compute it here
            return store_outcome(runtime, budget.id)
        time.sleep(pause)  # another process is computing it now
        pause = min(2 * pause, 1.0)


def refresh_outcome(runtime: Runtime, budget: BudgetRecord) -> Served:
    """Bring the stored outcome up to the log as it is now (waiting for another process computing it),
    e.g. before closing, so the closing transaction finds it stored and only logs it."""
    return current_outcome(runtime, budget, up_to_date=True)


# --- use cases ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetResults:
    budget: BudgetRecord
    projects: list[ProjectRecord]
    report: dict[str, Any] | None  # None: nothing to decide yet
    parts: list[tuple[BudgetRecord, dict[str, Any] | None]]  # a split budget: each part's outcome
    served: Served | None = None  # which log size the report is of, and whether it is current
    parts_served: list[Served] = field(default_factory=list)
    texts: BudgetTexts | None = None  # its and its projects' names as the reader reads them


def budget_results(runtime: Runtime, public_id: str, reader: str | None = None) -> BudgetResults:
    """The outcome as it stands (while voting goes on, of the ballots cast so far, or of the ballots of a
    moment ago while it is computed again); for a budget split among the spaces below, each part's."""
    with runtime.transaction() as session:
        row = budget_by_public_id(session, public_id)
        budget = BudgetRecord.of(row)
        parts = [BudgetRecord.of(part) for part in split_into(session, row)]
        projects = [ProjectRecord.of(project) for project in projects_of(session, row)]
        texts = budget_texts(session, row, reader)
    served = current_outcome(runtime, budget)
    parts_served = [current_outcome(runtime, part) for part in parts]
    return BudgetResults(
        budget,
        projects,
        served.report,
        [(part, found.report) for part, found in zip(parts, parts_served)],
        served,
        parts_served,
        texts,
    )
