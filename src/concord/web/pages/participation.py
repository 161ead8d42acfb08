"""A conversation's page for participants: joining, voting and writing, each a plain form that comes
back to the page (Post/Redirect/Get) with a notice, or with the error and the unsent text."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from concord.languages import TAG_LENGTH, language_name
from concord.service.accounts.invitations import CODE_LENGTH
from concord.service.accounts.xids import XID_TOKEN_LENGTH
from concord.service.conversations import statements
from concord.service.errors import ServiceError
from concord.service.participation import card as cards
from concord.service.participation import joining as participation
from concord.service.participation import voting
from concord.service.participation.joining import XID_MAX_LENGTH
from concord.states import StatementStatus
from concord.web.context import PARTICIPANT_COOKIE, caller, keep_participant_token, runtime, set_cookie
from concord.web.i18n import LANGUAGE_COOKIE, find_language, interface_tags_and
from concord.web.pages.routing import page_router, see_other, with_query
from concord.web.rendering import page_language, reader_tag, render

router = page_router()
ATTRIBUTE_FIELD = "attr:"  # form fields "attr:<name>" answer a declared attribute
DRAFT_KEPT = 2000  # characters of an unsent statement carried back in the address
# On a 360 × 640 phone the vote card must be seen without scrolling: a description longer than this is
# folded to its first words, and a statement longer than LONG_STATEMENT is set smaller.
DESCRIPTION_SHOWN = 80
LONG_STATEMENT = 140


@router.get("/c/{conversation_id}", response_class=HTMLResponse)
def conversation_page(
    request: Request,
    conversation_id: str,
    notice: str = "",
    error: str = "",
    at: str = "top",
    draft: str = Query("", max_length=DRAFT_KEPT),
    invite: str = Query("", max_length=CODE_LENGTH),
    xid: str = Query("", max_length=XID_MAX_LENGTH),
    xid_token: str = Query("", max_length=XID_TOKEN_LENGTH),
    written_in: str = Query("", max_length=TAG_LENGTH),
) -> Response:
    """Messages are drawn where the person acted (``at``: the vote card, the writing box, the join
    form). A printed invitation opens with ``?invite=…&lang=…`` (the conversation's language, which this
    browser then keeps, as if chosen with the language links) and a conversation embedded by a site with
    ``?xid=…&xid_token=…`` (the member's id and the site's signature of it): the join form carries them."""
    card = cards.voting_card(runtime(request), caller(request), conversation_id, reader_tag(request))
    reader = card.wordings.reader
    response = render(
        request,
        "conversation.html.j2",
        language=page_language(request, fallback=reader),
        conversation=card.conversation,
        participant=card.participant,
        next=card.next,
        needs_join=card.needs_join,
        asked_attributes=card.asked_attributes,
        is_moderator=card.is_moderator,
        last_vote=card.last_vote,
        mine=card.mine,
        notice=notice,
        error=error,
        at=at,
        draft=draft,
        invite=invite,
        signed_xid={"xid": xid, "token": xid_token},
        description_shown=DESCRIPTION_SHOWN,
        long_statement=LONG_STATEMENT,
        wordings=card.wordings,
        original_names={tag: language_name(tag, reader) for tag in card.written_in},  # for the script
        writing_languages=interface_tags_and(card.conversation.language),
        written_in=written_in,
    )
    card_language = find_language(request.query_params.get("lang")) if invite else None
    if card_language is not None:
        set_cookie(request, response, LANGUAGE_COOKIE, card_language.code, http_only=False)
    return response


@router.post("/c/{conversation_id}/join")
async def join(request: Request, conversation_id: str) -> Response:
    form = await request.form()
    answers = {
        key[len(ATTRIBUTE_FIELD) :]: str(value)
        for key, value in form.items()
        if key.startswith(ATTRIBUTE_FIELD) and value
    }
    at = "about" if form.get("at") == "about" else "join"
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
        return _back_with_error(conversation_id, error, at)
    return _back(request, conversation_id, "joined" if at == "join" else "saved", "vote", membership.token)


@router.post("/c/{conversation_id}/vote")
async def vote(request: Request, conversation_id: str, statement: int = Form(...), vote: str = Form(...)) -> Response:
    try:
        cast = await voting.cast_vote(runtime(request), caller(request), conversation_id, statement, vote)
    except ServiceError as error:
        return _back_with_error(conversation_id, error, "vote")
    return _back(request, conversation_id, "voted", "vote", cast.token)


@router.post("/c/{conversation_id}/statements")
def write(request: Request, conversation_id: str, text: str = Form(...), language: str = Form("")) -> Response:
    """A statement, in the language the writer chose (else guessed, preferring the page's)."""
    try:
        written = statements.write_statement(
            runtime(request),
            caller(request),
            conversation_id,
            text,
            language=language or None,
            reader=page_language(request).tag,
        )
    except ServiceError as error:
        return _back_with_error(conversation_id, error, "write", draft=text, written_in=language)
    notice = "written-pending" if written.statement.status == StatementStatus.PENDING else "written"
    return _back(request, conversation_id, notice, "write", written.token)


@router.post("/c/{conversation_id}/forget")
def forget(request: Request, conversation_id: str) -> Response:
    """Forget me on this device: the browser drops the participant's token (one for every conversation),
    so whoever holds the phone afterwards cannot open their votes or receipts. Nothing on the server
    changes: their votes stay counted, and the token is gone for good (in a conversation by external id,
    the embedding site lets the member in again; elsewhere they come back as someone new)."""
    response = see_other(with_query(f"/c/{conversation_id}", notice="forgotten", at="top"))
    response.delete_cookie(PARTICIPANT_COOKIE, path="/")
    return response


def _back(request: Request, conversation_id: str, notice: str, at: str, token: str | None) -> RedirectResponse:
    """Back to the conversation, to the place the person acted, with a notice drawn there; a
    newcomer's browser keeps their participant token."""
    response = see_other(with_query(f"/c/{conversation_id}", notice=notice, at=at) + f"#{at}")
    if token is not None:
        keep_participant_token(request, response, token)
    return response


def _back_with_error(
    conversation_id: str, error: ServiceError, at: str, draft: str = "", written_in: str = ""
) -> RedirectResponse:
    query = {"error": error.reason, "at": at, **({"draft": draft[:DRAFT_KEPT]} if draft else {})}
    if written_in:
        query["written_in"] = written_in[:TAG_LENGTH]
    return see_other(f"/c/{conversation_id}?{urlencode(query)}#{at}")
