"""A moderator's desk for one conversation: the queue, seed statements, settings, opening and
closing, invitation codes and the export. Every form comes back to the desk with a notice."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from concord.service import conversations, exchange, moderation
from concord.service.errors import Unauthorized
from concord.states import Access, Moderation
from concord.web.context import caller, runtime
from concord.web.downloads import download_response
from concord.web.pages.routing import page_router, see_other, with_query
from concord.web.rendering import render

router = page_router()


@router.get("/c/{conversation_id}/moderate", response_class=HTMLResponse)
def moderate_page(request: Request, conversation_id: str, notice: str = "") -> Response:
    try:
        desk = moderation.moderation_desk(runtime(request), caller(request), conversation_id)
    except Unauthorized:
        return see_other(f"/login?{urlencode({'next': request.url.path})}")
    return _render_desk(request, desk, notice)


def _render_desk(request: Request, desk: moderation.Desk, notice: str = "") -> Response:
    return render(
        request,
        "moderate.html.j2",
        conversation=desk.conversation,
        user=desk.user,
        notice=notice,
        pending=desk.pending,
        shown=desk.shown,
        rejected=desk.rejected,
        invitations=desk.invitations,
        new_codes=desk.new_codes,
        counts=desk.counts,
    )


def _to_desk(conversation_id: str, **query: str) -> RedirectResponse:
    return see_other(with_query(f"/c/{conversation_id}/moderate", **query))


@router.post("/c/{conversation_id}/seed")
def seed(request: Request, conversation_id: str, text: str = Form(...)) -> Response:
    """Seed statements, one per line."""
    lines = [line for line in text.splitlines() if line.strip()] or [text]
    moderation.seed_statements(runtime(request), caller(request), conversation_id, lines)
    return _to_desk(conversation_id, notice="seeded")


@router.post("/c/{conversation_id}/moderation/{number}")
def moderate_statement(
    request: Request, conversation_id: str, number: int, status: str = Form(...), reason: str = Form("")
) -> Response:
    entry = moderation.decide(runtime(request), caller(request), conversation_id, number, status, reason)
    return _to_desk(conversation_id, notice=entry.status)


@router.post("/c/{conversation_id}/settings")
def change_settings(
    request: Request,
    conversation_id: str,
    topic: str = Form(...),
    description: str = Form(""),
    moderation: Moderation = Form(Moderation.POST),
    participants_can_write: bool = Form(False),
    access: Access = Form(Access.LINK),
    max_statement_length: int = Form(140),
    allow_unsigned_xid: bool = Form(False),
) -> Response:
    changes = {
        "topic": topic,
        "description": description,
        "moderation": moderation,
        "participants_can_write": participants_can_write,
        "access": access,
        "max_statement_length": max_statement_length,
        "allow_unsigned_xid": allow_unsigned_xid,
    }
    conversations.change_settings(runtime(request), caller(request), conversation_id, changes)
    return _to_desk(conversation_id, notice="saved")


@router.post("/c/{conversation_id}/state")
def open_or_close(request: Request, conversation_id: str, open: bool = Form(...)) -> Response:
    conversations.open_or_close(runtime(request), caller(request), conversation_id, open)
    return _to_desk(conversation_id, notice="reopened" if open else "closed")


@router.post("/c/{conversation_id}/invitations")
def make_invitations(request: Request, conversation_id: str, count: int = Form(1)) -> Response:
    """The new codes are shown in this answer only, never in an address (which browsers keep in their
    history): the desk is rendered here rather than redirected to."""
    return _render_desk(request, moderation.issue_codes(runtime(request), caller(request), conversation_id, count))


@router.get("/c/{conversation_id}/export.zip")
def export(request: Request, conversation_id: str) -> Response:
    return download_response(exchange.export_download(runtime(request), caller(request), conversation_id))
