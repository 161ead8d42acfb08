"""Alembic environment. Concord runs migrations from code (``concord.store.database.migrate``), passing
an open connection. ``alembic upgrade head`` on the command line (with the repository's alembic.ini)
works too: it opens the database the app would, by the same rule (``--database``-less: the
CONCORD_DATABASE_URL variable, else sqlite:///concord.db) and with the same driver (psycopg 3)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from concord.store.database import migration_connection, open_database
from concord.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_with(connection)
else:
    engine = open_database()
    with migration_connection(engine) as opened:
        run_with(opened)
    engine.dispose()
