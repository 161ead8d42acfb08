"""A log as files beside an export: ``log.jsonl`` (one entry per line, exactly as hashed, each line
ending in a newline) and ``checkpoint.txt`` (the signed checkpoint of exactly those entries)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from concord.ledger.files import CHECKPOINT_FILE, LOG_FILE
from concord.service.log.appending import signer
from concord.store.models import Log, LogEntry

CHUNK = 20_000


def write_log(session: Session, conversation_id: int, folder: str | Path) -> dict[str, Any]:
    """Write the conversation's log and its checkpoint; returns its origin, size, root and key."""
    return write_log_of(
        session, session.scalars(select(Log).where(Log.conversation_id == conversation_id)).one(), folder
    )


def write_space_log(session: Session, space_id: int, folder: str | Path) -> dict[str, Any]:
    """Write a space's log and its checkpoint; returns its origin, size, root and key."""
    return write_log_of(session, session.scalars(select(Log).where(Log.space_id == space_id)).one(), folder)


def write_log_of(session: Session, log: Log, folder: str | Path) -> dict[str, Any]:
    """Write this log's entries (``log.jsonl``) and its signed checkpoint (``checkpoint.txt``) of exactly
    those entries into ``folder``, a chunk of entries at a time (memory stays flat)."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    with open(Path(folder, LOG_FILE), "w", encoding="utf-8", newline="\n") as handle:
        for start in range(0, log.size, CHUNK):
            bodies = session.scalars(
                select(LogEntry.body)
                .where(LogEntry.log_id == log.id, LogEntry.seq >= start, LogEntry.seq < min(log.size, start + CHUNK))
                .order_by(LogEntry.seq)
            )
            handle.writelines(body + "\n" for body in bodies)
    sign = signer(session)
    Path(folder, CHECKPOINT_FILE).write_text(
        sign.sign(log.origin, log.size, bytes.fromhex(log.root)), encoding="utf-8", newline="\n"
    )
    return {"origin": log.origin, "size": log.size, "root": log.root, "key": str(sign.key)}
