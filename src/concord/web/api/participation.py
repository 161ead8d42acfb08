"""Taking part anonymously: joining, declaring attributes, the next statement, voting."""

from __future__ import annotations

from fastapi import Request, Response

from concord.service.participation import card, voting
from concord.service.participation import joining as participation
from concord.service.participation.joining import Membership
from concord.web import schemas
from concord.web.api.routing import api_router
from concord.web.api.statements import statement_out
from concord.web.context import bound_csrf, caller, keep_participant_token, runtime

router = api_router("participation")


def membership_out(membership: Membership) -> dict:
    return {
        "number": membership.participant.number,
        "attributes": membership.participant.attributes or {},
        "votes": {str(number): value for number, value in membership.votes.items()},
    }


@router.post("/conversations/{conversation_id}/participants", response_model=schemas.ParticipantOut, status_code=201)
def join_conversation(conversation_id: str, body: schemas.JoinIn, request: Request, response: Response) -> dict:
    """Join anonymously. Link conversations admit anyone; invite ones need an unused code; xid ones the
    embedding site's id. Returns the participant token (also set as an HttpOnly cookie)."""
    joined = participation.join_conversation(
        runtime(request),
        caller(request),
        conversation_id,
        invite_code=body.invite_code,
        xid=body.xid,
        xid_token=body.xid_token,
        attributes=body.attributes or None,
    )
    keep_participant_token(request, response, joined.token)
    return {**membership_out(joined), "token": joined.token, "csrf_token": bound_csrf("participant", joined.token)}


@router.get("/conversations/{conversation_id}/me", response_model=schemas.ParticipantOut)
def me(conversation_id: str, request: Request) -> dict:
    return membership_out(participation.membership(runtime(request), caller(request), conversation_id))


@router.put("/conversations/{conversation_id}/me/attributes", response_model=schemas.ParticipantOut)
def declare_attributes(conversation_id: str, body: schemas.AttributesIn, request: Request, response: Response) -> dict:
    membership = participation.declare_attributes(runtime(request), caller(request), conversation_id, body.attributes)
    keep_participant_token(request, response, membership.token)
    return membership_out(membership)


@router.get("/conversations/{conversation_id}/next", response_model=schemas.NextOut)
def next_statement(conversation_id: str, request: Request) -> dict:
    """A statement this participant has not voted on yet, chosen by Pol.is's priority."""
    found = card.next_for(runtime(request), caller(request), conversation_id)
    return {
        "statement": statement_out(found.statement, found.translations) if found.statement else None,
        "remaining": found.remaining,
        "voted": found.voted,
    }


@router.post("/conversations/{conversation_id}/votes", response_model=schemas.VoteOut, status_code=201)
async def vote(conversation_id: str, body: schemas.VoteIn, request: Request, response: Response) -> dict:
    """Agree, disagree or pass; voting again changes the vote (every vote event is kept)."""
    cast = await voting.cast_vote(runtime(request), caller(request), conversation_id, body.statement, body.vote)
    if cast.token is not None:
        keep_participant_token(request, response, cast.token)
    receipt = {"entry": cast.receipt.entry, "leaf": cast.receipt.leaf}
    return {"statement": body.statement, "vote": cast.value, "receipt": receipt}
