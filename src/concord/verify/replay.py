"""Reading a conversation's log back into what it says: settings, participants, statements with their
moderation, translations, votes in order, a budget with its projects and ballots, and the published
outcomes. The reverse of :mod:`concord.ledger.events`, with no database: ``concord verify`` rebuilds an
export's files and recomputes its results from this alone.

Every entry is checked as it is applied; an entry that does not fit what came before it (a vote by
someone who never joined, on a statement never written, an answer published beside fewer participants
than share it must be) is a :class:`LogMismatch` naming it.

A participant's answers are what the log has published of them: the ``attributes`` of an older log's
``participant`` entries (published there, as format 1 was first written), and the ``declared`` entries
that publish an answer once enough participants share it (:mod:`concord.service.participation.declared`). They are all
an analysis or a budget's fairness report reads of anyone's answers, on the server as here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from concord.engine.decisions import RULES
from concord.report.anonymity import K
from concord.states import BlocVerdict, StatementStatus, TranslationStatus


class LogMismatch(Exception):
    """The first entry (or file line) that does not match; ``entry`` is its number in the log."""

    def __init__(self, entry: int | None, message: str) -> None:
        super().__init__(f"entry {entry}: {message}" if entry is not None else message)
        self.entry = entry


@dataclass
class ReplayedStatement:
    number: int
    text: str
    language: str
    author: int | None
    seed: bool
    status: StatementStatus
    is_proposal: bool
    created: int
    entry: int  # the entry that last changed it


@dataclass
class ReplayedTranslation:
    subject: str
    statement: int | None
    language: str
    text: str
    original: str
    status: str


@dataclass
class Outcome:
    entry: int
    of: str
    upto: int
    digest: str


@dataclass
class Replayed:
    """A conversation's log read up to some entry."""

    origin: str = ""
    key: str = ""
    conversation: str = ""
    size: int = 0  # entries applied
    settings: dict[str, Any] = field(default_factory=dict)
    participants: dict[int, dict[str, Any]] = field(default_factory=dict)  # number → their published answers
    sharing: Counter[tuple[str, str]] = field(default_factory=Counter)  # (attribute, answer) → how many publish it
    statements: dict[int, ReplayedStatement] = field(default_factory=dict)
    moderation: list[tuple[int, int, str, str]] = field(default_factory=list)  # entry, statement, status, reason
    translations: dict[int, ReplayedTranslation] = field(default_factory=dict)
    votes: list[tuple[int, int, int, int, int]] = field(
        default_factory=list
    )  # participant, statement, vote, time, entry
    budget: dict[str, Any] | None = None
    projects: dict[int, dict[str, Any]] = field(default_factory=dict)
    # Translations of the budget's and its projects' names and descriptions, by number, as logged.
    budget_translations: dict[int, dict[str, Any]] = field(default_factory=dict)
    ballots: dict[int, dict[str, Any]] = field(default_factory=dict)  # participant → ballot entry
    outcomes: list[Outcome] = field(default_factory=list)
    blocs: dict[int, str] = field(default_factory=dict)  # participant → the latest bloc verdict naming them

    def apply(self, entry: dict[str, Any]) -> None:
        self.size = apply_entry(self, entry, _APPLY, "")

    def vote_columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """participant, statement, vote, time, entry: the vote events in log order."""
        if not self.votes:
            return tuple(np.zeros(0, np.int64) for _ in range(5))  # type: ignore[return-value]
        columns = np.array(self.votes, dtype=np.int64)
        return columns[:, 0], columns[:, 1], columns[:, 2], columns[:, 3], columns[:, 4]

    def rule(self) -> dict[str, Any]:
        """The decision rule in force, its parameters read back as the numbers they were."""
        logged = self.settings["rule"]
        declared = RULES[logged["name"]].parameters if logged["name"] in RULES else {}
        parameters = {}
        for name, value in logged["parameters"].items():
            param = declared.get(name)
            if isinstance(value, str) and param is not None and param.kind in (int, float):
                value = param.kind(float(value)) if param.kind is int else float(value)
            parameters[name] = value
        return {"name": logged["name"], "parameters": parameters}


def _log(state: Replayed, entry: dict[str, Any]) -> None:
    if entry["seq"] != 0:
        raise LogMismatch(entry["seq"], "a second 'log' entry")
    state.origin, state.key = entry["origin"], entry["key"]
    state.conversation = entry.get("conversation", "")


def _conversation(state: Replayed, entry: dict[str, Any]) -> None:
    keys = ("topic", "description", "language", "moderation", "access", "participants_can_write",
            "max_statement_length", "attributes", "open", "rule")  # fmt: skip
    state.settings = {key: entry[key] for key in keys}
    state.settings["closes"] = entry.get("closes")  # absent from logs written before it existed
    state.settings["outcome"] = str(entry.get("outcome") or "")


def _participant(state: Replayed, entry: dict[str, Any]) -> None:
    number = int(entry["participant"])
    if "attributes" not in entry:  # a participant joined: nothing of them is published here
        state.participants.setdefault(number, {})
        return
    answers = dict(entry["attributes"])  # an older log: every answer, replacing those before
    _publish(state, number, answers)


def _publish(state: Replayed, number: int, answers: dict[str, Any]) -> None:
    """Set a participant's published answers, keeping the count of each published answer."""
    state.sharing.subtract(_texts(state.participants.get(number, {})))
    state.sharing.update(_texts(answers))
    state.participants[number] = answers


def _texts(answers: dict[str, Any]) -> list[tuple[str, str]]:
    return [(name, given) for name, given in answers.items() if isinstance(given, str)]


def _declared(state: Replayed, entry: dict[str, Any]) -> None:
    attribute, value, numbers = entry["attribute"], entry["value"], [int(n) for n in entry["participants"]]
    if not isinstance(attribute, str) or not (value is None or isinstance(value, str)) or not numbers:
        raise LogMismatch(entry["seq"], "a declared entry names a question, an answer (or null) and participants")
    unknown = [number for number in numbers if number not in state.participants]
    if unknown:
        raise LogMismatch(entry["seq"], f"an answer published for participant {unknown[0]}, who never joined")
    for number in numbers:
        answers = {name: given for name, given in state.participants[number].items() if name != attribute}
        _publish(state, number, answers if value is None else {**answers, attribute: value})
    if value is not None and state.sharing[attribute, value] < K:
        raise LogMismatch(
            entry["seq"],
            f"it publishes an answer to {attribute!r} beside {state.sharing[attribute, value]} participant(s): "
            f"an answer is published only once at least {K} participants share it",
        )


def _statement(state: Replayed, entry: dict[str, Any]) -> None:
    author = entry["author"]
    if author is not None and author not in state.participants:
        raise LogMismatch(entry["seq"], f"statement {entry['statement']} by participant {author}, who never joined")
    state.statements[int(entry["statement"])] = ReplayedStatement(
        int(entry["statement"]),
        entry["text"],
        entry["language"],
        author,
        bool(entry["seed"]),
        StatementStatus(entry["status"]),
        bool(entry["proposal"]),
        int(entry["created"]),
        entry["seq"],
    )


def _moderation(state: Replayed, entry: dict[str, Any]) -> None:
    number = int(entry["statement"])
    if number not in state.statements:
        raise LogMismatch(entry["seq"], f"a moderation decision on statement {number}, never written")
    status = StatementStatus(entry["status"])
    state.statements[number].status = status
    state.statements[number].entry = entry["seq"]
    state.moderation.append((entry["seq"], number, status, entry["reason"]))


def _translation(state: Replayed, entry: dict[str, Any]) -> None:
    statement = entry["statement"]
    if entry["subject"] == "statement" and statement not in state.statements:
        raise LogMismatch(entry["seq"], f"a translation of statement {statement}, never written")
    translation = ReplayedTranslation(
        entry["subject"], statement, entry["language"], entry["text"], entry["original"], entry["status"]
    )
    state.translations[int(entry["translation"])] = translation
    if translation.status == TranslationStatus.ACCEPTED:
        _replace_others(state, int(entry["translation"]))


def _replace_others(state: Replayed, accepted: int) -> None:
    """At most one accepted translation of a text in a language: accepting one replaces the other."""
    new = state.translations[accepted]
    for number, other in state.translations.items():
        same_text = (other.subject, other.statement, other.language) == (new.subject, new.statement, new.language)
        if number != accepted and same_text and other.status == TranslationStatus.ACCEPTED:
            other.status = TranslationStatus.REPLACED


def _translation_decision(state: Replayed, entry: dict[str, Any]) -> None:
    number = int(entry["translation"])
    if number not in state.translations:
        raise LogMismatch(entry["seq"], f"a decision on translation {number}, never offered")
    state.translations[number].status = entry["status"]
    if entry["status"] == TranslationStatus.ACCEPTED:
        _replace_others(state, number)


def _vote(state: Replayed, entry: dict[str, Any]) -> None:
    participant, statement, value = int(entry["participant"]), int(entry["statement"]), int(entry["vote"])
    if participant not in state.participants:
        raise LogMismatch(entry["seq"], f"a vote by participant {participant}, who never joined")
    if statement not in state.statements:
        raise LogMismatch(entry["seq"], f"a vote on statement {statement}, never written")
    if value not in (-1, 0, 1):
        raise LogMismatch(entry["seq"], f"a vote of {value}: votes are 1, -1 or 0")
    state.votes.append((participant, statement, value, int(entry["time"]), entry["seq"]))


def _bloc(state: Replayed, entry: dict[str, Any]) -> None:
    verdict = BlocVerdict(entry["verdict"])
    unknown = [number for number in entry["participants"] if number not in state.participants]
    if unknown:
        raise LogMismatch(entry["seq"], f"a bloc decision on participant {unknown[0]}, who never joined")
    state.blocs |= {int(number): str(verdict) for number in entry["participants"]}


def _import(state: Replayed, entry: dict[str, Any]) -> None:
    if not isinstance(entry["files"], dict):
        raise LogMismatch(entry["seq"], "an import entry names its files")


def _budget(state: Replayed, entry: dict[str, Any]) -> None:
    state.budget = {key: value for key, value in entry.items() if key not in ("seq", "prev", "type", "time")}


def _project(state: Replayed, entry: dict[str, Any]) -> None:
    if state.budget is None:
        raise LogMismatch(entry["seq"], "a project before the budget")
    fields = {key: value for key, value in entry.items() if key not in ("seq", "prev", "type", "time", "project")}
    state.projects[int(entry["project"])] = fields


def _project_removed(state: Replayed, entry: dict[str, Any]) -> None:
    if state.projects.pop(int(entry["project"]), None) is None:
        raise LogMismatch(entry["seq"], f"project {entry['project']} removed, never added")


def _budget_translation(state: Replayed, entry: dict[str, Any]) -> None:
    """A translation of the budget's or a project's name or description as it was then; accepting one
    replaces the one accepted before of that text in that language."""
    subject, project = entry["subject"], entry["project"]
    if subject not in ("name", "description"):
        raise LogMismatch(entry["seq"], f"a translation of a budget's {subject!r}: only names and descriptions are")
    if project is None:
        if state.budget is None:
            raise LogMismatch(entry["seq"], "a translation before the budget")
        fields = state.budget
    else:
        if int(project) not in state.projects:
            raise LogMismatch(entry["seq"], f"a translation of project {project}, not in the budget")
        fields = state.projects[int(project)]
    if entry["original"] != fields.get(subject):
        raise LogMismatch(entry["seq"], f"a translation of a {subject} the budget does not have")
    number = int(entry["translation"])
    if entry["status"] == TranslationStatus.ACCEPTED:
        for other_number, other in state.budget_translations.items():
            same = (other["project"], other["subject"], other["language"]) == (project, subject, entry["language"])
            if other_number != number and same and other["status"] == TranslationStatus.ACCEPTED:
                other["status"] = TranslationStatus.REPLACED
    state.budget_translations[number] = {
        key: entry[key] for key in ("project", "subject", "language", "text", "original", "status")
    }


def _ballot(state: Replayed, entry: dict[str, Any]) -> None:
    participant = int(entry["participant"])
    if participant not in state.participants:
        raise LogMismatch(entry["seq"], f"a ballot by participant {participant}, who never joined")
    unknown = [number for number in entry["projects"] if number not in state.projects]
    if unknown:
        raise LogMismatch(entry["seq"], f"a ballot for project {unknown[0]}, not in the budget")
    state.ballots[participant] = entry


def _outcome(state: Replayed, entry: dict[str, Any]) -> None:
    if not 0 < int(entry["upto"]) <= entry["seq"]:
        raise LogMismatch(entry["seq"], "an outcome of entries that come after it")
    state.outcomes.append(Outcome(entry["seq"], entry["of"], int(entry["upto"]), entry["digest"]))


_APPLY = {
    "log": _log,
    "conversation": _conversation,
    "participant": _participant,
    "declared": _declared,
    "statement": _statement,
    "moderation": _moderation,
    "translation": _translation,
    "translation-decision": _translation_decision,
    "budget-translation": _budget_translation,
    "vote": _vote,
    "bloc": _bloc,
    "import": _import,
    "budget": _budget,
    "project": _project,
    "project-removed": _project_removed,
    "ballot": _ballot,
    "outcome": _outcome,
}


def apply_entry(state: Any, entry: dict[str, Any], handlers: dict[str, Any], where: str) -> int:
    """Apply one entry to a log's state with the handler of its type; the state's size after it. Any
    entry that cannot be read is a :class:`LogMismatch` naming it (``where``: which kind of log)."""
    seq, kind = entry["seq"], entry.get("type")
    if seq == 0 and kind != "log":
        raise LogMismatch(0, "a log starts with its 'log' entry")
    apply = handlers.get(kind) if isinstance(kind, str) else None
    if apply is None:
        raise LogMismatch(seq, f"unknown entry type {kind!r}{where}")
    try:
        apply(state, entry)
    except LogMismatch:
        raise
    except (KeyError, TypeError, ValueError) as error:
        raise LogMismatch(seq, f"a {kind} entry that cannot be read ({type(error).__name__}: {error})") from None
    return seq + 1


def replay(entries: Iterable[dict[str, Any]]) -> Replayed:
    state = Replayed()
    for entry in entries:
        state.apply(entry)
    return state
