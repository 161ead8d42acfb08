"""Spaces nest (country → province → district); a moderator of a space acts in it and below it."""

from __future__ import annotations

from fastapi import Query, Request

from concord.service import spaces
from concord.store.models import SPACE_PATH_LENGTH, Space
from concord.web import schemas
from concord.web.api.routing import api_router
from concord.web.context import caller, runtime

router = api_router("spaces")


def space_out(space: Space) -> dict:
    return {
        "id": space.id,
        "parent_id": space.parent_id,
        "path": space.path,
        "name": space.name,
        "language": space.language,
        "description": space.description,
    }


@router.get("/spaces", response_model=list[schemas.SpaceOut])
def list_spaces(request: Request, path: str | None = Query(None, max_length=SPACE_PATH_LENGTH)) -> list[dict]:
    """Every space (the tree, parents before children), or the one at ``path``."""
    return [space_out(space) for space in spaces.list_spaces(runtime(request), path)]


@router.post("/spaces", response_model=schemas.SpaceOut, status_code=201)
def create_space(body: schemas.SpaceIn, request: Request) -> dict:
    """Create a space inside one you moderate (administrators create top-level spaces)."""
    return space_out(spaces.add_space(runtime(request), caller(request), **body.model_dump()))


@router.get("/spaces/{space_id}", response_model=schemas.SpaceDetail)
def get_space(space_id: int, request: Request) -> dict:
    overview = spaces.space_overview(runtime(request), caller(request), space_id=space_id)
    return {
        **space_out(overview.space),
        "children": [space_out(child) for child in overview.children],
        "conversations": [{"id": c.public_id, "topic": c.topic, "is_open": c.is_open} for c in overview.conversations],
        "can_moderate": overview.can_moderate,
    }


@router.post("/spaces/{space_id}/moderators", status_code=204)
def add_moderator(space_id: int, body: schemas.ModeratorIn, request: Request) -> None:
    """Make a user moderator of this space (and so of every space below it)."""
    spaces.add_moderator(runtime(request), caller(request), space_id, body.username)
