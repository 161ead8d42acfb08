"""Translating a space's name or description, and a budget's or its projects', on the site: the text, the
translations shown now, and a form for the space's moderators (their translation is shown at once).
Plain forms, no script needed."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from concord.languages import TAG_LENGTH
from concord.service.budgets import translations as budget_translations
from concord.service.errors import ServiceError
from concord.service.translations import spaces as space_translations
from concord.web.context import caller, runtime
from concord.web.i18n import interface_tags_and
from concord.web.pages.forms import FormError, refused
from concord.web.pages.routing import page_router, see_other
from concord.web.rendering import page_language, render

router = page_router()


@router.get("/spaces/{space_id}/translate/{subject}", response_class=HTMLResponse)
def translate_page(
    request: Request, space_id: int, subject: str, into: str = Query("", max_length=TAG_LENGTH), notice: str = ""
) -> Response:
    return _render(request, space_id, subject, into=into, notice=notice)


def _render(
    request: Request,
    space_id: int,
    subject: str,
    *,
    into: str = "",
    notice: str = "",
    form: FormError | None = None,
    status: int = 200,
) -> Response:
    reader = page_language(request).tag
    found = space_translations.space_translation_page(runtime(request), caller(request), space_id, subject, reader)
    target = into or (form.values.get("language") if form else "") or reader
    written_in = found.space.language
    if target == written_in:
        target = next((tag for tag in interface_tags_and() if tag != written_in), target)
    return render(
        request,
        "space_translate.html.j2",
        status_code=status,
        space=found.space,
        texts=found.texts,
        subject=found.subject,
        original=found.original,
        shown=found.shown,
        is_moderator=found.is_moderator,
        target=target,
        targets=[tag for tag in interface_tags_and(target, *found.shown) if tag != written_in],
        notice=notice,
        form=form,
    )


@router.post("/spaces/{space_id}/translate/{subject}")
def translate(
    request: Request, space_id: int, subject: str, language: str = Form(...), text: str = Form(...)
) -> Response:
    """A moderator's translation, shown at once: back to the space's page."""
    try:
        done = space_translations.translate_space(runtime(request), caller(request), space_id, subject, language, text)
    except ServiceError as error:
        form = refused(request, "translate", error, {"language": language, "text": text})
        return _render(request, space_id, subject, form=form, status=error.status)
    return see_other(f"/s{quote(done.space_path)}")


# --- a budget's and its projects' names and descriptions -----------------------------------------


@router.get("/b/{budget_id}/translate/{subject}", response_class=HTMLResponse)
def budget_translate_page(
    request: Request, budget_id: str, subject: str, into: str = Query("", max_length=TAG_LENGTH)
) -> Response:
    return _render_budget(request, budget_id, None, subject, into=into)


@router.get("/b/{budget_id}/projects/{number}/translate/{subject}", response_class=HTMLResponse)
def project_translate_page(
    request: Request, budget_id: str, number: int, subject: str, into: str = Query("", max_length=TAG_LENGTH)
) -> Response:
    return _render_budget(request, budget_id, number, subject, into=into)


def _render_budget(
    request: Request,
    budget_id: str,
    project: int | None,
    subject: str,
    *,
    into: str = "",
    form: FormError | None = None,
    status: int = 200,
) -> Response:
    reader = page_language(request).tag
    found = budget_translations.budget_translation_page(
        runtime(request), caller(request), budget_id, project, subject, reader
    )
    written_in = found.budget.conversation.language
    target = into or (form.values.get("language") if form else "") or reader
    if target == written_in:
        target = next((tag for tag in interface_tags_and() if tag != written_in), target)
    at = f"/b/{budget_id}" + (f"/projects/{project}" if project is not None else "") + f"/translate/{found.subject}"
    return render(
        request,
        "budget_translate.html.j2",
        status_code=status,
        budget=found.budget,
        texts=found.texts,
        project=project,
        subject=found.subject,
        original=found.original,
        shown=found.shown,
        is_moderator=found.is_moderator,
        action=at,
        target=target,
        targets=[tag for tag in interface_tags_and(target, *found.shown) if tag != written_in],
        form=form,
    )


def _translate_budget(
    request: Request, budget_id: str, project: int | None, subject: str, language: str, text: str
) -> Response:
    try:
        done = budget_translations.translate_budget(
            runtime(request), caller(request), budget_id, project, subject, language, text
        )
    except ServiceError as error:
        form = refused(request, "translate", error, {"language": language, "text": text})
        return _render_budget(request, budget_id, project, subject, form=form, status=error.status)
    return see_other(f"/b/{quote(done.budget)}/manage")


@router.post("/b/{budget_id}/translate/{subject}")
def translate_budget(
    request: Request, budget_id: str, subject: str, language: str = Form(...), text: str = Form(...)
) -> Response:
    """A moderator's translation of the budget's name or description, shown at once."""
    return _translate_budget(request, budget_id, None, subject, language, text)


@router.post("/b/{budget_id}/projects/{number}/translate/{subject}")
def translate_project(
    request: Request, budget_id: str, number: int, subject: str, language: str = Form(...), text: str = Form(...)
) -> Response:
    """A moderator's translation of a project's name or description, shown at once."""
    return _translate_budget(request, budget_id, number, subject, language, text)
