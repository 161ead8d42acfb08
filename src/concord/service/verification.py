"""``concord verify``: check an export against its own log, with no access to the server.

In order, stopping at the first thing that does not match and naming its entry:

1. the log: every line one canonical entry, numbered from 0, each linked to the hash of the one before;
2. the checkpoint: signed by the key entry 0 commits (or the one the verifier was told to expect), of
   exactly as many entries as the log holds, and the entries' Merkle tree hash is its root;
3. the log read back (:mod:`.replay`): every entry fits what came before it;
4. every published result recomputes from the entries it says it is of, byte for byte: each
   ``outcome`` entry, and the export's analysis;
5. the export's files are exactly what the log says: votes.csv, comments.csv, participants-votes.csv,
   summary.csv and translations.csv are written again from the log and compared line by line, and
   conversation.json's settings with the log's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import numpy as np

from concord.formats.errors import InputFileError
from concord.formats.polis import Statement as ExportedStatement
from concord.formats.polis import VoteEvents
from concord.formats.polis_writer import write_export
from concord.formats.translations import TRANSLATIONS, text_rows, write_translations
from concord.ledger.checkpoints import CheckpointError, VerifierKey, read_checkpoint
from concord.ledger.entries import GENESIS_PREV, EntryError, digest, parse
from concord.ledger.merkle import Frontier, leaf_hash
from concord.report.contract import read_conversation_results
from concord.service.budget_outcomes import ProjectRow, report_of, voters_of
from concord.service.live_analysis.payload import (
    AnalysisInputs,
    StatementState,
    compute,
    findings,
    results_digest,
)
from concord.service.log_files import CHECKPOINT_FILE, LOG_FILE
from concord.service.replay import LogMismatch, Replayed
from concord.states import StatementStatus, TranslationStatus

MODERATED = {StatementStatus.ACCEPTED: 1, StatementStatus.PENDING: 0, StatementStatus.REJECTED: -1}
CHECKED_FILES = ("votes.csv", "comments.csv", "participants-votes.csv", "summary.csv", TRANSLATIONS)


@dataclass
class Verified:
    """What was checked, for the report."""

    origin: str
    key: str
    entries: int
    votes: int
    files: list[str] = field(default_factory=list)
    analysis: int | None = None  # the log prefix the export's analysis is of
    analysis_before_log: bool = False  # the export's analysis was made before the log (not checked)
    outcomes: int = 0  # outcome entries recomputed


def verify_export(folder: str | Path, expected_key: str | None = None) -> Verified:
    """Check an export folder; returns what was checked, or raises :class:`LogMismatch` at the first
    difference (:class:`InputFileError` when the folder is not an export with a log)."""
    folder = Path(folder)
    for name in (LOG_FILE, CHECKPOINT_FILE, "conversation.json"):
        if not (folder / name).is_file():
            raise InputFileError(f"{folder}: no {name}; export the conversation with Concord 0008 or later")
    summary = _read_json(folder / "conversation.json")
    analysis = summary.get("analysis") or None
    state, frontier = Replayed(), Frontier()
    for entry, leaf in _entries(folder / LOG_FILE):
        state.apply(entry)
        frontier.append(leaf)
        if entry["seq"] == 0:
            _check_key(state, expected_key)
    _check_checkpoint(folder / CHECKPOINT_FILE, state, frontier)
    needed = {(o.of, o.upto) for o in state.outcomes}
    if analysis and analysis.get("log_size"):
        needed.add(("analysis", int(analysis["log_size"])))
    results = _results_at(folder / LOG_FILE, needed)  # the results of each prefix, in a second pass
    checked = Verified(state.origin, state.key, state.size, len(state.votes))
    for outcome in state.outcomes:
        computed = results.get((outcome.of, outcome.upto))
        if computed is None:
            found = "nothing (no votes to count)"
        else:
            found = results_digest(computed) if outcome.of == "analysis" else digest(computed)
        if found != outcome.digest:
            raise LogMismatch(
                outcome.entry,
                f"the outcome it publishes ({outcome.of} of the first {outcome.upto} entries, digest "
                f"{outcome.digest[:16]}…) does not recompute: the log's entries give {found[:16]}…",
            )
        checked.outcomes += 1
    if analysis and not analysis.get("log_size"):  # made before migration 0008: of no log prefix
        checked.analysis_before_log = True
        analysis = None
    if analysis:
        size = int(analysis.get("log_size") or 0)
        if not 0 < size <= state.size:
            raise LogMismatch(None, f"conversation.json: its analysis is of {size} entries, the log has {state.size}")
        recomputed = results.get(("analysis", size))
        given = analysis.get("results")
        if not isinstance(given, dict) or recomputed is None or findings(recomputed) != findings(given):
            where = _first_difference(given, recomputed)
            raise LogMismatch(
                size - 1,
                f"conversation.json's analysis (of the first {size} entries) is not what those entries "
                f"give: it differs at {where}",
            )
        checked.analysis = size
    published = (summary.get("analysis") or {}).get("results")
    try:
        parsed = read_conversation_results(published) if isinstance(published, dict) else None
    except (KeyError, TypeError, ValueError) as error:
        raise LogMismatch(None, f"conversation.json's analysis cannot be read ({error})") from None
    groups = {number: group.id for group in (parsed.groups if parsed else []) for number in group.participants}
    checked.files = _check_files(folder, summary, state, groups)
    return checked


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputFileError(f"{path}: not JSON ({error})") from None
    if not isinstance(value, dict):
        raise InputFileError(f"{path}: not a JSON object")
    return value


def _entries(path: Path) -> Iterator[tuple[dict[str, Any], bytes]]:
    """Each line as an entry, checked to be canonical, numbered and chained; with its leaf hash."""
    prev = GENESIS_PREV
    with open(path, "rb") as handle:
        for number, line in enumerate(handle):
            if not line.endswith(b"\n"):
                raise LogMismatch(number, f"{LOG_FILE} line {number + 1} does not end in a newline: cut short")
            data = line[:-1]
            try:
                entry = parse(data)
            except EntryError as error:
                raise LogMismatch(number, f"{LOG_FILE} line {number + 1} is not an entry: {error}") from None
            if entry.get("seq") != number:
                raise LogMismatch(
                    number,
                    f"{LOG_FILE} line {number + 1} holds entry {entry.get('seq')}: entries were removed or moved",
                )
            if entry.get("prev") != prev:
                raise LogMismatch(
                    number - 1 if number else 0,
                    f"its hash is {prev[:16]}…, but entry {number} says the entry before it hashes to "
                    f"{str(entry.get('prev'))[:16]}…: entry {number - 1} was changed",
                )
            leaf = leaf_hash(data)
            prev = leaf.hex()
            yield entry, leaf


def _check_key(state: Replayed, expected: str | None) -> None:
    if expected is not None and VerifierKey.parse(expected) != VerifierKey.parse(state.key):
        raise LogMismatch(0, f"it commits the key {state.key}, not the expected {expected}")


def _check_checkpoint(path: Path, state: Replayed, frontier: Frontier) -> None:
    try:
        key = VerifierKey.parse(state.key)
        checkpoint = read_checkpoint(path.read_text(encoding="utf-8"), key)
    except CheckpointError as error:
        raise LogMismatch(None, f"{CHECKPOINT_FILE}: {error}") from None
    if checkpoint.origin != state.origin:
        raise LogMismatch(0, f"it names the log {state.origin}; {CHECKPOINT_FILE} is of {checkpoint.origin}")
    if checkpoint.size > state.size:
        raise LogMismatch(
            state.size,
            f"missing: the log ends after {state.size} entries, the signed checkpoint covers {checkpoint.size} "
            f"(entries {state.size} … {checkpoint.size - 1} were cut off)",
        )
    if checkpoint.size < state.size:
        raise LogMismatch(
            checkpoint.size, f"not covered by the signed checkpoint, which is of the first {checkpoint.size} entries"
        )
    if frontier.root() != checkpoint.root:
        raise LogMismatch(
            state.size - 1,
            "the entries do not hash to the signed checkpoint's root: this entry (the last) was changed, "
            "or a run of entries before it was rewritten with their links",
        )


def _analysis_of(state: Replayed) -> dict[str, Any] | None:
    participant, statement, vote, time, _ = state.vote_columns()
    inputs = AnalysisInputs(
        state.size,
        participant,
        statement,
        vote,
        time,
        [StatementState(s.number, s.text, s.status, s.is_proposal) for _, s in sorted(state.statements.items())],
        state.settings["topic"],
        list(state.settings["attributes"]),
        {n: answers for n, answers in state.participants.items() if answers} if state.settings["attributes"] else {},
        state.rule(),
        dict(state.blocs),
    )
    computed = compute(inputs)
    return json.loads(json.dumps(computed.results)) if computed is not None else None


def _budget_of(state: Replayed) -> dict[str, Any] | None:
    if state.budget is None or not state.projects or not state.ballots:
        return None
    projects = [
        ProjectRow(number, fields["code"], fields["name"], fields["cost"])
        for number, fields in sorted(state.projects.items())
    ]
    ballots = [
        (list(ballot["projects"]), ballot["attributes"], state.participants.get(participant, {}))
        for participant, ballot in state.ballots.items()
    ]
    return json.loads(json.dumps(report_of(voters_of(state.budget["amount"], projects, ballots), projects)))


RECOMPUTE = {"analysis": _analysis_of, "budget": _budget_of}


def _results_at(path: Path, wanted: set[tuple[str, int]]) -> dict[tuple[str, int], dict[str, Any] | None]:
    """The analysis or budget outcome of each of these log prefixes, in one pass over the log."""
    found: dict[tuple[str, int], dict[str, Any] | None] = {}
    if not wanted:
        return found
    at: dict[int, set[str]] = {}
    for of, size in wanted:
        at.setdefault(size, set()).add(of)
    state = Replayed()
    for entry, _ in _entries(path):
        for of in sorted(at.get(entry["seq"], ())):
            found[(of, entry["seq"])] = RECOMPUTE[of](state) if of in RECOMPUTE else None
        state.apply(entry)
    for of in sorted(at.get(state.size, ())):
        found[(of, state.size)] = RECOMPUTE[of](state) if of in RECOMPUTE else None
    return found


def _first_difference(given: Any, computed: Any, path: str = "results") -> str:
    if path == "results" and isinstance(given, dict) and isinstance(computed, dict):
        given, computed = findings(given), findings(computed)
    if type(given) is not type(computed):
        return f"{path} ({json.dumps(given)[:60]} ≠ {json.dumps(computed)[:60]})"
    if isinstance(given, dict):
        for key in sorted(set(given) | set(computed)):
            if given.get(key) != computed.get(key):
                return _first_difference(given.get(key), computed.get(key), f"{path}.{key}")
    if isinstance(given, list):
        if len(given) != len(computed):
            return f"{path} (a list of {len(given)}, the log gives {len(computed)})"
        for index, (a, b) in enumerate(zip(given, computed)):
            if a != b:
                return _first_difference(a, b, f"{path}[{index}]")
    return f"{path} ({json.dumps(given)[:60]} ≠ {json.dumps(computed)[:60]})"


def _check_files(folder: Path, summary: dict[str, Any], state: Replayed, groups: dict[int, int]) -> list[str]:
    settings = state.settings
    for name, logged in (("topic", settings["topic"]), ("description", settings["description"])):
        if summary.get(name) != logged:
            raise LogMismatch(None, f"conversation.json's {name} is not the log's ({logged[:60]!r})")
    given = summary.get("settings") or {}
    for name in ("moderation", "access", "participants_can_write", "max_statement_length", "attributes"):
        if name in given and given[name] != settings[name]:
            raise LogMismatch(
                None, f"conversation.json's setting {name} is {given[name]!r}; the log says {settings[name]!r}"
            )
    if "is_open" in given and given["is_open"] != settings["open"]:
        raise LogMismatch(
            None,
            f"conversation.json says the conversation is {'open' if given['is_open'] else 'closed'}; the log does not",
        )
    participant, statement, vote, time, entry = state.vote_columns()
    statements = [
        ExportedStatement(s.number, s.text, s.author, MODERATED[s.status], timestamp=s.created)
        for s in state.statements.values()
    ]
    listed = set(summary.get("files") or CHECKED_FILES)
    checked = []
    with TemporaryDirectory() as tmp:
        written = write_export(
            tmp,
            VoteEvents(participant, statement, vote, time),
            statements,
            topic=settings["topic"],
            description=settings["description"],
            groups=groups,
        )
        accepted = [
            (t.subject, t.statement, t.language, t.text, t.original)
            for t in state.translations.values()
            if t.status == TranslationStatus.ACCEPTED
        ]
        texts = [(s.number, s.language, s.text) for s in state.statements.values()]
        write_translations(
            Path(tmp, TRANSLATIONS),
            text_rows(settings["topic"], settings["description"], settings["language"], texts, accepted),
        )
        written.append(TRANSLATIONS)
        for name in CHECKED_FILES:
            if name not in listed:
                continue
            if not (folder / name).is_file():
                raise LogMismatch(None, f"{name} is missing from the export")
            if name not in written:
                raise LogMismatch(None, f"{name} is in the export, but the log's votes make no such table")
            _compare(folder / name, Path(tmp, name), name, state, entry)
            checked.append(name)
    return checked


def _compare(given: Path, expected: Path, name: str, state: Replayed, vote_entries: np.ndarray) -> None:
    with open(given, "rb") as a, open(expected, "rb") as b:
        for line, (found, wanted) in enumerate(_pairs(a, b), start=1):
            if found == wanted:
                continue
            entry = _entry_of_line(name, line, wanted or found or b"", state, vote_entries)
            said = found.decode("utf-8", "replace").rstrip("\r\n") if found else "nothing (the file ends)"
            logged = wanted.decode("utf-8", "replace").rstrip("\r\n") if wanted else "no such line"
            raise LogMismatch(entry, f"{name} line {line} is {said!r}; the log says {logged!r}")


def _pairs(a, b) -> Iterator[tuple[bytes | None, bytes | None]]:
    while True:
        x, y = a.readline() or None, b.readline() or None
        if x is None and y is None:
            return
        yield x, y


def _entry_of_line(name: str, line: int, text: bytes, state: Replayed, vote_entries: np.ndarray) -> int | None:
    """The log entry a line of an export file comes from, where one does."""
    row = line - 2  # after the header
    if name == "votes.csv":
        return int(vote_entries[min(row, len(vote_entries) - 1)]) if len(vote_entries) and row >= 0 else None
    if name == "comments.csv" and row >= 0:
        ordered = sorted(state.statements)
        return state.statements[ordered[min(row, len(ordered) - 1)]].entry if ordered else None
    if name == "participants-votes.csv" and row >= 0:
        first = text.split(b",", 1)[0]
        if first.isdigit():
            number = int(first)
            entries = [entry for participant, _, _, _, entry in state.votes if participant == number]
            return entries[-1] if entries else None
    return None
