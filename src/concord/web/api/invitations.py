"""One-time invitation codes for conversations by invitation."""

from __future__ import annotations

from fastapi import Request

from concord.service.accounts import invitations
from concord.web import schemas
from concord.web.api.routing import api_router
from concord.web.context import caller, runtime

router = api_router("invitations")


@router.post(
    "/conversations/{conversation_id}/invitations", response_model=list[schemas.InvitationOut], status_code=201
)
def create_invitations(conversation_id: str, body: schemas.InvitationsIn, request: Request) -> list[dict]:
    """New one-time codes; the codes appear in this response only."""
    issued = invitations.issue(runtime(request), caller(request), conversation_id, body.count)
    return [{"hint": i.hint, "code": i.code, "created_ms": i.created_ms, "used": False} for i in issued]


@router.get("/conversations/{conversation_id}/invitations", response_model=list[schemas.InvitationOut])
def list_invitations(conversation_id: str, request: Request) -> list[dict]:
    return [
        {"hint": i.hint, "created_ms": i.created_ms, "used": i.used}
        for i in invitations.codes(runtime(request), caller(request), conversation_id)
    ]
