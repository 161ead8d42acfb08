"""Rows written by the hundred on the hot path (a batch of votes: their events, current votes, log
entries and rate-limit buckets), straight on the database driver's cursor, in the caller's transaction.

SQLAlchemy's executemany costs tens of microseconds a row in Python (binding, processing each value),
more than the database takes to store it. Here each statement is text made once: SQLite runs it with
the driver's ``executemany`` (one prepared statement, a loop in C); PostgreSQL gets one multi-row
``INSERT … VALUES (…), (…)`` per chunk (one statement), and the writes of a batch that need no answer
go :func:`together` (the driver's pipeline mode: one round trip for all of them). Values go in as the
driver adapts them (int, float, str, bytes), exactly what the ORM would have sent for these columns.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection

CHUNK = 1000  # rows per PostgreSQL statement (its limit is 65,535 parameters)
_MARK = {"sqlite": "?", "postgresql": "%s"}


def insert_rows(
    connection: Connection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    on_conflict: str = "",
) -> None:
    """``INSERT INTO table (columns) VALUES … on_conflict`` for every row (tuples in column order);
    ``on_conflict`` is the same text on both databases (``ON CONFLICT (…) DO …``). Rows of an upsert
    must not repeat a key (PostgreSQL refuses to touch a row twice in one statement)."""
    if not rows:
        return
    name = connection.dialect.name
    mark = _MARK[name]
    one = "(" + ", ".join([mark] * len(columns)) + ")"
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    cursor = connection.connection.cursor()
    try:
        if name == "sqlite":
            cursor.executemany(f"{head}{one} {on_conflict}", rows)
            return
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            cursor.execute(f"{head}{', '.join([one] * len(chunk))} {on_conflict}", [v for row in chunk for v in row])
    finally:
        cursor.close()


def marks(count: int) -> str:
    """``?, ?, …``: the parameters of an ``IN (…)`` list of ``count`` items, for :func:`fetch`."""
    return ", ".join(["?"] * count)


def fetch(connection: Connection, sql: str, params: Sequence[Any]) -> Sequence[Any]:
    """The rows of one query (``?`` marking its parameters), on the driver's cursor; inside
    :func:`together`, the writes queued before it go in the same round trip."""
    [rows] = fetch_each(connection, [(sql, params)])
    return rows


def fetch_each(connection: Connection, queries: Sequence[tuple[str, Sequence[Any]]]) -> list[Sequence[Any]]:
    """The rows of each query, all sent before any is read: inside :func:`together`, one round trip."""
    postgresql = connection.dialect.name == "postgresql"
    cursors = []
    try:
        for sql, params in queries:
            cursors.append(connection.connection.cursor())
            cursors[-1].execute(sql.replace("?", "%s") if postgresql else sql, params)
        return [cursor.fetchall() for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()


def execute(connection: Connection, sql: str, params: Sequence[Any]) -> None:
    """One statement that returns nothing, ``?`` marking its parameters, on the driver's cursor."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql if connection.dialect.name == "sqlite" else sql.replace("?", "%s"), params)
    finally:
        cursor.close()


@contextmanager
def together(connection: Connection) -> Iterator[None]:
    """The writes made inside (with :func:`insert_rows` and :func:`execute`, which need no answer) go to
    PostgreSQL in one round trip with the next :func:`fetch` or on leaving, their errors raised then;
    SQLite, in the process, needs none."""
    if connection.dialect.name != "postgresql":
        yield
        return
    with connection.connection.driver_connection.pipeline():  # type: ignore[union-attr]
        yield
