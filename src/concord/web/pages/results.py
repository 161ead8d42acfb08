"""What a conversation has found so far, and its public moderation log."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from concord.service.conversations import moderation, results
from concord.service.log import views as log_views
from concord.service.participation import declared
from concord.web.context import caller, runtime
from concord.web.pages.routing import page_router
from concord.web.rendering import page_language, reader_tag, render
from concord.web.results_view import results_view

router = page_router()


@router.get("/c/{conversation_id}/results", response_class=HTMLResponse)
def results_page(request: Request, conversation_id: str) -> Response:
    found = results.results_for_reader(runtime(request), caller(request), conversation_id, reader_tag(request))
    language = page_language(request, fallback=found.wordings.reader)
    view = results_view(found, language)
    return render(
        request,
        "results.html.j2",
        language=language,
        conversation=found.conversation,
        view=view,
        reader=found,
        wordings=found.wordings,
        shared_by=declared.K,
    )


@router.get("/c/{conversation_id}/log", response_class=HTMLResponse)
def moderation_log(request: Request, conversation_id: str) -> Response:
    log = moderation.public_log(runtime(request), conversation_id, reader_tag(request))
    return render(
        request,
        "log.html.j2",
        language=page_language(request, fallback=log.wordings.reader),
        conversation=log.conversation,
        entries=log.entries,
        wordings=log.wordings,
    )


@router.get("/c/{conversation_id}/receipts", response_class=HTMLResponse)
def receipts_page(request: Request, conversation_id: str) -> Response:
    """The reader's votes with their log entries, to download and check anywhere."""
    found = log_views.reader_receipts(runtime(request), caller(request), conversation_id, reader_tag(request))
    server = str(request.base_url).rstrip("/")
    response = render(
        request,
        "receipts.html.j2",
        language=page_language(request, fallback=found.wordings.reader),
        conversation=found.conversation,
        receipts=found.receipts,
        known=found.known,
        wordings=found.wordings,
        server=server,
    )
    response.headers["Cache-Control"] = "no-store"  # how they voted: no copy left in the browser's cache
    return response
