"""Alembic environment: Concord runs migrations from code (``concord.store.database.migrate``), passing
an open connection; ``alembic`` on the command line works too when CONCORD_DATABASE_URL is set."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from concord.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_with(connection) -> None:
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
    engine = create_engine(os.environ.get("CONCORD_DATABASE_URL", "sqlite:///concord.db"))
    with engine.begin() as opened:
        run_with(opened)
