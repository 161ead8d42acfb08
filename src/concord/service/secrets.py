"""The instance's own keys, made by the migrations and kept in the database, so that every server
process of one deployment uses the same ones (read once per process)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from concord.store.models import InstanceSecret

_known: dict[tuple[str, str], str] = {}


def instance_secret(session: Session, name: str) -> str:
    database = str(session.get_bind().engine.url)
    if (database, name) not in _known:
        value = session.scalar(select(InstanceSecret.value).where(InstanceSecret.name == name))
        if value is None:
            raise LookupError(f"the instance secret {name!r} is missing: the database was not migrated")
        _known[(database, name)] = value
    return _known[(database, name)]
