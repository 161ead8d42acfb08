"""The entry types of log format 1, one function each, from plain values (no database rows), so the
server, the imports, the migration that built the logs of older databases and the README's format
description all agree. :mod:`concord.verify.replay` reads them back.

A conversation's log (its budget's included) holds ``log`` (always entry 0), ``conversation``,
``participant``, ``declared``, ``statement``, ``moderation``, ``translation``, ``translation-decision``,
``vote``, ``bloc``, ``import``, ``budget``, ``project``, ``project-removed``, ``ballot`` and ``outcome``
entries; a space's log ``log``, ``space``, ``proposal`` and ``tally`` entries. A snapshot type
(``conversation``, ``participant``, ``statement``, ``translation``, ``budget``, ``project``, ``ballot``,
``space``) holds the whole of what it describes after the change, so a reader applies it by replacing.
Participants and statements are named by their numbers in the conversation (as in the Pol.is export),
never by who they are: no token, external id, pabulib voter id or moderator is logged.

A participant's declared answers (a village, a district) are never logged with them: beside a number
they would name the one person of a small village and, with it, every vote they cast. An answer is
published by a :func:`declared` entry, and only once enough participants share it
(:data:`concord.report.anonymity.K`); logs written before that rule (and those migration 0008 built)
carry the answers in their ``participant`` entries, which readers still take as published.

Numbers that are not whole (money, weights, coordinates) are logged as decimal text.
"""

from __future__ import annotations

from typing import Any

FORMAT = 1
Entry = dict[str, Any]


def decimal(value: float | None) -> str | None:
    """A float as the shortest text that reads back as the same float ("0.5"), None as None."""
    return None if value is None else repr(float(value))


def exact(value: Any) -> Any:
    """A JSON value with every float written as :func:`decimal` text (settings that may hold fractions)."""
    if isinstance(value, float):
        return decimal(value)
    if isinstance(value, dict):
        return {key: exact(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [exact(item) for item in value]
    return value


def log(time: int, *, origin: str, key: str, conversation: str | None = None, space: str | None = None) -> Entry:
    """Entry 0: which log this is and the verifier key (:mod:`.checkpoints`) that signs its checkpoints."""
    entry: Entry = {"type": "log", "time": time, "format": FORMAT, "origin": origin, "key": key}
    if conversation is not None:
        entry["conversation"] = conversation
    if space is not None:
        entry["space"] = space
    return entry


def conversation(time: int, settings: dict[str, Any]) -> Entry:
    """Topic, description, language, moderation, access, participants_can_write, max_statement_length,
    attributes (the declared questions), open, rule: the decision rule in force (its own or a space's),
    closes: when it closes itself (ms, or null), and outcome: what its moderators wrote was decided once
    it closed ("" while nothing is). Logs written before closes and outcome existed leave them out."""
    return {"type": "conversation", "time": time, **settings}


def participant(time: int, number: int, attributes: dict[str, Any] | None = None) -> Entry:
    """A participant joined: their number only. ``attributes`` is for logs built from databases older
    than the log (migration 0008), whose participant entries published every answer, as format 1 was
    first written; Concord passes none (or none given: {}), and answers are published by
    :func:`declared` entries instead."""
    entry: Entry = {"type": "participant", "time": time, "participant": number}
    if attributes:
        entry["attributes"] = attributes
    return entry


def declared(time: int, attribute: str, value: str | None, participants: list[int]) -> Entry:
    """An answer to a declared question (``attribute``) published beside the numbers of ``participants``
    who gave it: only once at least :data:`concord.report.anonymity.K` participants of the conversation
    gave that answer (when the K-th arrives, all K in one entry; after that each newcomer at once).
    ``value`` null withdraws the participants' published answer: they changed it to one fewer share."""
    return {"type": "declared", "time": time, "attribute": attribute, "value": value, "participants": participants}


def statement(
    time: int,
    number: int,
    *,
    text: str,
    language: str,
    author: int | None,
    seed: bool,
    status: str,
    proposal: bool,
    created: int,
) -> Entry:
    return {
        "type": "statement",
        "time": time,
        "statement": number,
        "text": text,
        "language": language,
        "author": author,
        "seed": seed,
        "status": status,
        "proposal": proposal,
        "created": created,
    }


def moderation(time: int, statement: int, status: str, reason: str) -> Entry:
    return {"type": "moderation", "time": time, "statement": statement, "status": status, "reason": reason}


def translation(
    time: int,
    number: int,
    *,
    subject: str,
    statement: int | None,
    language: str,
    text: str,
    original: str,
    status: str,
    by: int | str | None,
) -> Entry:
    """``by``: "moderator", a participant's number, or None (imported)."""
    return {
        "type": "translation",
        "time": time,
        "translation": number,
        "subject": subject,
        "statement": statement,
        "language": language,
        "text": text,
        "original": original,
        "status": status,
        "by": by,
    }


def translation_decision(time: int, number: int, status: str, reason: str) -> Entry:
    return {"type": "translation-decision", "time": time, "translation": number, "status": status, "reason": reason}


def vote(time: int, participant: int, statement: int, value: int) -> Entry:
    """``vote``: 1 agree, -1 disagree, 0 pass (the export's signs); ``time`` is when it was cast."""
    return {"type": "vote", "time": time, "participant": participant, "statement": statement, "vote": value}


def bloc(time: int, participants: list[int], verdict: str, reason: str) -> Entry:
    """A moderator's decision on accounts suspected of acting as one bloc: ``real`` (each counted) or
    ``coordinated`` (counted once), with the reason."""
    return {"type": "bloc", "time": time, "participants": participants, "verdict": verdict, "reason": reason}


def imported(time: int, source: str, files: dict[str, str], counts: dict[str, int]) -> Entry:
    """An import: its files' SHA-256 and what it held; the imported events follow as entries."""
    return {"type": "import", "time": time, "source": source, "files": files, **counts}


def budget(time: int, fields: dict[str, Any]) -> Entry:
    return {"type": "budget", "time": time, **fields}


def project(time: int, number: int, fields: dict[str, Any]) -> Entry:
    return {"type": "project", "time": time, "project": number, **fields}


def project_removed(time: int, number: int) -> Entry:
    return {"type": "project-removed", "time": time, "project": number}


def ballot(
    time: int,
    participant: int,
    projects: list[int],
    points: list[Any] | None,
    voter: str | None,
    attributes: dict[str, Any],
) -> Entry:
    """A voter's current ballot. ``voter`` (an imported pabulib voter id) and ``attributes`` (their
    pabulib columns) are null and {} in entries Concord writes: an imported voter's columns are published
    as :func:`declared` answers where enough voters share them, and voter ids are not published at all;
    logs built from older databases (migration 0008) and older imports carry both."""
    return {
        "type": "ballot",
        "time": time,
        "participant": participant,
        "projects": projects,
        "points": points,
        "voter": voter,
        "attributes": attributes,
    }


def outcome(time: int, of: str, upto: int, digest: str) -> Entry:
    """A published result: the analysis (``of`` = "analysis") or the budget's outcome ("budget") of the
    log's first ``upto`` entries, named by the SHA-256 of its canonical JSON."""
    return {"type": "outcome", "time": time, "of": of, "upto": upto, "digest": digest}


def space_translation(
    time: int, number: int, *, subject: str, language: str, text: str, original: str, status: str
) -> Entry:
    """A translation of a space's name or description (``subject``), in the space's log."""
    return {
        "type": "space-translation",
        "time": time,
        "translation": number,
        "subject": subject,
        "language": language,
        "text": text,
        "original": original,
        "status": status,
    }


def budget_translation(
    time: int,
    number: int,
    *,
    project: int | None,
    subject: str,
    language: str,
    text: str,
    original: str,
    status: str,
) -> Entry:
    """A translation of a budget's name or description (``project`` None) or of one of its projects', in
    the budget's conversation's log."""
    return {
        "type": "budget-translation",
        "time": time,
        "translation": number,
        "project": project,
        "subject": subject,
        "language": language,
        "text": text,
        "original": original,
        "status": status,
    }


def space(time: int, fields: dict[str, Any]) -> Entry:
    """Path, parent (its path), name, description, language, rule, weight, population."""
    return {"type": "space", "time": time, **fields}


def proposal(time: int, number: int, text: str, place_rule: dict[str, Any]) -> Entry:
    return {"type": "proposal", "time": time, "proposal": number, "text": text, "place_rule": place_rule}


def tally(time: int, proposal: int, place: str, agree: int, disagree: int, note: str) -> Entry:
    return {
        "type": "tally",
        "time": time,
        "proposal": proposal,
        "place": place,
        "agree": agree,
        "disagree": disagree,
        "note": note,
    }
