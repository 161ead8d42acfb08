"""Storing the tamper-evident logs: appending entries in the caller's transaction, and the instance's
signing key.

Appending starts by holding the log's row (:func:`hold_log`: ``SELECT … FOR UPDATE`` on PostgreSQL,
which locks the row until the transaction ends; on SQLite an UPDATE, which takes the database's write
lock before the row is read), so appends to one log take turns and the log's order is the order its
changes commit. The new entries are chained and hashed (:mod:`concord.ledger`), inserted with one
statement, and the log's state (size, last hash, frontier, root) written back; a transaction that rolls
back takes its entries with it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, insert, select
from sqlalchemy.orm import Session

from concord.ledger import events
from concord.ledger.checkpoints import Signer
from concord.ledger.entries import GENESIS_PREV, chain
from concord.ledger.merkle import EMPTY_ROOT, TILE, Frontier
from concord.service.bulk import Reply, execute, insert_rows, send, together
from concord.service.clock import now_ms
from concord.service.secrets import instance_secret
from concord.store.models import Log, LogEntry, LogTile

LOG_KEY = "log_key"  # instance secret: the Ed25519 seed, hex
LOG_NAME = "log_name"  # instance secret: the key's name and the start of every origin, e.g. "concord-5f2c81a0"

_logs = cast(Table, Log.__table__)
_entries = cast(Table, LogEntry.__table__)
_tiles = cast(Table, LogTile.__table__)
_ENTRY_COLUMNS = ("log_id", "seq", "type", "body", "leaf")
_TILE_COLUMNS = ("log_id", "number", "hash")
# On the driver's cursor (concord.service.bulk): an append runs with every batch of votes.
_HOLD = {
    "postgresql": "SELECT size, last, frontier::text FROM logs WHERE id = ? FOR UPDATE",
    "sqlite": "UPDATE logs SET size = size WHERE id = ? RETURNING size, last, frontier",
}
_STATE = "UPDATE logs SET size = ?, last = ?, root = ?, frontier = ? WHERE id = ?"


def new_log_name() -> str:
    return f"concord-{secrets.token_hex(4)}"


def signer(session: Session) -> Signer:
    return Signer(instance_secret(session, LOG_NAME), bytes.fromhex(instance_secret(session, LOG_KEY)))


def conversation_origin(name: str, public_id: str) -> str:
    return f"{name}/c/{public_id}"


def space_origin(name: str, space_id: int) -> str:
    return f"{name}/s/{space_id}"


@dataclass(frozen=True)
class Appended:
    """Where an entry went: its position and leaf hash (what a receipt holds)."""

    seq: int
    leaf: bytes


def create_log(
    session: Session, *, conversation_id: int | None = None, space_id: int | None = None, genesis: dict[str, Any]
) -> int:
    """A new, empty log whose entry 0 is ``genesis`` (an :func:`events.log` entry); returns its id."""
    connection = session.connection()
    log_id = connection.execute(
        insert(_logs)
        .values(
            origin=genesis["origin"],
            conversation_id=conversation_id,
            space_id=space_id,
            size=0,
            last=GENESIS_PREV,
            root=EMPTY_ROOT.hex(),
            frontier=[],
        )
        .returning(_logs.c.id)
    ).scalar_one()
    append(connection, log_id, [genesis])
    return log_id


def new_conversation_log(session: Session, conversation_id: int, public_id: str, space_path: str) -> int:
    sign = signer(session)
    origin = conversation_origin(sign.key.name, public_id)
    genesis = events.log(now_ms(), origin=origin, key=str(sign.key), conversation=public_id, space=space_path)
    return create_log(session, conversation_id=conversation_id, genesis=genesis)


def new_space_log(session: Session, space_id: int, path: str) -> int:
    sign = signer(session)
    genesis = events.log(now_ms(), origin=space_origin(sign.key.name, space_id), key=str(sign.key), space=path)
    return create_log(session, space_id=space_id, genesis=genesis)


class HeldLog:
    """A log's row, locked by this transaction until it ends (:func:`hold_log`); its state is read when
    the first entries are appended (:func:`append_later`)."""

    def __init__(self, log_id: int, row: Reply) -> None:
        self.log_id = log_id
        self._row = row

    def state(self) -> tuple[int, str, list[str]]:
        """The log's size, last leaf hash and frontier (hex) as they stand in this transaction."""
        [(size, last, frontier)] = self._row.rows()
        return size, last, json.loads(frontier)


def hold_log(connection: Connection, log_id: int) -> HeldLog:
    """Lock a log's row (see the module's docstring). Inside :func:`together` the lock goes in the same
    round trip as what is sent with it (a batch of votes: its rate limits' buckets)."""
    return HeldLog(log_id, send(connection, _HOLD[connection.dialect.name], [log_id]))


def append(connection: Connection, log_id: int, bodies: list[dict[str, Any]]) -> list[Appended]:
    """Append entries to a log in the connection's transaction; where each went, in order."""
    if not bodies:
        return []
    with together(connection):
        appended, write = append_later(connection, hold_log(connection, log_id), bodies)
        write()
    return appended


def append_later(
    connection: Connection, held: HeldLog, bodies: list[dict[str, Any]]
) -> tuple[list[Appended], Callable[[], None]]:
    """:func:`append` to a log held by this transaction, but the entries (and the log's new state) are
    written by the function it returns, which the caller runs later in the same transaction, with its
    own writes (a batch of votes: one round trip for them all). Call it once per held log."""
    first, last, frontier_hex = held.state()
    if not bodies:
        return [], _nothing
    linked = chain(first, last, bodies)
    frontier = Frontier(first, [bytes.fromhex(h) for h in frontier_hex])
    rows, tiles = [], []
    for (seq, data, leaf), body in zip(linked, bodies):
        rows.append((held.log_id, seq, body["type"], data.decode("utf-8"), leaf))
        completed = frontier.append(leaf)
        if completed is not None:
            tiles.append((held.log_id, (seq + 1) // TILE - 1, completed))
    frontier_json = json.dumps([h.hex() for h in frontier.hashes])
    state = (first + len(bodies), linked[-1][2].hex(), frontier.root().hex(), frontier_json, held.log_id)

    def write() -> None:  # on the driver's cursor: votes come by the batch
        insert_rows(connection, "log_entries", _ENTRY_COLUMNS, rows)
        insert_rows(connection, "log_tiles", _TILE_COLUMNS, tiles)
        execute(connection, _STATE, state)  # the frontier as its JSON column stores it

    return [Appended(seq, leaf) for seq, _, leaf in linked], write


def _nothing() -> None:
    pass


def append_all(
    connection: Connection, log_id: int, entries: Iterable[dict[str, Any]], chunk: int = 20_000
) -> list[int]:
    """Append many entries (an import's) a chunk at a time, so memory stays flat; their seqs."""
    seqs: list[int] = []
    batch: list[dict[str, Any]] = []
    for entry in entries:
        batch.append(entry)
        if len(batch) == chunk:
            seqs += [where.seq for where in append(connection, log_id, batch)]
            batch = []
    seqs += [where.seq for where in append(connection, log_id, batch)]
    return seqs


def conversation_log_id(connection: Connection, conversation_id: int) -> int:
    found = connection.execute(select(_logs.c.id).where(_logs.c.conversation_id == conversation_id)).scalar()
    if found is None:
        raise LookupError(f"conversation {conversation_id} has no log: the database was not migrated")
    return found


def space_log_id(connection: Connection, space_id: int) -> int:
    found = connection.execute(select(_logs.c.id).where(_logs.c.space_id == space_id)).scalar()
    if found is None:
        raise LookupError(f"space {space_id} has no log: the database was not migrated")
    return found
