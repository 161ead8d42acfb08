"""Declared answers (a village, a district, an imported voter's columns) are published in the log only
where at least :data:`K` participants share them (:data:`concord.report.anonymity.K`).

The log is public, and it names every vote by its participant's number. An answer beside that number
("قریهٔ بالا", the village of a few dozen voters) would name the one person who gave it, and with the
number every vote they cast. So a participant's answers are never logged with them: a ``declared``
entry (:func:`concord.ledger.events.declared`) publishes an answer beside the numbers of those who gave
it once at least K participants of the conversation gave it, all K in one entry, and every later one
at once; a participant who changes a published answer to one fewer than K share gets a withdrawal
(value null). ``participants.published`` holds what the log has published of each participant's
answers, written in the same transaction as its entries: it is all the analysis (and a budget's
fairness report) reads of anyone's answers, so every result by declared group is computed from exactly
what is published and ``concord verify`` recomputes it from the log alone. Whoever gave a rarer answer
is in no declared group (they still count among everyone).

Publishing is an explicit step of the use case that changes answers (:func:`publish_answers`, called by
:func:`concord.service.participation.joining.set_attributes`), as storing a vote appends its own entries, and
not the ``after_flush`` hook of :mod:`concord.service.log.changes`: deciding needs the answers of the
others (a count, taken under the log's lock so that two newcomers cannot both miss being the K-th), and
it changes their rows (the published answers of the K − 1 who waited), which a flush hook should not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from concord.ledger import events
from concord.report.anonymity import K
from concord.service.clock import now_ms
from concord.service.log.appending import append, conversation_log_id
from concord.store.models import Conversation, Log, Participant

MAX_LISTED = 10_000  # participant numbers per ``declared`` entry of an import (a big group takes several)


def lock_answers(session: Session, conversation: Conversation) -> int:
    """Take the conversation's log (the lock every append takes: one UPDATE of its row), before any
    answer is changed: publishing counts the others' answers and may update their rows, so writers of
    answers take turns, always in the order log first, then participants' rows. Returns the log's id."""
    connection = session.connection()  # not session.execute: that would flush a pending answer first
    log_id = conversation_log_id(connection, conversation.id)
    connection.execute(update(Log).where(Log.id == log_id).values(size=Log.size))
    return log_id


def publish_answers(session: Session, conversation: Conversation, participant: Participant) -> None:
    """Bring the log and ``published`` in step with this participant's answers, in the caller's
    transaction, after :func:`lock_answers`: each answer they gave that K share is published (with every
    other holder of it still waiting), each published answer they no longer give is withdrawn unless
    its replacement is published."""
    answers = dict(participant.attributes or {})
    published = dict(participant.published or {})
    changed = sorted(name for name in set(answers) | set(published) if answers.get(name) != published.get(name))
    if not changed:
        return
    log_id = lock_answers(session, conversation)
    session.flush()  # a newcomer's row (and its participant entry) first, and the answers to count
    time, entries = now_ms(), []
    for name in changed:
        value = answers.get(name)
        if isinstance(value, str) and _holders(session, conversation, name, value) >= K:
            waiting = _waiting(session, conversation, name, value)
            for holder in waiting:
                holder.published = {**(holder.published or {}), name: value}
            entries.append(events.declared(time, name, value, sorted(holder.number for holder in waiting)))
        elif name in published:
            participant.published = {k: v for k, v in (participant.published or {}).items() if k != name}
            entries.append(events.declared(time, name, None, [participant.number]))
    append(session.connection(), log_id, entries)


def _in_python(session: Session) -> bool:
    """SQLite's JSON paths miss a key stored with escapes (the JSON column writes "\\u0642…" for a
    Dari question, which json_extract does not match before SQLite 3.45), so SQLite counts in Python;
    PostgreSQL reads the JSON itself (``->>``, any key)."""
    return session.get_bind().dialect.name == "sqlite"


def _holders(session: Session, conversation: Conversation, name: str, value: str) -> int:
    """How many participants of the conversation gave this answer."""
    if _in_python(session):
        rows = session.scalars(select(Participant.attributes).where(Participant.conversation_id == conversation.id))
        return sum((given or {}).get(name) == value for given in rows)
    return (
        session.scalar(
            select(func.count()).where(
                Participant.conversation_id == conversation.id, Participant.attributes[name].as_string() == value
            )
        )
        or 0
    )


def _waiting(session: Session, conversation: Conversation, name: str, value: str) -> list[Participant]:
    """The holders of this answer whose published answer is not (yet) it."""
    mine = select(Participant).where(Participant.conversation_id == conversation.id)
    if _in_python(session):
        rows = session.execute(
            select(Participant.id, Participant.attributes, Participant.published).where(
                Participant.conversation_id == conversation.id
            )
        )
        ids = [
            row_id
            for row_id, given, shown in rows
            if (given or {}).get(name) == value and (shown or {}).get(name) != value
        ]
        return list(session.scalars(mine.where(Participant.id.in_(ids)))) if ids else []
    shown = Participant.published[name].as_string()
    return list(
        session.scalars(
            mine.where(Participant.attributes[name].as_string() == value, or_(shown.is_(None), shown != value))
        )
    )


# --- a whole population at once (an import) ---------------------------------------------------------


def shared_only(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each row's answers that at least K rows share (what an import publishes of each voter)."""
    shared = Counter((name, value) for row in rows for name, value in row.items() if isinstance(value, str))
    return [
        {name: value for name, value in row.items() if isinstance(value, str) and shared[name, value] >= K}
        for row in rows
    ]


def declared_entries(time: int, published: dict[int, dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The ``declared`` entries that publish these answers (participant number → published answers),
    one per answer (a big group in entries of at most :data:`MAX_LISTED` numbers), in a fixed order."""
    holders: dict[tuple[str, str], list[int]] = {}
    for number in sorted(published):
        for name, value in published[number].items():
            holders.setdefault((name, value), []).append(number)
    for (name, value), numbers in sorted(holders.items()):
        for start in range(0, len(numbers), MAX_LISTED):
            yield events.declared(time, name, value, numbers[start : start + MAX_LISTED])
