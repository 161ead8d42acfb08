"""Backups and restores with each database's own tools, taken while servers run.

- SQLite: the SQLite online backup API (``sqlite3.Connection.backup``) copies a consistent snapshot of
  the database, write-ahead log included, page by page, without stopping writers for long;
- PostgreSQL: ``pg_dump --format=custom`` (one consistent snapshot of the whole database, restorable
  with ``pg_restore``), found on the PATH or in Debian's ``/usr/lib/postgresql/<version>/bin``; its
  version should be the server's or newer.

A restore goes into an empty database (a SQLite file that does not exist yet, or a PostgreSQL database
with no tables) and is then migrated, so a backup made by an older Concord comes back up to date.
Restoring over a database that holds data is refused: nothing is ever overwritten by mistake.
"""

from __future__ import annotations

import glob
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from concord.store.database import DatabaseError, migrate, open_database

PG_DUMP_MAGIC = b"PGDMP"  # the first bytes of a pg_dump custom-format archive
SQLITE_MAGIC = b"SQLite format 3\x00"


def backup(url: str, file: Path) -> str:
    """Write a backup of the database at ``url`` to ``file`` (which must not exist); what was done."""
    if file.exists():
        raise DatabaseError(f"{file} exists already: a backup never overwrites a file")
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        source = _sqlite_path(url)
        if not source.exists():
            raise DatabaseError(f"{source}: no such database")
        with sqlite3.connect(source) as origin, sqlite3.connect(file) as copy:
            origin.backup(copy)
        return f"copied {source} to {file} (SQLite online backup)"
    if parsed.get_backend_name() == "postgresql":
        _run(_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(file), "--dbname", _libpq(url))
        return f"dumped {parsed.database} to {file} (pg_dump, custom format)"
    raise DatabaseError(f"cannot back up a {parsed.get_backend_name()} database")


def restore(url: str, file: Path) -> str:
    """Restore ``file`` (made by :func:`backup`) into the empty database at ``url``, then migrate it."""
    head = file.read_bytes()[:16]
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if head != SQLITE_MAGIC:
            raise DatabaseError(f"{file} is not a SQLite backup")
        target = _sqlite_path(url)
        if target.exists() and target.stat().st_size > 0:
            raise DatabaseError(f"{target} exists already: restore into a new file, then move it into place")
        with sqlite3.connect(file) as origin, sqlite3.connect(target) as copy:
            origin.backup(copy)
    elif parsed.get_backend_name() == "postgresql":
        if not head.startswith(PG_DUMP_MAGIC):
            raise DatabaseError(f"{file} is not a pg_dump archive (made by concord backup on PostgreSQL)")
        engine = open_database(url)
        try:
            tables = inspect(engine).get_table_names()
        finally:
            engine.dispose()
        if tables:
            raise DatabaseError(f"the database {parsed.database} is not empty: restore into a new one (createdb)")
        _run(_tool("pg_restore"), "--no-owner", "--exit-on-error", "--dbname", _libpq(url), str(file))
    else:
        raise DatabaseError(f"cannot restore into a {parsed.get_backend_name()} database")
    engine = open_database(url)
    try:
        migrate(engine)
    finally:
        engine.dispose()
    return f"restored {file} into {parsed.render_as_string(hide_password=True)}"


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise DatabaseError("an in-memory database has nothing to back up or restore")
    return Path(database)


def _libpq(url: str) -> str:
    """The URL as libpq reads it (without SQLAlchemy's ``+driver``)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        raise DatabaseError(f"{name} not found: install PostgreSQL's client programs (Debian: postgresql-client)")
    return found


def _run(*command: str) -> None:
    finished = subprocess.run(command, capture_output=True, text=True)
    if finished.returncode != 0:
        message = (finished.stderr or finished.stdout).strip().splitlines()
        raise DatabaseError(f"{Path(command[0]).name} failed: {message[-1] if message else finished.returncode}")
