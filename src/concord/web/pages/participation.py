"""A conversation's page for participants: joining, voting and writing, each a plain form that comes
back to the page (Post/Redirect/Get) with a notice, or with the error and the unsent text."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from concord.service import participation, statements, voting
from concord.service.errors import ServiceError
from concord.service.participation import XID_MAX_LENGTH
from concord.service.xids import XID_TOKEN_LENGTH
from concord.states import StatementStatus
from concord.web.context import caller, keep_participant_token, runtime
from concord.web.pages.routing import page_router, see_other, with_query
from concord.web.rendering import render

router = page_router()
ATTRIBUTE_FIELD = "attr:"  # form fields "attr:<name>" answer a declared attribute
DRAFT_KEPT = 2000  # characters of an unsent statement carried back in the address


@router.get("/c/{conversation_id}", response_class=HTMLResponse)
def conversation_page(
    request: Request,
    conversation_id: str,
    notice: str = "",
    error: str = "",
    draft: str = "",
    xid: str = Query("", max_length=XID_MAX_LENGTH),
    xid_token: str = Query("", max_length=XID_TOKEN_LENGTH),
) -> Response:
    """A conversation embedded by a site opens with ``?xid=…&xid_token=…`` (the member's id and the
    site's signature of it), which the join form carries."""
    card = participation.voting_card(runtime(request), caller(request), conversation_id)
    return render(
        request,
        "conversation.html.j2",
        conversation=card.conversation,
        participant=card.participant,
        next=card.next,
        needs_join=card.needs_join,
        asked_attributes=card.asked_attributes,
        is_moderator=card.is_moderator,
        notice=notice,
        error=error,
        draft=draft,
        signed_xid={"xid": xid, "token": xid_token},
    )


@router.post("/c/{conversation_id}/join")
async def join(request: Request, conversation_id: str) -> Response:
    form = await request.form()
    answers = {
        key[len(ATTRIBUTE_FIELD) :]: str(value)
        for key, value in form.items()
        if key.startswith(ATTRIBUTE_FIELD) and value
    }
    try:
        membership = participation.join_conversation(
            runtime(request),
            caller(request),
            conversation_id,
            invite_code=str(form.get("invite_code") or "") or None,
            xid=str(form.get("xid") or "") or None,
            xid_token=str(form.get("xid_token") or "") or None,
            attributes=answers or None,
        )
    except ServiceError as error:
        return see_other(f"/c/{conversation_id}?{urlencode({'error': error.reason})}")
    return _back(request, conversation_id, "joined", None, membership.token)


@router.post("/c/{conversation_id}/vote")
async def vote(request: Request, conversation_id: str, statement: int = Form(...), vote: str = Form(...)) -> Response:
    try:
        cast = await voting.cast_vote(runtime(request), caller(request), conversation_id, statement, vote)
    except ServiceError as error:
        return _back_with_error(conversation_id, error, "vote")
    return _back(request, conversation_id, "voted", "vote", cast.joined.token if cast.joined else None)


@router.post("/c/{conversation_id}/statements")
def write(request: Request, conversation_id: str, text: str = Form(...)) -> Response:
    try:
        written = statements.write_statement(runtime(request), caller(request), conversation_id, text)
    except ServiceError as error:
        return _back_with_error(conversation_id, error, "write", draft=text)
    notice = "written-pending" if written.statement.status == StatementStatus.PENDING else "written"
    return _back(request, conversation_id, notice, "write", written.joined.token if written.joined else None)


def _back(
    request: Request, conversation_id: str, notice: str, anchor: str | None, token: str | None
) -> RedirectResponse:
    """Back to the conversation with a notice; a newcomer's browser keeps their participant token."""
    response = see_other(with_query(f"/c/{conversation_id}", notice=notice) + (f"#{anchor}" if anchor else ""))
    if token is not None:
        keep_participant_token(request, response, token)
    return response


def _back_with_error(conversation_id: str, error: ServiceError, anchor: str, draft: str = "") -> RedirectResponse:
    query = {"error": error.reason, **({"draft": draft[:DRAFT_KEPT]} if draft else {})}
    return see_other(f"/c/{conversation_id}?{urlencode(query)}#{anchor}")
