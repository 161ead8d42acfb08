"""The sparse participants × statements vote matrix.

Votes use the export sign convention: agree = +1, disagree = −1, pass = 0; a missing cell means the
participant never saw (never voted on) the statement. Pass is a real vote and must stay distinct from
"missing", so the matrix keeps its own CSR arrays instead of a scipy matrix (scipy drops explicit zeros
in arithmetic). Derived scipy matrices (seen / agree / disagree masks, centred values) are built on
demand by the modules that need them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

AGREE, PASS, DISAGREE = 1, 0, -1
DENSE_CELL_LIMIT = 4000000  # below this many cells, linear algebra runs on dense arrays


class VoteDataError(ValueError):
    """Votes that cannot form a matrix (unknown vote values, mismatched lengths, nothing to analyse)."""


@dataclass(frozen=True)
class VoteMatrix:
    """Latest vote per (participant, statement) in CSR form.

    Rows are participants sorted by id, columns statements sorted by id, so two exports of the same
    conversation give the same matrix whatever the order of their files' rows.
    """

    participant_ids: np.ndarray  # int64, sorted, shape (n,)
    statement_ids: np.ndarray  # int64, sorted, shape (m,)
    indptr: np.ndarray  # int64, shape (n + 1,)
    indices: np.ndarray  # int32 column index per vote, sorted within each row
    values: np.ndarray  # int8 vote per stored cell: +1, 0, −1
    # bool, shape (m,): left out of the analysis; None given means none (filled in by __post_init__)
    moderated_out: np.ndarray = field(default=None)  # type: ignore[arg-type]

    def __post_init__(self) -> None:
        if self.moderated_out is None:
            object.__setattr__(self, "moderated_out", np.zeros(len(self.statement_ids), dtype=bool))

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.participant_ids), len(self.statement_ids)

    @property
    def n_votes(self) -> int:
        return len(self.values)

    @cached_property
    def vote_rows(self) -> np.ndarray:
        """Participant index of every stored vote (the COO row array), computed once."""
        return np.repeat(np.arange(self.shape[0], dtype=np.int32), np.diff(self.indptr))

    def votes_per_participant(self) -> np.ndarray:
        return np.diff(self.indptr)

    def without_columns(self, dropped: np.ndarray) -> VoteMatrix:
        """The same participants, with the flagged statements and every vote on them left out."""
        keep = ~np.asarray(dropped, dtype=bool)
        new_index = np.cumsum(keep, dtype=np.int64) - 1
        kept = keep[self.indices]
        kept_before = np.concatenate([[0], np.cumsum(kept, dtype=np.int64)])
        return VoteMatrix(
            self.participant_ids,
            self.statement_ids[keep],
            kept_before[self.indptr],
            new_index[self.indices[kept]].astype(np.int32),
            self.values[kept],
            self.moderated_out[keep],
        )

    def linear_operator(self, data: np.ndarray, keep: np.ndarray | None = None):
        """An n × m matrix holding ``data`` at the stored votes (or at the votes flagged by ``keep``),
        for matrix products.

        Small conversations get a dense array: faster to multiply, and it spares the 0.12 s import of
        scipy.sparse, a quarter of the start-up budget of ``concord analyze``. Large ones get CSR, built
        straight from this matrix's own row structure (no sort). Both support ``@``, ``.T`` and
        ``.sum(axis=…)``.
        """
        n, m = self.shape
        indptr, indices = self.indptr, self.indices
        if keep is not None:
            kept_before = np.concatenate([[0], np.cumsum(keep, dtype=np.int64)])
            indptr = kept_before[self.indptr]  # kept votes before each row's start
            indices = indices[keep]
        if n * m <= DENSE_CELL_LIMIT:
            dense = np.zeros((n, m))
            rows = np.repeat(np.arange(n), np.diff(indptr))
            dense[rows, indices] = data
            return dense
        from scipy.sparse import csr_matrix

        return csr_matrix((data, indices, indptr), shape=(n, m))


def index_ids(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct ids and the position of each input id among them.

    Pol.is ids are small non-negative integers, so a lookup table is used when it fits (linear time);
    otherwise a sort.
    """
    ids = np.asarray(ids, dtype=np.int64)
    if len(ids) == 0:
        return ids, ids.astype(np.int32)
    low, high = int(ids.min()), int(ids.max())
    if low >= 0 and high < 4 * len(ids) + (1 << 20):
        present = np.zeros(high + 1, dtype=bool)
        present[ids] = True
        distinct = np.flatnonzero(present).astype(np.int64)
        position = np.cumsum(present, dtype=np.int32) - 1
        return distinct, position[ids]
    distinct, inverse = np.unique(ids, return_inverse=True)
    return distinct, inverse.astype(np.int32)


def build_vote_matrix(
    participant: np.ndarray,
    statement: np.ndarray,
    vote: np.ndarray,
    time: np.ndarray | None = None,
    moderated_out_ids: np.ndarray | None = None,
) -> VoteMatrix:
    """Vote events → matrix, keeping each participant's latest vote on each statement.

    Events are ordered by ``time`` (stably, so file order breaks ties); without times, file order is
    the event order. Pol.is reads votes ordered by creation, so the last vote per cell wins.
    """
    participant = np.asarray(participant, dtype=np.int64)
    statement = np.asarray(statement, dtype=np.int64)
    vote = np.asarray(vote)
    if not (len(participant) == len(statement) == len(vote)):
        raise VoteDataError("participant, statement and vote columns have different lengths")
    if len(vote) == 0:
        raise VoteDataError("there are no votes to analyse")
    unknown = (vote < DISAGREE) | (vote > AGREE)
    if unknown.any():
        at = int(np.flatnonzero(unknown)[0])
        raise VoteDataError(
            f"unknown vote value {int(vote[at])} (vote number {at + 1}): "
            "votes must be 1 (agree), -1 (disagree) or 0 (pass)"
        )
    vote = vote.astype(np.int8)

    if time is not None:
        time = np.asarray(time)
        if len(time) != len(vote):
            raise VoteDataError("the time column has a different length from the votes")
        if len(time) > 1 and np.any(time[1:] < time[:-1]):
            order = np.argsort(time, kind="stable")
            participant, statement, vote = participant[order], statement[order], vote[order]

    participant_ids, row = index_ids(participant)
    statement_ids, col = index_ids(statement)
    n, m = len(participant_ids), len(statement_ids)

    cell = row.astype(np.int64) * m + col
    latest = _last_event_per_cell(cell)
    cell, kept_vote = cell[latest], vote[latest]  # sorted by cell = (row, col)
    rows = (cell // m).astype(np.int64)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])

    moderated_out = np.zeros(m, dtype=bool)
    if moderated_out_ids is not None and len(moderated_out_ids):
        moderated_out = np.isin(statement_ids, np.asarray(moderated_out_ids, dtype=np.int64))
    return VoteMatrix(participant_ids, statement_ids, indptr, (cell % m).astype(np.int32), kept_vote, moderated_out)


def _last_event_per_cell(cell: np.ndarray) -> np.ndarray:
    """Index of the last event of each distinct cell, in cell order.

    The event index is packed under the cell key so one unstable sort orders by (cell, event); that is
    about twice as fast as a stable argsort on ten million votes.
    """
    n_events = len(cell)
    event_bits = max(1, int(n_events - 1).bit_length())
    cell_bits = max(1, int(cell.max()).bit_length())
    if event_bits + cell_bits <= 63:
        packed = (cell << event_bits) | np.arange(n_events, dtype=np.int64)
        packed.sort()
        sorted_cell = packed >> event_bits
        event = packed & ((1 << event_bits) - 1)
    else:
        event = np.lexsort((np.arange(n_events), cell))
        sorted_cell = cell[event]
    is_last = np.ones(n_events, dtype=bool)
    is_last[:-1] = sorted_cell[1:] != sorted_cell[:-1]
    return event[is_last]
