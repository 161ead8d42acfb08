"""Spaces nest (country → province → district); a moderator of a space acts in it and below it."""

from __future__ import annotations

import dataclasses

from fastapi import Query, Request
from fastapi.responses import Response

from concord.report.decisions import rollup_json
from concord.service import spaces
from concord.service.decisions import proposals as decisions
from concord.service.decisions import rollups
from concord.service.log import records
from concord.web import schemas
from concord.web.api.routing import api_router
from concord.web.context import caller, runtime
from concord.web.downloads import download_response

router = api_router("spaces")


def space_out(space: spaces.SpaceRecord) -> dict:
    return dataclasses.asdict(space)  # the answer's model (SpaceOut) leaves out what it does not show


@router.get("/spaces", response_model=list[schemas.SpaceOut])
def list_spaces(request: Request, path: str | None = Query(None, max_length=spaces.SPACE_PATH_LENGTH)) -> list[dict]:
    """Every space (the tree, parents before children), or the one at ``path``."""
    return [space_out(space) for space in spaces.list_spaces(runtime(request), path)]


@router.post("/spaces", response_model=schemas.SpaceOut, status_code=201)
def create_space(body: schemas.SpaceIn, request: Request) -> dict:
    """Create a space inside one you moderate (administrators create top-level spaces)."""
    return space_out(spaces.add_space(runtime(request), caller(request), **body.model_dump()))


@router.get("/spaces/{space_id}", response_model=schemas.SpaceDetail)
def get_space(space_id: schemas.IdInPath, request: Request) -> dict:
    overview = spaces.space_overview(runtime(request), caller(request), space_id=space_id)
    return {
        **space_out(overview.space),
        "children": [space_out(child) for child in overview.children],
        "conversations": [{"id": c.public_id, "topic": c.topic, "is_open": c.is_open} for c in overview.conversations],
        "can_moderate": overview.can_moderate,
    }


@router.post("/spaces/{space_id}/moderators", status_code=202, response_model=schemas.ModeratorGrantOut)
def add_moderator(space_id: schemas.IdInPath, body: schemas.ModeratorIn, request: Request) -> dict:
    """Make the account of this name moderator of this space (and so of every space below it), if one
    exists. The answer (202 Accepted) is the same whether it exists or not, as an invitation's is, so
    that it does not tell anyone which accounts exist: nothing is stored for a name no account has.
    Accounts are made by the operator (`concord user add`), who can check a name. A name no account
    can have (2–64 letters, digits, '.', '_' or '-') is refused with 422."""
    spaces.add_moderator(runtime(request), caller(request), space_id, body.username)
    return {"username": body.username, "space_id": space_id, "note": schemas.MODERATOR_GRANT_NOTE}


@router.put("/spaces/{space_id}/decision-rule", response_model=schemas.SpaceOut)
def set_decision_rule(space_id: schemas.IdInPath, body: schemas.SpaceRuleIn, request: Request) -> dict:
    """The default rule of every conversation below this space that has none of its own."""
    rule = body.rule.model_dump() if body.rule is not None else None
    return space_out(decisions.set_space_rule(runtime(request), caller(request), space_id, rule))


@router.put("/spaces/{space_id}/place", response_model=schemas.SpaceOut)
def set_place(space_id: schemas.IdInPath, body: schemas.PlaceIn, request: Request) -> dict:
    """How this space weighs as a place when the space above rolls up a proposal (moderators above)."""
    found = decisions.set_place(runtime(request), caller(request), space_id, weight=body.weight,
                                population=body.population)  # fmt: skip
    return space_out(found)


def rollup_out(view: rollups.RollupView) -> dict:
    outcome = view.outcome
    return {
        "id": view.proposal.id,
        "text": view.proposal.text,
        "rule": view.proposal.place_rule,
        "outcome": outcome.result,
        "explanation": rollup_json(outcome)["explanation"],  # the English sentence of the CLI and logs
        "popular_majority": outcome.popular,
        "silent": outcome.silent,
        "undecided": outcome.undecided,
        "language": view.language,
        "translations": dict(view.translations),
        "places": [
            {
                "space_id": place.space.id,
                "path": place.space.path,
                "name": place.space.name,
                "source": place.source,
                "conversation": place.conversation,
                "outcome": place.place.result,
                "agree": place.place.agree,
                "disagree": place.place.disagree,
                "weight": place.place.weight,
                "population": place.place.population,
            }
            for place in view.places
        ],
    }


@router.post("/spaces/{space_id}/proposals", response_model=schemas.RollupOut, status_code=201)
def put_to_places(space_id: schemas.IdInPath, body: schemas.SpaceProposalIn, request: Request) -> dict:
    """Put a proposal to every space below: a conversation is opened in each space at the bottom, set as
    the request says (who may take part, the questions asked, the proposal's language and its
    translations, the rule in each place), and the outcomes roll up by ``rule`` at every level."""
    chosen = body.model_dump(include=set(rollups.PLACE_SETTINGS))
    settings = rollups.PlaceSettings(body.language, body.translations, chosen)
    return rollup_out(rollups.put_to_places(runtime(request), caller(request), space_id, body.text,
                                            body.rule.model_dump(), settings))  # fmt: skip


@router.get("/spaces/{space_id}/proposals", response_model=list[schemas.RollupOut])
def list_rollups(space_id: schemas.IdInPath, request: Request) -> list[dict]:
    """The proposals this space put to the spaces below, rolled up as things stand."""
    return [rollup_out(view) for view in rollups.rollups_of(runtime(request), space_id)]


@router.post("/spaces/{space_id}/proposals/{proposal_id}/tallies", status_code=204)
def report_tally(
    space_id: schemas.IdInPath, proposal_id: schemas.IdInPath, body: schemas.TallyIn, request: Request
) -> None:
    """A place below that voted elsewhere reports its count; it counts instead of its conversation."""
    rollups.report_tally(runtime(request), caller(request), space_id, proposal_id, body.space_id, body.agree,
                         body.disagree, body.note)  # fmt: skip


@router.get("/spaces/{space_id}/export", responses={200: {"content": {"application/zip": {}}}})
def export_record(space_id: schemas.IdInPath, request: Request) -> Response:
    """The space's record, as a .zip: its log (settings, proposals, reported tallies) with its signed
    checkpoint, the logs of the spaces below, and space.json (each proposal's roll-up as computed, place
    by place, and the tallies with who reported them and when): what `concord verify` recomputes."""
    return download_response(records.space_record(runtime(request), space_id))
