"""The web app's pages: participants vote, write and see results; moderators run spaces and
conversations. Server-rendered HTML that works without JavaScript (plain forms, Post/Redirect/Get);
``static/concord.js`` only enhances it (voting without reloads, a character counter).

Pages call the same service functions as the JSON API, inside one transaction each.
"""

from __future__ import annotations

import random
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from concord.service import accounts, conversations, exchange, invitations, participation, spaces, statements, voting
from concord.service.errors import Forbidden, RateLimited, ServiceError, Unauthorized
from concord.service.ratelimit import JOINS, LOGINS, STATEMENTS
from concord.store.models import AnalysisRecord, Conversation, Participant, Vote
from concord.web.context import (
    PARTICIPANT_COOKIE,
    SESSION_COOKIE,
    csrf_protect,
    current_user,
    set_cookie,
    state,
    transaction,
)
from concord.web.i18n import LANGUAGE_COOKIE, find_language
from concord.web.rendering import page_language, render
from concord.web.results_view import results_view

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def with_notice(url: str, notice: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode({'notice': notice})}"


# --- language, home, login ----------------------------------------------------------------------


@router.get("/lang")
def choose_language(request: Request, to: str, next: str = "/"):
    language = find_language(to)
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = see_other(target)
    if language is not None:
        set_cookie(request, response, LANGUAGE_COOKIE, language.code, http_only=False)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request):
    with transaction(request) as session:
        roots = [space for space in spaces.all_spaces(session) if space.parent_id is None]
        user = current_user(request, session)
        return render(request, "home.html.j2", roots=roots, user=user)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/"):
    return render(request, "login.html.j2", next=next)


@router.post("/login")
def log_in(request: Request, username: str = Form(...), password: str = Form(...), next: str = Form("/")):
    try:
        state(request).limiter.check(LOGINS, username)
        with transaction(request) as session:
            login = accounts.log_in(session, username, password)
    except (Unauthorized, RateLimited) as error:
        return render(request, "login.html.j2", next=next, error=error, status_code=error.status)
    response = see_other(next if next.startswith("/") and not next.startswith("//") else "/")
    set_cookie(request, response, SESSION_COOKIE, login.token, max_age=accounts.SESSION_LIFETIME_MS // 1000)
    return response


@router.post("/logout")
def log_out(request: Request):
    with transaction(request) as session:
        accounts.log_out(session, request.cookies.get(SESSION_COOKIE, ""))
    response = see_other("/")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- spaces (moderators) ------------------------------------------------------------------------


@router.get("/s/{path:path}", response_class=HTMLResponse)
def space_page(request: Request, path: str):
    with transaction(request) as session:
        space = spaces.space_by_path(session, path)
        user = current_user(request, session)
        trail, parent = [], space.parent
        while parent is not None:
            trail.insert(0, parent)
            parent = parent.parent
        return render(
            request,
            "space.html.j2",
            space=space,
            trail=trail,
            user=user,
            children=spaces.children(session, space),
            conversations=spaces.conversations_in(session, space),
            can_moderate=spaces.moderates(session, user, space),
        )


@router.post("/spaces")
def create_space(
    request: Request,
    parent_id: int | None = Form(None),
    slug: str = Form(...),
    name: str = Form(...),
    language: str = Form("en"),
    description: str = Form(""),
):
    with transaction(request) as session:
        parent_path = spaces.space_by_id(session, parent_id).path if parent_id else None
        space = spaces.create_space(
            session,
            current_user(request, session),
            parent_path=parent_path,
            slug=slug,
            name=name,
            language=language,
            description=description,
        )
        return see_other(f"/s{quote(space.path)}")


@router.post("/spaces/{space_id}/conversations")
def create_conversation(
    request: Request,
    space_id: int,
    topic: str = Form(...),
    description: str = Form(""),
    language: str = Form("en"),
    moderation: str = Form("post"),
    participants_can_write: bool = Form(False),
    access: str = Form("link"),
    max_statement_length: int = Form(140),
    attribute_name: str = Form(""),
    attribute_options: str = Form(""),
):
    with transaction(request) as session:
        space = spaces.space_by_id(session, space_id)
        settings = conversations.ConversationSettings(
            topic=topic,
            description=description,
            language=language,
            moderation=moderation,
            participants_can_write=participants_can_write,
            access=access,
            max_statement_length=max_statement_length,
            attributes=_attributes(attribute_name, attribute_options),
        )
        conversation = conversations.create_conversation(session, current_user(request, session), space, settings)
        return see_other(f"/c/{conversation.public_id}/moderate")


def _attributes(name: str, options: str) -> list[dict]:
    """One declared attribute from the form: a name and comma- or line-separated options."""
    name = name.strip()
    if not name:
        return []
    return [{"name": name, "options": [o.strip() for o in options.replace("\n", ",").split(",") if o.strip()]}]


@router.post("/spaces/{space_id}/imports")
async def import_conversation(request: Request, space_id: int, file: UploadFile = File(...), topic: str = Form("")):
    data = await file.read()
    with transaction(request) as session:
        space = spaces.space_by_id(session, space_id)
        imported = exchange.import_polis_zip(session, current_user(request, session), space, data, topic or None)
        conversation_id, public_id = imported.conversation.id, imported.conversation.public_id
    state(request).live.analyse_now(conversation_id)
    return see_other(f"/c/{public_id}/moderate")


# --- participating ------------------------------------------------------------------------------


def _participant(request: Request, session: Session, conversation: Conversation) -> Participant | None:
    return participation.participant_for_token(session, conversation, request.cookies.get(PARTICIPANT_COOKIE))


@router.get("/c/{conversation_id}", response_class=HTMLResponse)
def conversation_page(request: Request, conversation_id: str, notice: str = "", error: str = "", draft: str = ""):
    with transaction(request) as session:
        conversation = conversations.conversation_by_public_id(session, conversation_id)
        participant = _participant(request, session, conversation)
        needs_join = participant is None and conversation.access != "link"
        found = participation.next_statement(session, conversation, participant, random.Random())
        asked = [
            a
            for a in conversation.attributes or []
            if participant is None or a["name"] not in (participant.attributes or {})
        ]
        return render(
            request,
            "conversation.html.j2",
            conversation=conversation,
            participant=participant,
            next=found,
            needs_join=needs_join,
            asked_attributes=asked,
            notice=notice,
            error=error,
            draft=draft,
            is_moderator=spaces.moderates(session, current_user(request, session), conversation.space),
        )


def _join_cookie(request: Request, response: Response, joined: participation.Joined) -> None:
    if request.cookies.get(PARTICIPANT_COOKIE) != joined.token:
        set_cookie(request, response, PARTICIPANT_COOKIE, joined.token)


def _ensure_participant(
    request: Request, session: Session, conversation: Conversation, pending_cookie: list
) -> Participant:
    """The participant behind this browser; a link conversation admits a newcomer on their first act."""
    participant = _participant(request, session, conversation)
    if participant is not None:
        return participant
    if conversation.access != "link":
        raise Forbidden("join the conversation first", "join_first")
    state(request).limiter.check(JOINS, request.client.host if request.client else "local")
    joined = participation.join(session, conversation, token=request.cookies.get(PARTICIPANT_COOKIE))
    pending_cookie.append(joined)
    return joined.participant


@router.post("/c/{conversation_id}/join")
async def join(request: Request, conversation_id: str):
    form = await request.form()
    attributes = {key[len("attr:") :]: value for key, value in form.items() if key.startswith("attr:") and value}
    base = f"/c/{conversation_id}"
    try:
        with transaction(request) as session:
            conversation = conversations.conversation_by_public_id(session, conversation_id)
            if _participant(request, session, conversation) is None:
                state(request).limiter.check(JOINS, request.client.host if request.client else "local")
            joined = participation.join(
                session,
                conversation,
                token=request.cookies.get(PARTICIPANT_COOKIE),
                invite_code=str(form.get("invite_code") or "") or None,
                xid=str(form.get("xid") or "") or None,
                attributes=attributes or None,
            )
    except ServiceError as error:
        return see_other(f"{base}?{urlencode({'error': error.reason})}")
    response = see_other(with_notice(base, "joined"))
    _join_cookie(request, response, joined)
    return response


def _as_participant(request: Request, conversation_id: str, act, *, anchor: str, draft: str = "") -> RedirectResponse:
    """Run one participant action (vote, write) and come back to the conversation page
    (Post/Redirect/Get): with a notice on success, with the error (and the unsent text) on failure."""
    base = f"/c/{conversation_id}"
    joined: list = []
    try:
        with transaction(request) as session:
            conversation = conversations.conversation_by_public_id(session, conversation_id)
            participant = _ensure_participant(request, session, conversation, joined)
            notice = act(session, conversation, participant)
            conversation_db_id = conversation.id
    except ServiceError as error:
        query = {"error": error.reason, **({"draft": draft[:2000]} if draft else {})}
        return see_other(f"{base}?{urlencode(query)}#{anchor}")
    state(request).live.notify(conversation_db_id)
    response = see_other(with_notice(base, notice) + f"#{anchor}")
    for found in joined:
        _join_cookie(request, response, found)
    return response


@router.post("/c/{conversation_id}/vote")
def vote(request: Request, conversation_id: str, statement: int = Form(...), vote: str = Form(...)):
    def cast(session, conversation, participant):
        voting.record_vote(session, conversation, participant, statement, vote, state(request).limiter)
        return "voted"

    return _as_participant(request, conversation_id, cast, anchor="vote")


@router.post("/c/{conversation_id}/statements")
def write(request: Request, conversation_id: str, text: str = Form(...)):
    def add(session, conversation, participant):
        state(request).limiter.check(STATEMENTS, participant.id)
        written = statements.add_statement(session, conversation, text, author=participant)
        return "written-pending" if written.status == "pending" else "written"

    return _as_participant(request, conversation_id, add, anchor="write", draft=text)


@router.get("/c/{conversation_id}/results", response_class=HTMLResponse)
def results_page(request: Request, conversation_id: str):
    with transaction(request) as session:
        conversation = conversations.conversation_by_public_id(session, conversation_id)
        participant = _participant(request, session, conversation)
        record = session.get(AnalysisRecord, conversation.id)
        view = results_view(record, participant.number if participant else None, page_language(request))
        return render(request, "results.html.j2", conversation=conversation, view=view, record=record)


@router.get("/c/{conversation_id}/log", response_class=HTMLResponse)
def moderation_log(request: Request, conversation_id: str):
    with transaction(request) as session:
        conversation = conversations.conversation_by_public_id(session, conversation_id)
        return render(
            request, "log.html.j2", conversation=conversation, entries=statements.moderation_log(session, conversation)
        )


# --- moderating a conversation ------------------------------------------------------------------


@router.get("/c/{conversation_id}/moderate", response_class=HTMLResponse)
def moderate_page(request: Request, conversation_id: str, notice: str = "", codes: str = ""):
    with transaction(request) as session:
        conversation = conversations.conversation_by_public_id(session, conversation_id)
        user = current_user(request, session)
        if user is None:
            return see_other(f"/login?{urlencode({'next': request.url.path})}")
        spaces.require_moderator(session, user, conversation.space)
        counts = {
            "participants": session.scalar(select(func.count()).where(Participant.conversation_id == conversation.id)),
            "votes": session.scalar(select(func.count()).where(Vote.conversation_id == conversation.id)),
        }
        return render(
            request,
            "moderate.html.j2",
            conversation=conversation,
            user=user,
            notice=notice,
            pending=statements.statements_of(session, conversation, "pending"),
            shown=statements.statements_of(session, conversation, "accepted"),
            rejected=statements.statements_of(session, conversation, "rejected"),
            invitations=invitations.list_codes(session, user, conversation) if conversation.access == "invite" else [],
            new_codes=[code for code in codes.split(",") if code],
            counts=counts,
        )


def _moderated(request: Request, conversation_id: str, action) -> RedirectResponse:
    """Run one moderator action on a conversation and come back to its moderation page."""
    with transaction(request) as session:
        conversation = conversations.conversation_by_public_id(session, conversation_id)
        user = current_user(request, session)
        notice = action(session, user, conversation) or "saved"
        conversation_db_id = conversation.id
    state(request).live.notify(conversation_db_id)
    return see_other(
        f"/c/{conversation_id}/moderate?{notice if notice.startswith('codes=') else urlencode({'notice': notice})}"
    )


@router.post("/c/{conversation_id}/seed")
def seed(request: Request, conversation_id: str, text: str = Form(...)):
    def add(session, user, conversation):
        for line in [line for line in text.splitlines() if line.strip()] or [text]:
            statements.add_statement(session, conversation, line, moderator=user)
        return "seeded"

    return _moderated(request, conversation_id, add)


@router.post("/c/{conversation_id}/moderation/{number}")
def moderate_statement(
    request: Request, conversation_id: str, number: int, status: str = Form(...), reason: str = Form("")
):
    def decide(session, user, conversation):
        statement = statements.statement_by_number(session, conversation, number)
        statements.moderate(session, user, statement, conversation, status, reason)
        return status

    return _moderated(request, conversation_id, decide)


@router.post("/c/{conversation_id}/settings")
def change_settings(
    request: Request,
    conversation_id: str,
    topic: str = Form(...),
    description: str = Form(""),
    moderation: str = Form("post"),
    participants_can_write: bool = Form(False),
    access: str = Form("link"),
    max_statement_length: int = Form(140),
):
    def change(session, user, conversation):
        conversations.update_settings(
            session,
            user,
            conversation,
            {
                "topic": topic,
                "description": description,
                "moderation": moderation,
                "participants_can_write": participants_can_write,
                "access": access,
                "max_statement_length": max_statement_length,
            },
        )

    return _moderated(request, conversation_id, change)


@router.post("/c/{conversation_id}/state")
def open_or_close(request: Request, conversation_id: str, open: bool = Form(...)):
    def change(session, user, conversation):
        conversations.set_open(session, user, conversation, open)
        return "reopened" if open else "closed"

    return _moderated(request, conversation_id, change)


@router.post("/c/{conversation_id}/invitations")
def make_invitations(request: Request, conversation_id: str, count: int = Form(1)):
    def issue(session, user, conversation):
        issued = invitations.issue_codes(session, user, conversation, count)
        return "codes=" + ",".join(code.code for code in issued)

    return _moderated(request, conversation_id, issue)


@router.get("/c/{conversation_id}/export.zip")
def export(request: Request, conversation_id: str):
    with transaction(request) as session:
        conversation = conversations.conversation_by_public_id(session, conversation_id)
        spaces.require_moderator(session, current_user(request, session), conversation.space)
        data = exchange.export_polis_zip(session, conversation)
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{conversation_id}.zip"'},
    )
