"""A conversation's results on one printable page, and the outcome its moderators write once it is
closed: what a facilitator hands out or pins up after a meeting, without script."""

from __future__ import annotations

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response

from concord.service.conversations import outcome, results
from concord.service.conversations.outcome import OUTCOME_LENGTH
from concord.service.conversations.settings import ConversationRecord
from concord.service.errors import ServiceError
from concord.web.context import caller, runtime
from concord.web.pages.forms import FormError, refused
from concord.web.pages.routing import page_router, see_other
from concord.web.rendering import page_language, reader_tag, render
from concord.web.results_view import results_view

router = page_router()


@router.get("/c/{conversation_id}/summary", response_class=HTMLResponse)
def summary_page(request: Request, conversation_id: str) -> Response:
    """The topic, the numbers, the outcome, the decisions, what every group agrees on and what sets each
    group apart, in the reader's language, styled for one printed page."""
    found = results.results_for_reader(runtime(request), caller(request), conversation_id, reader_tag(request))
    language = page_language(request, fallback=found.wordings.reader)
    view = results_view(found, language)
    return render(
        request, "summary.html.j2", language=language, conversation=found.conversation, view=view,
        wordings=found.wordings,
    )  # fmt: skip


@router.get("/c/{conversation_id}/outcome", response_class=HTMLResponse)
def outcome_page(request: Request, conversation_id: str) -> Response:
    detail = outcome.outcome_to_write(runtime(request), caller(request), conversation_id)
    return _outcome_form(request, detail.conversation)


@router.post("/c/{conversation_id}/outcome")
def write_outcome(request: Request, conversation_id: str, text: str = Form("")) -> Response:
    try:
        outcome.write_outcome(runtime(request), caller(request), conversation_id, text)
    except ServiceError as error:
        detail = outcome.outcome_to_write(runtime(request), caller(request), conversation_id)
        form = refused(request, "outcome", error, {"outcome": text})
        return _outcome_form(request, detail.conversation, form, error.status)
    return see_other(f"/c/{conversation_id}/results#outcome-heading")


def _outcome_form(
    request: Request, conversation: ConversationRecord, form: FormError | None = None, status: int = 200
) -> Response:
    return render(
        request, "outcome.html.j2", status_code=status, conversation=conversation, form=form, limit=OUTCOME_LENGTH
    )
