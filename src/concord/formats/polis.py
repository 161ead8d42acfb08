"""Read Pol.is export folders (the openData layout) into a vote matrix and statement table.

A folder holds ``votes.csv`` (one row per vote event) and ``comments.csv``, or, in some exports, only
``participants-votes.csv`` (one row per participant, one column per comment). ``summary.csv`` carries
the topic. Everything read from disk is validated here, so the engine only ever sees clean arrays.
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from concord.engine.votes import VoteDataError, VoteMatrix, build_vote_matrix, index_ids
from concord.formats.errors import InputFileError

VOTES = "votes.csv"
COMMENTS = "comments.csv"
PARTICIPANTS_VOTES = "participants-votes.csv"
SUMMARY = "summary.csv"

VOTES_COLUMNS = ("timestamp", "comment-id", "voter-id", "vote")
COMMENTS_COLUMNS = ("comment-id", "moderated", "comment-body")
PARTICIPANTS_VOTES_FIXED = ("participant", "xid", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree")


@dataclass(frozen=True)
class Statement:
    id: int
    text: str
    author_id: int | None = None
    moderated: int = 0  # 1 accepted, 0 unmoderated, −1 rejected (left out of the analysis)
    agrees: int | None = None
    disagrees: int | None = None
    timestamp: int | None = None


@dataclass(frozen=True)
class VoteEvents:
    """Every vote as cast, oldest first (a participant may vote again; the latest counts)."""

    participant: np.ndarray
    statement: np.ndarray
    vote: np.ndarray
    timestamp: np.ndarray  # milliseconds since the epoch


@dataclass
class PolisExport:
    """One conversation as exported by Pol.is."""

    votes: VoteMatrix
    statements: dict[int, Statement]
    topic: str = ""
    description: str = ""
    notes: list[str] = field(default_factory=list)  # what the reader noticed and corrected
    timings: dict[str, float] = field(default_factory=dict)  # seconds: "parse" (CSV), "matrix"
    events: VoteEvents | None = None  # every vote event, when asked for (imports keep vote history)

    def statement_text(self, statement_id: int) -> str:
        found = self.statements.get(int(statement_id))
        return found.text if found else ""


def read_export(folder: str | Path, keep_events: bool = False) -> PolisExport:
    """Read a Pol.is export folder; raise :class:`InputFileError` with a readable message if it is bad.

    ``keep_events`` also returns every vote event in time order (an import keeps the vote history);
    participants-votes.csv carries no history, so its events are the latest votes, at time 0.
    """
    folder = Path(folder)
    if not folder.exists():
        raise InputFileError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise InputFileError(f"{folder}: expected a Pol.is export folder (with votes.csv and comments.csv)")
    has_votes = (folder / VOTES).is_file()
    has_wide = (folder / PARTICIPANTS_VOTES).is_file()
    if not has_votes and not has_wide:
        raise InputFileError(
            f"{folder}: neither {VOTES} nor {PARTICIPANTS_VOTES} found; point to a Pol.is export folder"
        )
    started = time.perf_counter()
    notes: list[str] = []
    statements = read_comments(folder / COMMENTS) if (folder / COMMENTS).is_file() else {}
    if not statements:
        notes.append(f"no {COMMENTS}: statements have no text and no moderation state")

    if has_votes:
        participant, statement, vote, times = _read_vote_events(folder / VOTES)
    else:
        participant, statement, vote = _read_participants_votes(folder / PARTICIPANTS_VOTES)
        times = None

    if statements and _sign_looks_flipped(statement, vote, statements):
        vote = -vote
        notes.append("votes use agree = -1 (Pol.is database sign); flipped to agree = +1")

    parsed = time.perf_counter()
    rejected = np.array([s.id for s in statements.values() if s.moderated == -1], dtype=np.int64)
    try:
        matrix = build_vote_matrix(participant, statement, vote, times, moderated_out_ids=rejected)
    except VoteDataError as error:
        raise InputFileError(f"{folder}: {error}") from None
    topic, description = read_summary(folder / SUMMARY)
    timings = {"parse": parsed - started, "matrix": time.perf_counter() - parsed}
    events = None
    if keep_events:
        if times is None:
            times = np.zeros(len(vote), dtype=np.int64)
        order = np.argsort(times, kind="stable")
        events = VoteEvents(participant[order], statement[order], vote[order].astype(np.int64), times[order])
    return PolisExport(matrix, statements, topic, description, notes, timings, events)


def read_polis_groups(folder: str | Path) -> dict[int, int]:
    """Pol.is's own opinion group per clustered participant (the ``group-id`` column), for comparison."""
    path = Path(folder) / PARTICIPANTS_VOTES
    groups: dict[int, int] = {}
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        pid, gid = header.index("participant"), header.index("group-id")
        for row in reader:
            if row and row[gid].strip() != "":
                groups[int(row[pid])] = int(row[gid])
    return groups


def read_summary(path: Path) -> tuple[str, str]:
    """Topic and description from ``summary.csv`` (key,value rows); empty when absent."""
    if not path.is_file():
        return "", ""
    values: dict[str, str] = {}
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        for row in csv.reader(handle):
            if len(row) >= 2:
                values[row[0]] = row[1]
    return values.get("topic", ""), values.get("conversation-description", "")


def read_comments(path: Path) -> dict[int, Statement]:
    _require_columns(path, COMMENTS_COLUMNS)
    statements: dict[int, Statement] = {}
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            sid = _whole_number(row.get("comment-id"), path, "comment-id", line)
            moderated = _whole_number(row.get("moderated") or "0", path, "moderated", line)
            if moderated not in (-1, 0, 1):
                raise InputFileError(f"{path}, line {line}: moderated must be 1, 0 or -1, not {row.get('moderated')!r}")
            statements[sid] = Statement(
                id=sid,
                text=row.get("comment-body") or "",
                author_id=_optional_number(row.get("author-id")),
                moderated=moderated,
                agrees=_optional_number(row.get("agrees")),
                disagrees=_optional_number(row.get("disagrees")),
                timestamp=_optional_number(row.get("timestamp")),
            )
    return statements


def _read_vote_events(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    import pyarrow as pa

    _require_columns(path, VOTES_COLUMNS)
    table = _read_csv(path, {name: pa.int64() for name in VOTES_COLUMNS})
    if table.num_rows == 0:
        raise InputFileError(f"{path}: has no votes (only a header)")
    columns = {}
    for name in VOTES_COLUMNS:
        values, present = _int64_column(table.column(name))
        if not present.all():
            raise InputFileError(f"{path}: column '{name}' has {int((~present).sum())} empty cells")
        columns[name] = values
    unknown = np.flatnonzero((columns["vote"] < -1) | (columns["vote"] > 1))
    if len(unknown):
        raise InputFileError(
            f"{path}, line {int(unknown[0]) + 2}: unknown vote value {int(columns['vote'][unknown[0]])}; "
            "votes must be 1 (agree), -1 (disagree) or 0 (pass)"
        )
    return columns["voter-id"], columns["comment-id"], columns["vote"], columns["timestamp"]


def _read_participants_votes(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    import pyarrow as pa

    header = _header(path)
    if "participant" not in header:
        raise InputFileError(f"{path}: missing column 'participant' (found: {', '.join(header[:8])} …)")
    comment_columns = [name for name in header if name not in PARTICIPANTS_VOTES_FIXED]
    for name in comment_columns:
        if not name.strip().lstrip("-").isdigit():
            raise InputFileError(f"{path}: column '{name}' is neither a known column nor a comment id (a whole number)")
    table = _read_csv(path, {name: pa.int64() for name in ["participant", *comment_columns]})
    if table.num_rows == 0:
        raise InputFileError(f"{path}: has no participants (only a header)")
    participants, present = _int64_column(table.column("participant"))
    if not present.all():
        raise InputFileError(f"{path}: column 'participant' has empty cells")
    rows, statements, votes = [], [], []
    for name in comment_columns:
        values, present = _int64_column(table.column(name))
        if not present.any():
            continue
        unknown = np.flatnonzero(present & ((values < -1) | (values > 1)))
        if len(unknown):
            raise InputFileError(
                f"{path}, line {int(unknown[0]) + 2}, comment {name}: unknown vote value "
                f"{int(values[unknown[0]])}; votes must be 1, -1, 0 or empty"
            )
        rows.append(participants[present])
        statements.append(np.full(int(present.sum()), int(name), dtype=np.int64))
        votes.append(values[present])
    if not rows:
        raise InputFileError(f"{path}: has no votes")
    return np.concatenate(rows), np.concatenate(statements), np.concatenate(votes)


def _int64_column(column) -> tuple[np.ndarray, np.ndarray]:
    """Values and validity of an Arrow int64 column, read straight from its buffers.

    ``Array.to_numpy`` would import pandas (0.17 s), a third of the start-up budget of an analysis.
    """
    values, valid = [], []
    for chunk in column.chunks:
        validity, data = chunk.buffers()[:2]
        start, length = chunk.offset, len(chunk)
        values.append(
            np.frombuffer(data, dtype=np.int64, count=length, offset=start * 8) if length else np.zeros(0, np.int64)
        )
        if validity is None or chunk.null_count == 0:
            valid.append(np.ones(length, dtype=bool))
        else:
            bits = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")
            valid.append(bits[start : start + length].astype(bool))
    if not values:
        return np.zeros(0, np.int64), np.zeros(0, bool)
    return np.concatenate(values), np.concatenate(valid)


def _read_csv(path: Path, types: dict):
    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        return pacsv.read_csv(
            path,
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(include_columns=list(types), column_types=types),
        )
    except pa.ArrowInvalid as error:
        raise InputFileError(_explain_bad_number(path, list(types), error)) from None


def _explain_bad_number(path: Path, columns: list[str], error: Exception) -> str:
    """Find the first cell that is not a whole number, so the message can name its line."""
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        positions = {name: header.index(name) for name in columns if name in header}
        for line, row in enumerate(reader, start=2):
            for name, at in positions.items():
                cell = row[at].strip() if at < len(row) else ""
                if cell and not cell.lstrip("-").isdigit():
                    return f"{path}, line {line}: column '{name}' must hold whole numbers, not {cell!r}"
    return f"{path}: cannot be read as CSV ({error})"


def _header(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        try:
            return [name.strip() for name in next(csv.reader(handle))]
        except StopIteration:
            raise InputFileError(f"{path}: is empty") from None


def _require_columns(path: Path, required: tuple[str, ...]) -> None:
    header = _header(path)
    missing = [name for name in required if name not in header]
    if missing:
        raise InputFileError(f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(header) or 'none'}")


def _whole_number(text: str | None, path: Path, column: str, line: int) -> int:
    value = _optional_number(text)
    if value is None:
        raise InputFileError(f"{path}, line {line}: column '{column}' must be a whole number, not {text!r}")
    return value


def _optional_number(text: str | None) -> int | None:
    if text is None:
        return None
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        return None


def _sign_looks_flipped(statement: np.ndarray, vote: np.ndarray, statements: dict[int, Statement]) -> bool:
    """True when the ``agrees``/``disagrees`` counts of comments.csv match the votes only if flipped.

    Pol.is stores agree as −1 and its openData exporter flips to +1, but a newer exporter writes the
    stored sign unflipped (shared/docs/polis-math.md §1.2, Pol.is issue #2554); so the sign is checked,
    not assumed.
    """
    known = [s for s in statements.values() if s.agrees is not None and s.disagrees is not None]
    if not known:
        return False
    ids = np.array([s.id for s in known], dtype=np.int64)
    agrees = np.array([s.agrees for s in known], dtype=np.int64)
    disagrees = np.array([s.disagrees for s in known], dtype=np.int64)
    distinct, position = index_ids(np.concatenate([ids, statement]))
    listed, voted = position[: len(ids)], position[len(ids) :]
    plus = np.bincount(voted[vote == 1], minlength=len(distinct))[listed]
    minus = np.bincount(voted[vote == -1], minlength=len(distinct))[listed]
    as_is = np.abs(plus - agrees).sum() + np.abs(minus - disagrees).sum()
    flipped = np.abs(plus - disagrees).sum() + np.abs(minus - agrees).sum()
    return bool(flipped < as_is)
