"""Public records: a budget's and a space's tallies with the logs they come from, as one download that
anyone may check with ``concord verify`` without trusting the server (a conversation's record is its
Pol.is export with its log: :func:`concord.service.conversations.exchange.export_download`).

A **budget's record** is its conversation's export (its log holds the budget, its projects and every
ballot) and ``budget.json``: the outcome as the server serves it now, which ``concord verify``
recomputes from the ballots of the log, while voting goes on as after it closed.

A **space's record** is its log (its settings, the proposals it put to the places below and the tallies
they reported) with its signed checkpoint, the log of every space below it (their names, weights and
populations, which weigh them as places), and ``space.json``: each proposal's roll-up as the server
computes it, place by place, saying where each place's figure comes from (a reported tally and its
entry, its own places, or its conversation's decision and the log prefix it is of), and the tallies
with the place that reported them and when. Everything is read in one snapshot, so the files agree.
"""

from __future__ import annotations

import json
import zipfile
from io import BytesIO
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from concord.report.decisions import rollup_json
from concord.service.accounts.moderators import user_of
from concord.service.budgets.lookups import budget_by_public_id, split_into, voting_state
from concord.service.budgets.outcomes import served_report
from concord.service.caller import Caller
from concord.service.conversations.exchange import Download, export_polis_folder
from concord.service.conversations.lifecycle import require_public_record
from concord.service.decisions.rollups import RollupView, logged_tallies, rollups_in
from concord.service.errors import Invalid
from concord.service.log.files import CHECKPOINT_FILE, LOG_FILE, write_space_log
from concord.service.spaces import space_by_id
from concord.store.database import read_snapshot
from concord.store.models import Space

if TYPE_CHECKING:
    from concord.service.runtime import Runtime

BUDGET_FILE = "budget.json"
SPACE_FILE = "space.json"
PLACES_FOLDER = "places"
MAX_PLACES = 10_000  # spaces below one space in one record (each adds a small log)


def _zipped(folder: Path, names: list[str], top: str) -> bytes:
    """The files as a .zip, under one folder named ``top`` (as the conversation's export is)."""
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            archive.write(folder / name, f"{top}/{name}")
    return buffer.getvalue()


# --- a budget -------------------------------------------------------------------------------------


def write_budget_record(session: Session, public_id: str, folder: Path) -> list[str]:
    """The budget's conversation export and budget.json into ``folder``; the files written. Call it in a
    :func:`read_snapshot` transaction, so the outcome is of exactly the log written."""
    budget = budget_by_public_id(session, public_id)
    names = export_polis_folder(session, budget.conversation, folder)
    summary = {
        "budget": budget.public_id,
        "name": budget.name,
        "space": budget.space.path,
        "conversation": budget.conversation.public_id,
        "state": voting_state(budget),
        "amount": budget.amount,
        "currency": budget.currency,
        "log": json.loads((folder / "conversation.json").read_text(encoding="utf-8"))["log"],
        "outcome": served_report(session, budget),  # None: nothing to decide yet
        "parts": [{"budget": part.public_id, "space": part.space.path} for part in split_into(session, budget)],
    }
    (folder / BUDGET_FILE).write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    return [*names, BUDGET_FILE]


def budget_record(runtime: Runtime, caller: Caller, public_id: str) -> Download:
    """A budget's record as a .zip: anyone may download it, unless its conversation is private."""
    with runtime.transaction() as session:
        read_snapshot(session)
        budget = budget_by_public_id(session, public_id)
        require_public_record(session, user_of(session, caller), budget.conversation)
        with TemporaryDirectory() as tmp:
            names = write_budget_record(session, public_id, Path(tmp))
            return Download(f"{public_id}.zip", "application/zip", _zipped(Path(tmp), names, public_id))


# --- a space --------------------------------------------------------------------------------------


def _rollup_node(view: RollupView) -> dict[str, Any]:
    """A roll-up as computed (:func:`rollup_json`), with where each place's figure came from."""
    node = rollup_json(view.outcome)
    node["sources"] = [
        {
            "space": place.space.id,
            "path": place.space.path,
            "source": place.source,
            "conversation": place.conversation,
            "statement": place.statement,
            "upto": place.upto,
            "tally": place.tally.entry if place.tally is not None else None,
            "below": _rollup_node(place.inner) if place.inner is not None else None,
        }
        for place in view.places
    ]
    return node


def write_space_record(session: Session, space: Space, folder: Path) -> list[str]:
    """The space's log, the logs of the spaces below and space.json into ``folder``; the files written.
    Call it in a :func:`read_snapshot` transaction, so the roll-ups are of exactly the logs written."""
    below = list(session.scalars(select(Space).where(Space.path.startswith(space.path + "/")).order_by(Space.path)))
    if len(below) > MAX_PLACES:
        raise Invalid("a space's record holds at most %(most)s spaces inside it: download one further down",
                      most=MAX_PLACES)  # fmt: skip
    log = write_space_log(session, space.id, folder)
    names = [LOG_FILE, CHECKPOINT_FILE]
    paths = {candidate.id: candidate.path for candidate in [space, *below]}
    places = []
    for place in below:
        where = f"{PLACES_FOLDER}/{place.id}"
        write_space_log(session, place.id, folder / where)
        names += [f"{where}/{LOG_FILE}", f"{where}/{CHECKPOINT_FILE}"]
        places.append(
            {
                "space": place.id,
                "path": place.path,
                "parent": paths.get(place.parent_id) if place.parent_id is not None else None,
                "name": place.name,
                "weight": place.weight,
                "population": place.population,
                "log": f"{where}/{LOG_FILE}",
                "checkpoint": f"{where}/{CHECKPOINT_FILE}",
            }
        )
    tallies = logged_tallies(session, space.id)
    summary = {
        "space": {"space": space.id, "path": space.path, "name": space.name},
        "log": {"file": LOG_FILE, "checkpoint": CHECKPOINT_FILE, **log},
        "places": places,
        "proposals": [
            {
                "proposal": view.proposal.id,
                "text": view.proposal.text,
                "rule": view.proposal.place_rule,
                "rollup": _rollup_node(view),
            }
            for view in rollups_in(session, space, tallies)
        ],
        "tallies": [
            {
                "proposal": proposal,
                "place": place,
                "agree": tally.agree,
                "disagree": tally.disagree,
                "note": tally.note,
                "reported_ms": tally.time,
                "entry": tally.entry,
            }
            for (proposal, place), tally in sorted(tallies.items(), key=lambda item: item[1].entry)
        ],
    }
    (folder / SPACE_FILE).write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    return [*names, SPACE_FILE]


def space_record(runtime: Runtime, space_id: int) -> Download:
    """A space's record as a .zip: public, as the space's page and log are."""
    with runtime.transaction() as session:
        read_snapshot(session)
        space = space_by_id(session, space_id)
        with TemporaryDirectory() as tmp:
            names = write_space_record(session, space, Path(tmp))
            top = f"space-{space.id}"
            return Download(f"{top}.zip", "application/zip", _zipped(Path(tmp), names, top))
