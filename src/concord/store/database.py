"""Opening the database: SQLite (a file, WAL mode) by default, PostgreSQL in production; schema changes
always go through the Alembic migrations in ``migrations/``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///concord.db"
DATABASE_URL_VARIABLE = "CONCORD_DATABASE_URL"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class DatabaseError(RuntimeError):
    """The database cannot be opened or migrated; the message says why and what to do."""


def database_url(explicit: str | None = None) -> str:
    url = explicit or os.environ.get(DATABASE_URL_VARIABLE) or DEFAULT_URL
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]  # psycopg 3
    return url


def open_database(url: str | None = None) -> Engine:
    url = database_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_settings(connection, _record) -> None:
            cursor = connection.cursor()
            # WAL: readers never wait for the writer; NORMAL sync is durable across application crashes
            # and loses at most the last transactions on power loss, the usual choice with WAL.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    if url.startswith("postgresql"):
        return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
    raise DatabaseError(f"unsupported database URL {url!r}: use sqlite:///FILE or postgresql://USER@HOST/DB")


MIGRATION_LOCK = 0x636F6E636F7264  # "concord": the PostgreSQL advisory lock held while migrating


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to the newest revision (creates it on an empty database), or to an older
    ``revision`` (tests of a migration start from the one before it)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with migration_connection(engine) as connection:
        if connection.dialect.name == "postgresql":  # servers starting together migrate one at a time
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def schema_revision(engine: Engine) -> str | None:
    """The schema's revision (None on an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in one transaction for migrations. On SQLite, foreign keys are off meanwhile: a
    migration that changes a table copies it and drops the old one, and with foreign keys on, that
    drop would cascade into every row that refers to it (statements, votes …)."""
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                yield connection
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def read_snapshot(session: Session) -> None:
    """Make every read of this (new) transaction see the database as of one moment, as an analysis or an
    export needs (its votes, statements and log size must agree). PostgreSQL: REPEATABLE READ. SQLite:
    an explicit BEGIN (the driver otherwise runs each SELECT on its own until the first write), which
    pins WAL's snapshot at the first read. Call it before the transaction's first statement; such a
    transaction should only read."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
