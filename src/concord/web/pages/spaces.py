"""A space's page, and the forms that add spaces and conversations to it. A refused form comes back
drawn on its page with what was typed (concord.web.pages.forms)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from concord.service import conversations, exchange, spaces
from concord.service.conversations import ConversationSettings
from concord.service.errors import ServiceError
from concord.service.spaces import SpaceOverview
from concord.web.context import caller, runtime
from concord.web.pages.forms import FormError, declared_questions, refused, shown_questions, shown_settings
from concord.web.pages.home import render_home
from concord.web.pages.routing import page_router, see_other
from concord.web.rendering import render
from concord.web.uploads import received_upload

router = page_router()


@router.get("/s/{path:path}", response_class=HTMLResponse)
def space_page(request: Request, path: str) -> Response:
    return render_space(request, spaces.space_overview(runtime(request), caller(request), path=path))


def render_space(
    request: Request, overview: SpaceOverview, form: FormError | None = None, status: int = 200
) -> Response:
    return render(
        request,
        "space.html.j2",
        status_code=status,
        space=overview.space,
        trail=overview.trail,
        children=overview.children,
        conversations=overview.conversations,
        can_moderate=overview.can_moderate,
        form=form,
        settings=shown_settings(form, "conversation", None),
        questions=shown_questions(form, "conversation", None),
    )


def _back_to_space(request: Request, space_id: int, form: FormError, status: int) -> Response:
    overview = spaces.space_overview(runtime(request), caller(request), space_id=space_id)
    return render_space(request, overview, form, status)


@router.post("/spaces")
def create_space(
    request: Request,
    parent_id: int | None = Form(None),
    slug: str = Form(...),
    name: str = Form(...),
    language: str = Form("en"),
    description: str = Form(""),
) -> Response:
    typed = {"slug": slug, "name": name, "language": language, "description": description}
    try:
        space = spaces.add_space(runtime(request), caller(request), parent_id=parent_id, **typed)
    except ServiceError as error:
        form = refused(request, "space", error, typed)
        if parent_id is None:
            return render_home(request, form, error.status)
        return _back_to_space(request, parent_id, form, error.status)
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
    allow_unsigned_xid: bool = Form(False),
    attribute_name: list[str] = Form([]),
    attribute_options: list[str] = Form([]),
) -> Response:
    typed: dict[str, Any] = {
        "topic": topic,
        "description": description,
        "language": language,
        "moderation": moderation,
        "participants_can_write": participants_can_write,
        "access": access,
        "max_statement_length": max_statement_length,
        "allow_unsigned_xid": allow_unsigned_xid,
    }
    settings = ConversationSettings(**typed, attributes=declared_questions(attribute_name, attribute_options))
    try:
        detail = conversations.start_conversation(runtime(request), caller(request), space_id, settings)
    except ServiceError as error:
        form = refused(request, "conversation", error, typed, list(zip(attribute_name, attribute_options)))
        return _back_to_space(request, space_id, form, error.status)
    return see_other(f"/c/{detail.conversation.public_id}/moderate")


@router.post("/spaces/{space_id}/imports")
async def import_conversation(request: Request, space_id: int) -> Response:
    upload = await received_upload(request, space_id)
    try:
        detail = await run_in_threadpool(
            exchange.import_upload, runtime(request), caller(request), space_id, upload.data, upload.topic
        )
    except ServiceError as error:
        form = refused(request, "import", error, {"file": "", "topic": upload.topic})
        return await run_in_threadpool(_back_to_space, request, space_id, form, error.status)
    return see_other(f"/c/{detail.conversation.public_id}/moderate")
