"""Loading the vote events of a conversation for analysis, incrementally: only those not read yet."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from concord.store.models import Participant, Statement, VoteEvent


@dataclass
class EventCache:
    """The vote events among the first ``log_size`` entries of a conversation's log, as (participant
    number, statement number, vote, time) columns in log order (a vote's time is its log entry's).

    The log's order is the order its changes committed, and a log's size is written in the transaction
    that appends, so once a reader sees size n, every vote among the first n entries has committed: reading
    ``log_size ≤ seq < n`` misses none and reads none twice."""

    log_size: int = 0
    last_event_id: int = 0  # the largest vote event id read
    participant: list[np.ndarray] = field(default_factory=list)
    statement: list[np.ndarray] = field(default_factory=list)
    vote: list[np.ndarray] = field(default_factory=list)
    time: list[np.ndarray] = field(default_factory=list)

    def extend(self, session: Session, conversation_id: int, log_size: int) -> None:
        """Read the votes among entries ``self.log_size`` … ``log_size - 1``."""
        if log_size < self.log_size:  # another database behind the same ids (tests): start again
            self.log_size, self.last_event_id = 0, 0
            self.participant, self.statement, self.vote, self.time = [], [], [], []
        rows = session.execute(
            select(Participant.number, Statement.number, VoteEvent.value, VoteEvent.id, VoteEvent.created_ms)
            .join(Participant, Participant.id == VoteEvent.participant_id)
            .join(Statement, Statement.id == VoteEvent.statement_id)
            .where(
                VoteEvent.conversation_id == conversation_id,
                VoteEvent.seq >= self.log_size,
                VoteEvent.seq < log_size,
            )
            .order_by(VoteEvent.seq)
        ).all()
        self.log_size = log_size
        if rows:
            columns = np.array(rows, dtype=np.int64)
            self.participant.append(columns[:, 0])
            self.statement.append(columns[:, 1])
            self.vote.append(columns[:, 2])
            self.time.append(columns[:, 4])
            self.last_event_id = max(self.last_event_id, int(columns[:, 3].max()))

    @property
    def events(self) -> int:
        return sum(len(part) for part in self.vote)

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        joined = self._joined
        return joined(self.participant), joined(self.statement), joined(self.vote), joined(self.time)

    @staticmethod
    def _joined(parts: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)
