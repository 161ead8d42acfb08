"""Loading the vote events of a conversation for analysis, incrementally: only those not read yet."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from concord.store.models import Participant, Statement, VoteEvent


@dataclass
class EventCache:
    """The vote events of one conversation read so far, as (participant number, statement number,
    vote) columns in event order."""

    last_event_id: int = 0
    participant: list[np.ndarray] = field(default_factory=list)
    statement: list[np.ndarray] = field(default_factory=list)
    vote: list[np.ndarray] = field(default_factory=list)

    def extend(self, session: Session, conversation_id: int) -> None:
        """Read the events stored since the last call. Ids come from a sequence but transactions commit
        in any order, so an event can appear below ``last_event_id`` after it was read past: when the
        database holds more events up to that id than the cache, start again from the first."""
        self._read_after(session, conversation_id)
        stored = session.scalar(
            select(func.count())
            .select_from(VoteEvent)
            .where(VoteEvent.conversation_id == conversation_id, VoteEvent.id <= self.last_event_id)
        )
        if stored != self.events:
            self._forget()
            self._read_after(session, conversation_id)

    @property
    def events(self) -> int:
        return sum(len(part) for part in self.vote)

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self._joined(self.participant), self._joined(self.statement), self._joined(self.vote)

    def _forget(self) -> None:
        self.last_event_id = 0
        self.participant, self.statement, self.vote = [], [], []

    def _read_after(self, session: Session, conversation_id: int) -> None:
        rows = session.execute(
            select(VoteEvent.id, Participant.number, Statement.number, VoteEvent.value)
            .join(Participant, Participant.id == VoteEvent.participant_id)
            .join(Statement, Statement.id == VoteEvent.statement_id)
            .where(VoteEvent.conversation_id == conversation_id, VoteEvent.id > self.last_event_id)
            .order_by(VoteEvent.id)
        ).all()
        if not rows:
            return
        columns = np.array(rows, dtype=np.int64)
        self.last_event_id = int(columns[-1, 0])
        self.participant.append(columns[:, 1])
        self.statement.append(columns[:, 2])
        self.vote.append(columns[:, 3])

    @staticmethod
    def _joined(parts: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)
