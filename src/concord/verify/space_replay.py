"""Reading a space's log back: its settings (where it sits, its name, and what weighs it as a place),
the proposals it put to the places below, and the tallies those places reported (the latest per place).
The space's counterpart of :mod:`concord.verify.replay`, with no database: ``concord verify`` recomputes
a space's roll-ups from this alone.

Every entry is checked as it is applied; one that does not fit what came before it (a tally on a
proposal never put, a negative count) is a :class:`LogMismatch` naming it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from concord.verify.replay import LogMismatch, apply_entry


@dataclass(frozen=True)
class ReplayedProposal:
    number: int
    text: str
    place_rule: dict[str, Any]  # as logged: its parameters' fractions as decimal text
    entry: int


@dataclass(frozen=True)
class ReplayedTally:
    agree: int
    disagree: int
    note: str
    time: int
    entry: int


@dataclass
class ReplayedSpaceTranslation:
    subject: str  # "name" or "description"
    language: str
    text: str
    original: str
    status: str


@dataclass
class ReplayedSpace:
    """A space's log read up to some entry."""

    origin: str = ""
    key: str = ""
    size: int = 0
    settings: dict[str, Any] = field(default_factory=dict)  # path, parent, name, …, weight, population
    settings_entry: int = 0  # the entry that last set them
    proposals: dict[int, ReplayedProposal] = field(default_factory=dict)
    tallies: dict[tuple[int, str], ReplayedTally] = field(default_factory=dict)  # (proposal, place path)
    translations: dict[int, ReplayedSpaceTranslation] = field(default_factory=dict)  # of its name, description

    def apply(self, entry: dict[str, Any]) -> None:
        self.size = apply_entry(self, entry, _APPLY, " in a space's log")

    def number(self, name: str) -> float | None:
        """A weight or population as the float it was logged as (decimal text), or None."""
        value = self.settings.get(name)
        return None if value is None else float(value)


def _log(state: ReplayedSpace, entry: dict[str, Any]) -> None:
    if entry["seq"] != 0:
        raise LogMismatch(entry["seq"], "a second 'log' entry")
    if "space" not in entry or "conversation" in entry:
        raise LogMismatch(0, "this is not a space's log")
    state.origin, state.key = entry["origin"], entry["key"]


def _space(state: ReplayedSpace, entry: dict[str, Any]) -> None:
    keys = ("path", "parent", "name", "description", "language", "rule", "weight", "population")
    state.settings = {key: entry[key] for key in keys}
    state.settings_entry = entry["seq"]


def _proposal(state: ReplayedSpace, entry: dict[str, Any]) -> None:
    number = int(entry["proposal"])
    if not isinstance(entry["place_rule"], dict) or not isinstance(entry["text"], str):
        raise LogMismatch(entry["seq"], f"proposal {number} has no text or no rule across places")
    state.proposals[number] = ReplayedProposal(number, entry["text"], entry["place_rule"], entry["seq"])


def _tally(state: ReplayedSpace, entry: dict[str, Any]) -> None:
    number, agree, disagree = int(entry["proposal"]), entry["agree"], entry["disagree"]
    if number not in state.proposals:
        raise LogMismatch(entry["seq"], f"a tally on proposal {number}, never put")
    if not all(isinstance(count, int) and not isinstance(count, bool) and count >= 0 for count in (agree, disagree)):
        raise LogMismatch(entry["seq"], "a tally's counts are whole numbers from 0")
    state.tallies[number, str(entry["place"])] = ReplayedTally(
        agree, disagree, str(entry["note"]), int(entry["time"]), entry["seq"]
    )


def _translation(state: ReplayedSpace, entry: dict[str, Any]) -> None:
    """A translation of the space's name or description as it was then; accepting one replaces the one
    accepted before in that language."""
    subject = entry["subject"]
    if subject not in ("name", "description"):
        raise LogMismatch(entry["seq"], f"a translation of a space's {subject!r}: only its name and description are")
    if entry["original"] != state.settings.get(subject):
        raise LogMismatch(entry["seq"], f"a translation of a {subject} the space does not have")
    number = int(entry["translation"])
    new = ReplayedSpaceTranslation(subject, entry["language"], entry["text"], entry["original"], entry["status"])
    if new.status == "accepted":
        for other_number, other in state.translations.items():
            same = (other.subject, other.language, other.status) == (subject, new.language, "accepted")
            if other_number != number and same:
                other.status = "replaced"
    state.translations[number] = new


_APPLY = {"log": _log, "space": _space, "proposal": _proposal, "tally": _tally, "space-translation": _translation}
