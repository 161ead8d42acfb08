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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import numpy as np

from concord.engine.decisions import (
    MAX_DEPTH,
    PLACE_RULES,
    Place,
    PlaceRule,
    Result,
    RollupOutcome,
    RuleParameterError,
    make_place_rule,
    reported,
)
from concord.formats.errors import InputFileError
from concord.formats.polis import Statement as ExportedStatement
from concord.formats.polis import VoteEvents
from concord.formats.polis_writer import write_export
from concord.formats.translations import TRANSLATIONS, text_rows, write_translations
from concord.ledger.checkpoints import CheckpointError, VerifierKey, read_checkpoint
from concord.ledger.entries import GENESIS_PREV, EntryError, digest, parse
from concord.ledger.files import CHECKPOINT_FILE, LOG_FILE
from concord.ledger.merkle import Frontier, leaf_hash
from concord.report.budgets import ProjectRow, report_of, voters_of
from concord.report.contract import read_conversation_results
from concord.report.conversation_analysis import (
    AnalysisInputs,
    StatementState,
    compute,
    findings,
    results_digest,
)
from concord.report.decisions import rollup_json
from concord.states import StatementStatus, TranslationStatus
from concord.verify.replay import LogMismatch, Replayed
from concord.verify.space_replay import ReplayedProposal, ReplayedSpace

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
            found = results_digest(computed["results"]) if outcome.of == "analysis" else digest(computed)
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
        if not isinstance(given, dict) or recomputed is None or findings(recomputed["results"]) != findings(given):
            where = _first_difference(given, recomputed["results"] if recomputed else None)
            raise LogMismatch(
                size - 1,
                f"conversation.json's analysis (of the first {size} entries) is not what those entries "
                f"give: it differs at {where}",
            )
        if analysis.get("placements") != recomputed["placements"]:
            where = _first_difference(analysis.get("placements"), recomputed["placements"], "placements")
            raise LogMismatch(
                size - 1,
                f"conversation.json's placements (of the first {size} entries) are not what those entries "
                f"give: they differ at {where}",
            )
        checked.analysis = size
    published = (summary.get("analysis") or {}).get("results")
    try:
        parsed = read_conversation_results(published) if isinstance(published, dict) else None
    except (KeyError, TypeError, ValueError) as error:
        raise LogMismatch(None, f"conversation.json's analysis cannot be read ({error})") from None
    placed = (summary.get("analysis") or {}).get("placements") if parsed else None
    groups = {int(n): int(g) for n, g in zip(placed["participants"], placed["group"]) if g >= 0} if placed else {}
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


def _check_key(state: Replayed | ReplayedSpace, expected: str | None) -> None:
    if expected is not None and VerifierKey.parse(expected) != VerifierKey.parse(state.key):
        raise LogMismatch(0, f"it commits the key {state.key}, not the expected {expected}")


def _check_checkpoint(path: Path, state: Replayed | ReplayedSpace, frontier: Frontier) -> None:
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
    """The log's analysis as stored and exported: ``{"results", "placements"}`` (every participant's
    place and group, which the results carry binned), as JSON reads them."""
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
    if computed is None:
        return None
    return {"results": json.loads(json.dumps(computed.results)), "placements": computed.placements.as_json()}


def _budget_of(state: Replayed) -> dict[str, Any] | None:
    if state.budget is None or not state.projects or not state.ballots:
        return None
    projects = [
        ProjectRow(number, fields["code"], fields["name"], fields["cost"])
        for number, fields in sorted(state.projects.items())
    ]
    ballots = [
        (list(ballot["projects"]), ballot["points"], ballot["attributes"], state.participants.get(participant, {}))
        for participant, ballot in state.ballots.items()
    ]
    vote_type = state.budget["ballot"].get("type", "approval")
    voters = voters_of(state.budget["amount"], projects, ballots, vote_type)
    return json.loads(json.dumps(report_of(voters, projects)))


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
    if "closes_ms" in given and given["closes_ms"] != settings["closes"]:
        raise LogMismatch(
            None, f"conversation.json's closing time is {given['closes_ms']!r}; the log says {settings['closes']!r}"
        )
    if summary.get("outcome", "") != settings["outcome"]:
        raise LogMismatch(None, f"conversation.json's outcome is not the log's ({settings['outcome'][:60]!r})")
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


# --- which record: a conversation's, a budget's or a space's ----------------------------------------

BUDGET_FILE = "budget.json"
SPACE_FILE = "space.json"
PlaceExport = Callable[[str], "Path | str"]  # a conversation's id → its export folder, or why there is none


def record_kind(folder: str | Path) -> str:
    """ "space", "budget" or "conversation": which record a folder holds (by the summary file it carries)."""
    folder = Path(folder)
    for name, kind in ((SPACE_FILE, "space"), (BUDGET_FILE, "budget"), ("conversation.json", "conversation")):
        if (folder / name).is_file():
            return kind
    raise InputFileError(
        f"{folder}: not a record to verify (no conversation.json, budget.json or space.json): download it "
        "from the conversation's results page, the budget's page or the space's page"
    )


def _replayed(path: Path) -> Replayed:
    state = Replayed()
    for entry, _ in _entries(path):
        state.apply(entry)
    return state


# --- a budget's record -------------------------------------------------------------------------------


@dataclass
class BudgetVerified:
    """What was checked of a budget's record."""

    budget: str
    conversation: Verified  # its conversation's export, checked as any
    outcome: bool  # it publishes an outcome, which recomputes (False: nothing to decide yet, and none given)
    parts: list[str] = field(default_factory=list)  # the budgets it was split into: each a record of its own


def verify_budget_export(folder: str | Path, expected_key: str | None = None) -> BudgetVerified:
    """A budget's record: its conversation's export checked as any (the log holds the budget, its
    projects and every ballot), then budget.json's outcome recomputed from the ballots of the log (each
    voter's latest), byte for byte, while voting goes on as after it closed."""
    folder = Path(folder)
    conversation = verify_export(folder, expected_key)
    summary = _read_json(folder / BUDGET_FILE)
    state = _replayed(folder / LOG_FILE)
    logged = state.budget or {}
    if summary.get("budget") != logged.get("budget"):
        raise LogMismatch(
            None, f"{BUDGET_FILE} is of budget {summary.get('budget')!r}; the log holds {logged.get('budget')!r}"
        )
    if (summary.get("log") or {}).get("size") != state.size:
        raise LogMismatch(
            None,
            f"{BUDGET_FILE} is of a log of {(summary.get('log') or {}).get('size')} entries; the log has {state.size}",
        )
    published, computed = summary.get("outcome"), _budget_of(state)
    if (published is None) != (computed is None) or (computed is not None and digest(published) != digest(computed)):
        where = (
            "the outcome"
            if published is None or computed is None
            else _first_difference(published, computed, "outcome")
        )
        raise LogMismatch(
            state.size - 1,
            f"{BUDGET_FILE}'s outcome is not what the ballots of the log's {state.size} entries give: "
            f"it differs at {where}",
        )
    parts = [str(part.get("budget")) for part in summary.get("parts") or []]
    return BudgetVerified(str(logged.get("budget")), conversation, computed is not None, parts)


# --- a space's record --------------------------------------------------------------------------------


@dataclass
class SpaceVerified:
    """What was checked of a space's record, and what was taken on trust."""

    origin: str
    key: str
    entries: int
    places: int  # spaces below whose logs were checked (their names, weights and populations)
    proposals: int  # roll-ups recomputed
    tallies: int  # reported tallies, each checked against its entry
    conversations: list[str] = field(default_factory=list)  # places' decisions recomputed from their own logs
    trusted: list[str] = field(default_factory=list)


def _inside(folder: Path, name: Any) -> Path:
    """A file named in space.json, which must lie inside the record's folder."""
    parts = Path(str(name)).parts
    if not isinstance(name, str) or not parts or Path(name).is_absolute() or ".." in parts:
        raise InputFileError(f"{folder / SPACE_FILE}: {name!r} is not a file of the record")
    return folder / name


def _space_log(log: Path, checkpoint: Path, expected_key: str | None, where: str = "") -> ReplayedSpace:
    """A space's log checked as any log (canonical, chained, its checkpoint signed and covering it) and
    read back; ``where`` names it in a refusal when it is not the record's own log."""
    state, frontier = ReplayedSpace(), Frontier()
    try:
        if not log.is_file() or not checkpoint.is_file():
            raise InputFileError(f"{log.parent}: no {LOG_FILE} and {CHECKPOINT_FILE} of a space's log")
        for entry, leaf in _entries(log):
            state.apply(entry)
            frontier.append(leaf)
            if entry["seq"] == 0:
                _check_key(state, expected_key)
        _check_checkpoint(checkpoint, state, frontier)
    except LogMismatch as mismatch:
        if not where:
            raise
        raise LogMismatch(None, f"{where}: {mismatch}") from None
    return state


def _place_rule(logged: dict[str, Any]) -> PlaceRule:
    """A rule across places as its proposal's entry logs it (fractions as decimal text), made again."""
    declared = PLACE_RULES[logged["name"]].parameters if logged.get("name") in PLACE_RULES else {}
    parameters = {}
    for name, value in (logged.get("parameters") or {}).items():
        param = declared.get(name)
        if isinstance(value, str) and param is not None and param.kind in (int, float):
            value = param.kind(float(value)) if param.kind is int else float(value)
        parameters[name] = value
    return make_place_rule(str(logged.get("name")), parameters)


@dataclass
class _Space:
    """What the space's record says, with the logs read back, while its roll-ups are recomputed."""

    folder: Path
    log: ReplayedSpace
    places: dict[str, ReplayedSpace]  # path → the place's own log
    place_export: PlaceExport | None
    checked: SpaceVerified


def verify_space_export(
    folder: str | Path, expected_key: str | None = None, place_export: PlaceExport | None = None
) -> SpaceVerified:
    """A space's record: its log and the log of every space below checked as any log (signed by the same
    key), then every figure of space.json recomputed from them: the places below with their names,
    weights and populations (each from its own log), the tallies (each the latest its place reported,
    as the space's log holds it), and each proposal's roll-up at every level, from the tallies and, for
    a place decided in its own conversation, from that conversation's decision: recomputed from its log
    when ``place_export`` gives its export, else taken on trust (and said so)."""
    folder = Path(folder)
    summary = _read_json(folder / SPACE_FILE)
    log = _space_log(folder / LOG_FILE, folder / CHECKPOINT_FILE, expected_key)
    said = summary.get("space") or {}
    if said.get("path") != log.settings.get("path"):
        raise LogMismatch(
            log.settings_entry,
            f"{SPACE_FILE} is of the space {said.get('path')!r}; its log is of {log.settings.get('path')!r}",
        )
    checked = SpaceVerified(log.origin, log.key, log.size, 0, 0, 0)
    record = _Space(folder, log, {}, place_export, checked)
    for place in summary.get("places") or []:
        where = str(place.get("log"))
        found = _space_log(_inside(folder, place.get("log")), _inside(folder, place.get("checkpoint")), log.key, where)
        settings = found.settings
        for name in ("path", "parent", "name"):
            if place.get(name) != settings.get(name):
                raise LogMismatch(
                    None,
                    f"{where}: entry {found.settings_entry}: {SPACE_FILE} says its {name} is {place.get(name)!r}; "
                    f"its log says {settings.get(name)!r}",
                )
        for name in ("weight", "population"):
            if place.get(name) != found.number(name):
                raise LogMismatch(
                    None,
                    f"{where}: entry {found.settings_entry}: {SPACE_FILE} says its {name} is {place.get(name)!r}; "
                    f"its log says {found.number(name)!r}",
                )
        if not str(settings.get("path", "")).startswith(str(log.settings["path"]) + "/"):
            raise LogMismatch(
                None, f"{where}: the space {settings.get('path')!r} is not below {log.settings['path']!r}"
            )
        record.places[str(settings["path"])] = found
        checked.places += 1
    _check_tallies(record, summary.get("tallies") or [])
    published = {int(p.get("proposal", -1)): p for p in summary.get("proposals") or []}
    for number, proposal in sorted(log.proposals.items()):
        given = published.pop(number, None)
        if given is None:
            raise LogMismatch(proposal.entry, f"{SPACE_FILE} has no roll-up of proposal {number}, which the log holds")
        if given.get("text") != proposal.text:
            raise LogMismatch(proposal.entry, f"{SPACE_FILE}'s proposal {number} is not the text the log holds")
        _check_rollup(record, proposal, given.get("rollup") or {}, str(log.settings["path"]), 0)
        checked.proposals += 1
    if published:
        raise LogMismatch(None, f"{SPACE_FILE} rolls up proposal {min(published)}, which the log does not hold")
    if checked.places:
        checked.trusted.append(
            "that the spaces in this record are all the spaces below it (each space's log is listed in the "
            "server's /api/logs, which a witness watches)"
        )
    return checked


def _check_tallies(record: _Space, listed: list[dict[str, Any]]) -> None:
    """space.json's tallies are exactly the latest each place reported, as the space's log holds them."""
    logged = record.log.tallies
    seen = set()
    for tally in listed:
        key = (int(tally.get("proposal", -1)), str(tally.get("place")))
        found = logged.get(key)
        if found is None:
            raise LogMismatch(
                None, f"{SPACE_FILE} lists a tally of {key[1]} on proposal {key[0]} that the log does not hold"
            )
        given = (
            tally.get("agree"),
            tally.get("disagree"),
            tally.get("note"),
            tally.get("reported_ms"),
            tally.get("entry"),
        )
        if given != (found.agree, found.disagree, found.note, found.time, found.entry):
            raise LogMismatch(
                found.entry,
                f"{SPACE_FILE} says {key[1]} reported {tally.get('agree')} for and {tally.get('disagree')} against "
                f"proposal {key[0]}; the log says {found.agree} for and {found.disagree} against",
            )
        seen.add(key)
    for key, found in sorted(logged.items(), key=lambda item: item[1].entry):
        if key not in seen:
            raise LogMismatch(found.entry, f"{SPACE_FILE} leaves out the tally {key[1]} reported on proposal {key[0]}")
    record.checked.tallies = len(logged)


def _check_rollup(
    record: _Space, proposal: ReplayedProposal, node: dict[str, Any], above: str, depth: int
) -> RollupOutcome:
    """Recompute one roll-up (the places directly below ``above``) and compare it with space.json's."""
    below = {path: log for path, log in record.places.items() if log.settings.get("parent") == above}
    sources = node.get("sources") or []
    listed = [str(source.get("path")) for source in sources]
    at = f" at {above}" if depth else ""
    if sorted(listed) != sorted(below) or len(set(listed)) != len(listed):
        raise LogMismatch(
            proposal.entry,
            f"{SPACE_FILE}'s roll-up of proposal {proposal.number}{at} counts the places "
            f"{', '.join(listed) or 'none'}; "
            f"the logs of the spaces below give {', '.join(sorted(below)) or 'none'}",
        )
    names = [str(below[path].settings["name"]) for path in listed]
    shown = node.get("places") or []
    places = []
    for index, (path, source) in enumerate(zip(listed, sources)):
        log = below[path]
        plain = names[index]
        name = plain if names.count(plain) == 1 else f"{plain} ({path.rsplit('/', 1)[-1]})"
        weight, population = log.number("weight"), log.number("population")
        weight = 1.0 if weight is None else weight
        tally = record.log.tallies.get((proposal.number, path))
        kind = source.get("source")
        if tally is not None:
            if kind != "reported" or source.get("tally") != tally.entry:
                raise LogMismatch(
                    tally.entry,
                    f"{path} reported {tally.agree} for and {tally.disagree} against "
                    f"proposal {proposal.number}; {SPACE_FILE}'s roll-up does not count this tally",
                )
            places.append(reported(name, tally.agree, tally.disagree, weight=weight, population=population))
        elif kind == "reported":
            raise LogMismatch(
                proposal.entry,
                f"{SPACE_FILE}'s roll-up of proposal {proposal.number} counts a tally of {path} "
                "that the log does not hold",
            )
        elif any(other.settings.get("parent") == path for other in record.places.values()) and depth + 1 < MAX_DEPTH:
            if kind != "below" or not isinstance(source.get("below"), dict):
                raise LogMismatch(
                    proposal.entry,
                    f"{SPACE_FILE}'s roll-up of proposal {proposal.number} does not roll up the places inside {path}",
                )
            inner = _check_rollup(record, proposal, source["below"], path, depth + 1)
            places.append(inner.as_place(name, weight=weight, population=population))
        elif kind == "conversation":
            figures = shown[index] if index < len(shown) and isinstance(shown[index], dict) else {}
            try:
                decided = Place(name, Result(str(figures["outcome"])), int(figures["agree"]), int(figures["disagree"]),
                                weight, population, int(figures["participants"]))  # fmt: skip
            except (KeyError, TypeError, ValueError):
                raise LogMismatch(proposal.entry, f"{SPACE_FILE}: the decision of {path} cannot be read") from None
            _check_decision(record, proposal, path, source, decided)
            places.append(decided)
        elif kind == "silent":
            places.append(Place(name, None, weight=weight, population=population))
            if source.get("conversation"):
                record.checked.trusted.append(
                    f"that {path}'s conversation {source['conversation']} had decided nothing on proposal "
                    f"{proposal.number} yet"
                )
        else:
            raise LogMismatch(proposal.entry, f"{SPACE_FILE}: {path} is counted as {kind!r}, which no place is")
    try:
        computed = _place_rule(proposal.place_rule).decide(places)
    except (RuleParameterError, ValueError) as error:
        raise LogMismatch(
            proposal.entry, f"proposal {proposal.number}'s rule across places cannot be used: {error}"
        ) from None
    recomputed = json.loads(json.dumps(rollup_json(computed)))
    given = {key: value for key, value in node.items() if key != "sources"}
    if recomputed != given:
        raise LogMismatch(
            proposal.entry,
            f"{SPACE_FILE}'s roll-up of proposal {proposal.number}{at} ({given.get('outcome')}) is not what the "
            f"log's tallies and the places' decisions give ({recomputed['outcome']}): it differs at "
            f"{_first_difference(given, recomputed, 'rollup')}",
        )
    return computed


def _check_decision(
    record: _Space, proposal: ReplayedProposal, path: str, source: dict[str, Any], decided: Place
) -> None:
    """A place decided in its own conversation: its decision recomputed from that conversation's log (the
    analysis of the same first entries the roll-up used), when its export is at hand; else trusted."""
    conversation = str(source.get("conversation"))
    said = f"{decided.result} ({decided.agree} for, {decided.disagree} against)"
    export = record.place_export(conversation) if record.place_export is not None else "its export was not given"
    if isinstance(export, str):
        record.checked.trusted.append(f"{path}: the decision of its conversation {conversation}, {said} ({export})")
        return
    where = f"{path}'s conversation {conversation}"
    try:
        verify_export(export)
        upto, number = int(source.get("upto") or 0), int(source.get("statement", -1))
        state, results = _analysis_at(Path(export) / LOG_FILE, upto)
    except LogMismatch as mismatch:
        raise LogMismatch(None, f"{where}: {mismatch}") from None
    if state.conversation != conversation:
        raise LogMismatch(None, f"{where}: the export given is of the conversation {state.conversation}")
    statement = state.statements.get(number)
    if statement is None or statement.text != proposal.text or not statement.is_proposal:
        raise LogMismatch(None, f"{where}: entry {upto - 1}: its statement {number} is not proposal {proposal.number}")
    parsed = read_conversation_results(results) if results is not None else None
    found = next(
        (d for d in (parsed.decisions.proposals if parsed and parsed.decisions else []) if d.statement == number), None
    )
    recomputed = "nothing" if found is None else f"{found.outcome} ({found.agree} for, {found.disagree} against)"
    if (
        found is None
        or (found.outcome, found.agree, found.disagree) != (decided.result, decided.agree, decided.disagree)
        or decided.participants != found.agree + found.disagree
    ):
        raise LogMismatch(
            None,
            f"{where}: entry {upto - 1}: the roll-up of proposal {proposal.number} counts its decision as {said}; "
            f"its log's first {upto} entries give {recomputed}",
        )
    record.checked.conversations.append(conversation)


def _analysis_at(path: Path, upto: int) -> tuple[Replayed, dict[str, Any] | None]:
    """The log read up to its first ``upto`` entries, and the analysis of them."""
    state = Replayed()
    for entry, _ in _entries(path):
        if entry["seq"] == upto:
            break
        state.apply(entry)
    if not 0 < upto <= state.size:
        raise LogMismatch(None, f"an analysis of its first {upto} entries, but its log has {state.size}")
    computed = _analysis_of(state)
    return state, computed["results"] if computed is not None else None
