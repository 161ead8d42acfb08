"""A space's page, and the forms that add spaces and conversations to it."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from concord.service import conversations, exchange, spaces
from concord.service.conversations import ConversationSettings
from concord.states import Access, Moderation
from concord.web.context import caller, runtime
from concord.web.pages.routing import page_router, see_other
from concord.web.rendering import render
from concord.web.uploads import received_upload

router = page_router()


@router.get("/s/{path:path}", response_class=HTMLResponse)
def space_page(request: Request, path: str) -> Response:
    overview = spaces.space_overview(runtime(request), caller(request), path=path)
    return render(
        request,
        "space.html.j2",
        space=overview.space,
        trail=overview.trail,
        children=overview.children,
        conversations=overview.conversations,
        can_moderate=overview.can_moderate,
    )


@router.post("/spaces")
def create_space(
    request: Request,
    parent_id: int | None = Form(None),
    slug: str = Form(...),
    name: str = Form(...),
    language: str = Form("en"),
    description: str = Form(""),
) -> Response:
    space = spaces.add_space(
        runtime(request),
        caller(request),
        parent_id=parent_id,
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
    moderation: Moderation = Form(Moderation.POST),
    participants_can_write: bool = Form(False),
    access: Access = Form(Access.LINK),
    max_statement_length: int = Form(140),
    attribute_name: str = Form(""),
    attribute_options: str = Form(""),
    allow_unsigned_xid: bool = Form(False),
) -> Response:
    settings = ConversationSettings(
        topic=topic,
        description=description,
        language=language,
        moderation=moderation,
        participants_can_write=participants_can_write,
        access=access,
        max_statement_length=max_statement_length,
        attributes=_attributes(attribute_name, attribute_options),
        allow_unsigned_xid=allow_unsigned_xid,
    )
    detail = conversations.start_conversation(runtime(request), caller(request), space_id, settings)
    return see_other(f"/c/{detail.conversation.public_id}/moderate")


def _attributes(name: str, options: str) -> list[dict]:
    """One declared attribute from the form: a name and comma- or line-separated options."""
    name = name.strip()
    if not name:
        return []
    return [{"name": name, "options": [o.strip() for o in options.replace("\n", ",").split(",") if o.strip()]}]


@router.post("/spaces/{space_id}/imports")
async def import_conversation(request: Request, space_id: int) -> Response:
    upload = await received_upload(request, space_id)
    detail = await run_in_threadpool(
        exchange.import_upload, runtime(request), caller(request), space_id, upload.data, upload.topic
    )
    return see_other(f"/c/{detail.conversation.public_id}/moderate")
