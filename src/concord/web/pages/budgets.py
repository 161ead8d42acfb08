"""Participatory budgets on the site: a voter's ballot (checkboxes or one choice, the running cost shown
against the limit; points typed per project, or a rank chosen per project; it works without script),
the outcome with every project explained, greedy beside it and the fairness report, and a moderator's
desk (settings, projects, opening and closing, the split among the spaces below, pabulib files out and
in)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from concord.report.opinion_map import group_letter
from concord.service import spaces
from concord.service.budgets import ballots, budgets, projects
from concord.service.budgets import files as budget_files
from concord.service.budgets import outcomes as budget_outcomes
from concord.service.budgets import split as budget_split
from concord.service.budgets.records import BudgetView
from concord.service.budgets.settings import (
    BUDGET_LIMITS,
    CHANGEABLE,
    PROJECT_LIMITS,
    SETTINGS_LIMITS,
    BudgetSettings,
    ProjectFields,
)
from concord.service.conversations.settings import Limits
from concord.service.errors import Forbidden, Invalid, ServiceError
from concord.service.participation import declared
from concord.web.context import caller, form_upload, keep_participant_token, runtime, upload_form
from concord.web.downloads import download_response
from concord.web.i18n import interface_tags_and
from concord.web.pages.forms import FormError, declared_questions, refused, typed_count, typed_number
from concord.web.pages.participation import ATTRIBUTE_FIELD
from concord.web.pages.routing import page_router, see_other, with_query
from concord.web.rendering import localised_digits, page_language, render
from concord.web.results_view import group_name

router = page_router()


# --- voting --------------------------------------------------------------------------------------


@router.get("/b/{budget_id}", response_class=HTMLResponse)
def budget_page(request: Request, budget_id: str, notice: str = "") -> Response:
    view = budgets.budget_view(runtime(request), caller(request), budget_id, page_language(request).tag)
    return _render_ballot(request, view, notice=notice)


def _render_ballot(
    request: Request,
    view: BudgetView,
    *,
    notice: str = "",
    form: FormError | None = None,
    chosen: list[int] | None = None,
    given: Mapping[int, str] | None = None,
    status: int = 200,
) -> Response:
    if chosen is None:
        chosen = list(view.mine.projects) if view.mine is not None else []
    if given is None:
        given = _given(view, page_language(request).code)
    costs = {project.number: project.cost for project in view.projects}
    most = view.budget.max_projects
    return render(
        request,
        "budget.html.j2",
        status_code=status,
        view=view,
        budget=view.budget,
        chosen=chosen,
        chosen_cost=sum(float(costs[n]) for n in chosen if n in costs),
        given=given,  # a points or ranked ballot's fields, as shown: points typed, or a rank
        points_given=_points_given(given) if view.budget.ballot_type == "cumulative" else 0,
        ranks=range(1, min(len(view.projects), most or len(view.projects)) + 1),
        notice=notice,
        form=form,
    )


def _given(view: BudgetView, code: str) -> dict[int, str]:
    """The reader's ballot in a points or ranked ballot's fields: each project's points (in the page's
    digits) or its rank (the choice's value)."""
    if view.mine is None:
        return {}
    if view.mine.points is not None:
        digits = localised_digits(code)
        return {n: digits(str(points)) for n, points in zip(view.mine.projects, view.mine.points, strict=False)}
    if view.budget.ballot_type == "ordinal":
        return {n: str(rank) for rank, n in enumerate(view.mine.projects, start=1)}
    return {}


def _points_given(given: Mapping[int, str]) -> int:
    """The points a ballot of points gives together, as typed (what is not a whole number counts none)."""
    total = 0
    for text in given.values():
        try:
            total += typed_count(text, "points") if text else 0
        except ServiceError:
            continue
    return total


POINTS_FIELD, RANK_FIELD = "points:", "rank:"  # a project's points, or its rank: the field's name, then its number


def _marked(form_data: Mapping[str, Any], prefix: str) -> dict[int, str]:
    """What was typed or chosen in the fields named ``prefix`` and a project's number, by project."""
    return {
        int(key[len(prefix) :]): str(value).strip()
        for key, value in form_data.items()
        if key.startswith(prefix) and key[len(prefix) :].isdigit()
    }


@router.post("/b/{budget_id}/ballot")
async def cast_ballot(request: Request, budget_id: str) -> Response:
    """A ballot from the form (with answers to the declared questions, if asked); refused, the page comes
    back with what was ticked, typed or chosen, and the reason."""
    form_data = await request.form()
    # A points ballot: each project's points typed (in any script's digits; none or 0, not chosen); a
    # ranked one: each project's rank chosen (none, not ranked). Refused, they come back as typed.
    typed_points, typed_ranks = _marked(form_data, POINTS_FIELD), _marked(form_data, RANK_FIELD)
    given = typed_points or typed_ranks
    points: list[int] | None = None
    ranks: list[int] | None = None
    try:
        project = [typed_count(str(value), "projects") for value in form_data.getlist("project")]
        if typed_points:
            marked = {n: typed_count(text, "points") for n, text in typed_points.items() if text}
            project, points = [n for n, p in marked.items() if p], [p for p in marked.values() if p]
        elif typed_ranks:
            marked = {n: typed_count(text, "ranks") for n, text in typed_ranks.items() if text}
            project, ranks = list(marked), list(marked.values())
        answers = {
            key[len(ATTRIBUTE_FIELD) :]: str(value)
            for key, value in form_data.items()
            if key.startswith(ATTRIBUTE_FIELD) and value
        }
    except ServiceError as error:
        return await run_in_threadpool(_refused_ballot, request, budget_id, error, [], given)
    return await run_in_threadpool(_cast, request, budget_id, project, answers, points, ranks, given)


def _refused_ballot(
    request: Request, budget_id: str, error: ServiceError, project: list[int], given: Mapping[int, str]
) -> Response:
    view = budgets.budget_view(runtime(request), caller(request), budget_id, page_language(request).tag)
    form = refused(request, "ballot", error, {})
    return _render_ballot(request, view, form=form, chosen=project, given=given, status=error.status)


def _cast(
    request: Request,
    budget_id: str,
    project: list[int],
    answers: dict[str, str],
    points: list[int] | None,
    ranks: list[int] | None,
    given: Mapping[int, str],
) -> Response:
    try:
        cast = ballots.cast_ballot(
            runtime(request), caller(request), budget_id, project, answers or None, points=points, ranks=ranks
        )
    except ServiceError as error:
        return _refused_ballot(request, budget_id, error, project, given)
    response = see_other(with_query(f"/b/{budget_id}", notice="voted") + "#ballot")
    keep_participant_token(request, response, cast.token)
    return response


@router.get("/b/{budget_id}/results", response_class=HTMLResponse)
async def results_page(request: Request, budget_id: str) -> Response:
    language = page_language(request)
    found = await run_in_threadpool(budget_outcomes.budget_results, runtime(request), budget_id, language.tag)
    texts = found.texts
    return render(
        request,
        "budget_results.html.j2",
        budget=found.budget,
        texts=texts,
        project_names={
            key: texts.projects[p.number].name
            for p in found.projects
            if texts is not None and p.number in texts.projects
            for key in (p.code, str(p.number))
        },
        report=found.report,
        explained={item["project"]: item for item in found.report["explanation"]} if found.report else {},
        parts=found.parts,
        served=found.served,
        group_names={group_letter(index): group_name(index, language) for index in range(26)},
        shared_by=declared.K,
    )


# --- a moderator's desk --------------------------------------------------------------------------


@router.get("/spaces/{space_id}/budgets/new", response_class=HTMLResponse)
def new_budget_page(request: Request, space_id: int) -> Response:
    return _render_new(request, space_id)


def _render_new(request: Request, space_id: int, form: FormError | None = None, status: int = 200) -> Response:
    overview = spaces.space_overview(runtime(request), caller(request), space_id=space_id)
    if not overview.can_moderate:
        return see_other(f"/login?{urlencode({'next': str(request.url.path)})}")
    offered = interface_tags_and(overview.space.language)
    return render(request, "budget_new.html.j2", status_code=status, space=overview.space, form=form,
                  languages_offered=offered, budget_fields=SETTINGS_LIMITS)  # fmt: skip


def _typed(declared: Mapping[str, Limits]) -> Callable[[Request], Awaitable[dict[str, str]]]:
    """A route's dependency: what was typed into the form's fields among a record's declared ones (shown
    again if refused). A required one left empty is a malformed request (the browser asks for it
    first), as FastAPI's own form fields make it."""

    async def typed(request: Request) -> dict[str, str]:
        form = await request.form()
        missing = [name for name, limits in declared.items() if limits.required and not form.get(name)]
        if missing:
            problems = [{"type": "missing", "loc": ("body", name), "msg": "Field required", "input": None}
                        for name in missing]  # fmt: skip
            raise RequestValidationError(problems)
        return {name: str(form[name]) for name in declared if name in form}

    return typed


def _values(typed: Mapping[str, str], declared: Mapping[str, Limits]) -> dict[str, Any]:
    """The values typed, as each field's declaration takes them: a whole number or a number read (an
    empty one none), a yes or no, else the text (the use case checks it)."""
    values: dict[str, Any] = {}
    for name, raw in typed.items():
        kind = declared[name].kind
        if kind in ("whole", "number"):
            values[name] = (typed_count if kind == "whole" else typed_number)(raw, name) if raw.strip() else None
        else:
            values[name] = raw == "true" if kind == "flag" else raw
    return values


@router.post("/spaces/{space_id}/budgets")
def create_budget(
    request: Request,
    space_id: int,
    typed: dict[str, str] = Depends(_typed(SETTINGS_LIMITS)),
    attribute_name: list[str] = Form([]),
    attribute_options: list[str] = Form([]),
) -> Response:
    try:
        questions = declared_questions(attribute_name, attribute_options)
        settings = BudgetSettings(**_values(typed, SETTINGS_LIMITS) | {"attributes": questions})
        view = budgets.start_budget(runtime(request), caller(request), space_id, settings)
    except ServiceError as error:
        return _render_new(request, space_id, refused(request, "budget", error, typed), error.status)
    return see_other(f"/b/{view.budget.public_id}/manage")


@router.post("/spaces/{space_id}/budget-imports")
@form_upload
async def import_budget(request: Request, space_id: int) -> Response:
    """A pabulib file from the form: who sends it is checked before it is read, its CSRF token then."""
    form = await upload_form(
        request,
        lambda service, who: budget_files.check_import_allowed(service, who, space_id),
        max_files=1,
        max_fields=3,
    )
    file = form.get("file")
    try:
        if not isinstance(file, UploadFile):
            raise Invalid("attach the pabulib file (.pb)", field="file")
        data, name = await file.read(), file.filename or "the file"
        view = await run_in_threadpool(
            budget_files.import_upload, runtime(request), caller(request), space_id, data, name
        )
    except ServiceError as error:
        return await run_in_threadpool(
            _render_new, request, space_id, refused(request, "import", error, {}), error.status
        )
    return see_other(f"/b/{view.budget.public_id}/results")


@router.get("/b/{budget_id}/manage", response_class=HTMLResponse)
def manage_page(request: Request, budget_id: str, notice: str = "") -> Response:
    view = budgets.budget_view(runtime(request), caller(request), budget_id, page_language(request).tag)
    if not view.is_moderator:
        return see_other(f"/login?{urlencode({'next': str(request.url.path)})}")
    return _render_desk(request, view, notice=notice)


def _render_desk(
    request: Request, view: BudgetView, *, notice: str = "", form: FormError | None = None, status: int = 200
) -> Response:
    return render(request, "budget_manage.html.j2", status_code=status, view=view, budget=view.budget,
                  notice=notice, form=form, budget_fields=SETTINGS_LIMITS, project_fields=PROJECT_LIMITS)  # fmt: skip


def _refused_on_desk(request: Request, budget_id: str, form: FormError, status: int) -> Response:
    view = budgets.budget_view(runtime(request), caller(request), budget_id, page_language(request).tag)
    if not view.is_moderator:
        raise Forbidden("only the budget's moderators may do this")
    return _render_desk(request, view, form=form, status=status)


def _to_desk(budget_id: str, notice: str, anchor: str = "") -> Response:
    return see_other(with_query(f"/b/{budget_id}/manage", notice=notice) + anchor)


@router.post("/b/{budget_id}/settings")
def change_settings(
    request: Request, budget_id: str, typed: dict[str, str] = Depends(_typed(BUDGET_LIMITS))
) -> Response:
    try:
        budgets.change_budget(runtime(request), caller(request), budget_id, _values(typed, BUDGET_LIMITS))
    except ServiceError as error:
        return _refused_on_desk(request, budget_id, refused(request, "settings", error, typed), error.status)
    return _to_desk(budget_id, "saved")


@router.post("/b/{budget_id}/projects")
def add_project(request: Request, budget_id: str, typed: dict[str, str] = Depends(_typed(CHANGEABLE))) -> Response:
    try:
        fields = ProjectFields(**_values(typed, CHANGEABLE))
        projects.new_project(runtime(request), caller(request), budget_id, fields)
    except ServiceError as error:
        return _refused_on_desk(request, budget_id, refused(request, "project", error, typed), error.status)
    return _to_desk(budget_id, "saved", "#projects")


@router.post("/b/{budget_id}/projects/{number}")
def change_project(
    request: Request,
    budget_id: str,
    number: int,
    typed: dict[str, str] = Depends(_typed(CHANGEABLE)),
    remove: bool = Form(False),
) -> Response:
    try:
        if remove:
            projects.delete_project(runtime(request), caller(request), budget_id, number)
        else:
            projects.change_project(runtime(request), caller(request), budget_id, number, _values(typed, CHANGEABLE))
    except ServiceError as error:
        form = refused(request, f"project-{number}", error, typed)
        return _refused_on_desk(request, budget_id, form, error.status)
    return _to_desk(budget_id, "saved", "#projects")


@router.post("/b/{budget_id}/state")
def open_or_close(request: Request, budget_id: str, open: bool = Form(...), confirmed: bool = Form(False)) -> Response:
    """Reopening is done at once; closing asks first (no ballot is taken after it, and its outcome is
    logged), on a page of its own, so that it needs no script."""
    if not open and not confirmed:
        view = budgets.closing_view(runtime(request), caller(request), budget_id)
        return render(request, "budget_close.html.j2", view=view, budget=view.budget)
    budgets.open_or_close_budget(runtime(request), caller(request), budget_id, open)
    return _to_desk(budget_id, "reopened" if open else "closed")


@router.post("/b/{budget_id}/split")
def split(
    request: Request,
    budget_id: str,
    mode: str = Form(...),
    equal: str = Form(""),
    population: str = Form(""),
    weight: str = Form(""),
) -> Response:
    """The split among the spaces below; a formula's parts are typed in percent."""
    typed = {"mode": mode, "equal": equal, "population": population, "weight": weight}
    try:
        parts = None
        if mode == "formula":
            parts = {kind: typed_count(value, kind) / 100 for kind, value in
                     (("equal", equal), ("population", population), ("weight", weight)) if value.strip()}  # fmt: skip
        budget_split.split(runtime(request), caller(request), budget_id, mode, parts)
    except ServiceError as error:
        return _refused_on_desk(request, budget_id, refused(request, "split", error, typed), error.status)
    return _to_desk(budget_id, "split")


@router.get("/b/{budget_id}/export.pb")
def export(request: Request, budget_id: str) -> Response:
    return download_response(budget_files.export_download(runtime(request), caller(request), budget_id))
