"""Storing the tamper-evident logs: appending entries in the caller's transaction, and the instance's
signing key.

Appending starts with one UPDATE of the log's row (``size = size + k … RETURNING``): on PostgreSQL it
locks the row until the transaction ends, on SQLite it takes the database's write lock, so appends to
one log take turns and the log's order is the order its changes commit. The new entries are chained
and hashed (:mod:`concord.ledger`), inserted with one statement, and the log's state (last hash,
frontier, root) written back; a transaction that rolls back takes its entries with it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from concord.ledger import events
from concord.ledger.checkpoints import Signer
from concord.ledger.entries import GENESIS_PREV, chain
from concord.ledger.merkle import EMPTY_ROOT, TILE, Frontier
from concord.service.bulk import execute, insert_rows, together
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
# Built once: an append runs with every batch of votes.
_GROW = (
    update(_logs)
    .where(_logs.c.id == bindparam("log"))
    .values(size=_logs.c.size + bindparam("count"))
    .returning(_logs.c.size, _logs.c.last, _logs.c.frontier)
)
_STATE = "UPDATE logs SET last = ?, root = ?, frontier = ? WHERE id = ?"


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


def append(connection: Connection, log_id: int, bodies: list[dict[str, Any]]) -> list[Appended]:
    """Append entries to a log in the connection's transaction; where each went, in order."""
    appended, write = append_later(connection, log_id, bodies)
    with together(connection):
        write()
    return appended


def append_later(
    connection: Connection, log_id: int, bodies: list[dict[str, Any]]
) -> tuple[list[Appended], Callable[[], None]]:
    """:func:`append`, but the entries (and the log's new state) are written by the function it returns,
    which the caller runs later in the same transaction, with its own writes (a batch of votes: one
    round trip for them all). The log's row is locked from now on."""
    if not bodies:
        return [], _nothing
    size, last, frontier_hex = connection.execute(_GROW, {"log": log_id, "count": len(bodies)}).one()
    first = size - len(bodies)
    linked = chain(first, last, bodies)
    frontier = Frontier(first, [bytes.fromhex(h) for h in frontier_hex])
    rows, tiles = [], []
    for (seq, data, leaf), body in zip(linked, bodies):
        rows.append((log_id, seq, body["type"], data.decode("utf-8"), leaf))
        completed = frontier.append(leaf)
        if completed is not None:
            tiles.append((log_id, (seq + 1) // TILE - 1, completed))
    state = (linked[-1][2].hex(), frontier.root().hex(), json.dumps([h.hex() for h in frontier.hashes]), log_id)

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
