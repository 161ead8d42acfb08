"""Write conversations in the Pol.is export layout, so any tool that reads Pol.is openData (red-dwarf,
notebooks, Concord itself) can analyse them: ``votes.csv``, ``comments.csv``,
``participants-votes.csv`` and ``summary.csv``. Votes use the export sign (agree = +1)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from concord.engine.votes import AGREE, DISAGREE, build_vote_matrix
from concord.formats.polis import (
    COMMENTS,
    PARTICIPANTS_VOTES,
    PARTICIPANTS_VOTES_FIXED,
    SUMMARY,
    VOTES,
    Statement,
    VoteEvents,
)

PARTICIPANT_COLUMNS = [c for c in PARTICIPANTS_VOTES_FIXED if c != "xid"]  # Concord keeps no xid in exports
WIDE_CELL_LIMIT = 50_000_000  # participants × statements above which participants-votes.csv is skipped


def write_export(
    folder: str | Path,
    events: VoteEvents,
    statements: Iterable[Statement],
    *,
    topic: str = "",
    description: str = "",
    url: str = "",
    groups: Mapping[int, int] | None = None,
) -> list[str]:
    """Write the four files; return the names written (participants-votes.csv is left out, with a
    reason in the summary, when the conversation is too large for a dense table)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    statements = sorted(statements, key=lambda s: s.id)
    written = [VOTES, COMMENTS]
    _write_votes(folder / VOTES, events)
    _write_comments(folder / COMMENTS, events, statements)
    if len(events.vote) == 0:  # nobody has voted yet: the table has its columns and no rows
        n = 0
        (folder / PARTICIPANTS_VOTES).write_text(",".join(PARTICIPANT_COLUMNS) + "\n", encoding="utf-8")
        written.append(PARTICIPANTS_VOTES)
    else:
        matrix = build_vote_matrix(events.participant, events.statement, events.vote, events.timestamp)
        n, m = matrix.shape
        if n * m <= WIDE_CELL_LIMIT:
            _write_participants_votes(folder / PARTICIPANTS_VOTES, matrix, statements, groups or {})
            written.append(PARTICIPANTS_VOTES)
    authors = {s.author_id for s in statements if s.author_id is not None}
    summary = [
        ("topic", topic),
        ("url", url),
        ("voters", str(n)),
        ("voters-in-conv", str(n)),
        ("commenters", str(len(authors))),
        ("comments", str(len(statements))),
        ("groups", str(len(set((groups or {}).values())))),
        ("conversation-description", description),
    ]
    with open(folder / SUMMARY, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(summary)
    written.append(SUMMARY)
    return written


def _iso_times(milliseconds: np.ndarray) -> np.ndarray:
    return np.char.add(np.datetime_as_string(np.asarray(milliseconds, dtype="datetime64[ms]"), unit="s"), "Z")


def _write_votes(path: Path, events: VoteEvents) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    table = pa.table(
        {
            "timestamp": pa.array(np.asarray(events.timestamp, dtype=np.int64)),
            "datetime": pa.array(_iso_times(events.timestamp)),
            "comment-id": pa.array(np.asarray(events.statement, dtype=np.int64)),
            "voter-id": pa.array(np.asarray(events.participant, dtype=np.int64)),
            "vote": pa.array(np.asarray(events.vote, dtype=np.int64)),
        }
    )
    pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(quoting_style="needed"))


def _write_comments(path: Path, events: VoteEvents, statements: list[Statement]) -> None:
    """Vote counts per comment include superseded votes, as Pol.is's own exports do."""
    ids = np.array([s.id for s in statements], dtype=np.int64)
    agrees = np.zeros(len(ids), dtype=np.int64)
    disagrees = np.zeros(len(ids), dtype=np.int64)
    if len(ids):
        position = np.minimum(np.searchsorted(ids, events.statement), len(ids) - 1)
        known = ids[position] == events.statement
        agrees = np.bincount(position[known & (events.vote == AGREE)], minlength=len(ids))
        disagrees = np.bincount(position[known & (events.vote == DISAGREE)], minlength=len(ids))
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["timestamp", "datetime", "comment-id", "author-id", "agrees", "disagrees", "moderated", "comment-body"]
        )
        stamps = np.array([s.timestamp or 0 for s in statements], dtype=np.int64)
        for s, stamp, when, agreed, disagreed in zip(statements, stamps, _iso_times(stamps), agrees, disagrees):
            author = "" if s.author_id is None else s.author_id
            writer.writerow([stamp, when, s.id, author, int(agreed), int(disagreed), s.moderated, s.text])


def _write_participants_votes(path: Path, matrix, statements: list[Statement], groups: Mapping[int, int]) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    n, m = matrix.shape
    dense = np.full((n, m), 2, dtype=np.int8)  # 2 marks "not voted"
    dense[matrix.vote_rows, matrix.indices] = matrix.values
    authored = np.zeros(n, dtype=np.int64)
    author_counts: dict[int, int] = {}
    for s in statements:
        if s.author_id is not None:
            author_counts[s.author_id] = author_counts.get(s.author_id, 0) + 1
    for row, pid in enumerate(matrix.participant_ids):
        authored[row] = author_counts.get(int(pid), 0)
    group = np.array([groups.get(int(pid), -1) for pid in matrix.participant_ids], dtype=np.int64)
    columns = dict(
        zip(
            PARTICIPANT_COLUMNS,
            [
                pa.array(matrix.participant_ids),
                pa.array(group, mask=group < 0),
                pa.array(authored),
                pa.array(np.diff(matrix.indptr)),
                pa.array((dense == 1).sum(axis=1)),
                pa.array((dense == -1).sum(axis=1)),
            ],
        )
    )
    for column, sid in enumerate(matrix.statement_ids):
        values = dense[:, column]
        columns[str(int(sid))] = pa.array(values, mask=values == 2)
    pacsv.write_csv(pa.table(columns), path, write_options=pacsv.WriteOptions(quoting_style="needed"))
