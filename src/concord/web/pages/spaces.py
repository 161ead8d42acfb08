"""A space's page, and the forms that add spaces and conversations to it. A refused form comes back
drawn on its page with what was typed (concord.web.pages.forms)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool

from concord.report.decisions import rollup_json
from concord.report.explain import isolated, rollup_sentence
from concord.service import spaces
from concord.service.conversations import exchange
from concord.service.conversations import lifecycle as conversations
from concord.service.conversations.settings import ConversationSettings
from concord.service.conversations.wordings import Shown, shown_to
from concord.service.decisions import proposals as decisions
from concord.service.decisions import rollups
from concord.service.decisions.rollups import SpaceDecisions
from concord.service.decisions.rules import rule_choices
from concord.service.errors import ServiceError
from concord.web.context import caller, form_upload, runtime
from concord.web.i18n import Language, interface_tags_and
from concord.web.pages.forms import (
    FormError,
    TypedSettings,
    refused,
    shown_questions,
    shown_settings,
    typed_count,
    typed_number,
    typed_settings,
)
from concord.web.pages.home import render_home
from concord.web.pages.routing import page_router, see_other
from concord.web.pages.rule_forms import rule_from_form, typed_rule
from concord.web.rendering import page_language, render
from concord.web.results_view import reader_words
from concord.web.uploads import received_upload

router = page_router()


@router.get("/s/{path:path}", response_class=HTMLResponse)
def space_page(request: Request, path: str) -> Response:
    reader = page_language(request).tag
    return render_space(
        request, rollups.space_with_decisions(runtime(request), caller(request), path=path, reader=reader)
    )


def render_space(request: Request, found: SpaceDecisions, form: FormError | None = None, status: int = 200) -> Response:
    overview = found.overview
    language = page_language(request)
    reader = language.tag
    return render(
        request,
        "space.html.j2",
        status_code=status,
        space=overview.space,
        trail=overview.trail,
        children=overview.children,
        conversations=overview.conversations,
        topics=overview.topics,
        budgets=overview.budgets,
        space_texts=overview.texts,
        can_moderate=overview.can_moderate,
        rule=found.rule,
        inherited=found.inherited,
        rollups=found.rollups,
        rule_choices=rule_choices(),
        place_rule_choices=rule_choices(across_places=True),
        form=form,
        settings=shown_settings(form, "conversation", None),
        questions=shown_questions(form, "conversation", None),
        proposal_texts={r.proposal.id: _proposal_text(reader, r) for r in found.rollups},
        rollup_sentences={r.proposal.id: _rollup_sentence(language, r) for r in found.rollups},
        proposal_settings=_proposal_settings(form),
        proposal_questions=shown_questions(form, "proposal", None),
        writing_languages=interface_tags_and(overview.space.language),
    )


def _rollup_sentence(language: Language, view: rollups.RollupView) -> Markup:
    """The roll-up's outcome and why, in the reader's language (as ``concord decide --tallies`` says it),
    escaped here so that the page does not isolate it once more around the places' isolated names."""
    return escape(rollup_sentence(rollup_json(view.outcome), reader_words(language, []), names=isolated))


def _proposal_text(reader: str, view: rollups.RollupView) -> Shown:
    """A proposal as the reader reads it: in their language when it was put in it or translated."""
    return shown_to(reader, view.proposal.text, view.language or view.space.language, dict(view.translations))


def _proposal_settings(form: FormError | None) -> dict[str, str]:
    """The settings fields of the proposal form: as typed, else a new conversation's, the longest
    statement left empty (as long as the proposal, at least 140 characters)."""
    shown = shown_settings(form, "proposal", None)
    return shown if form is not None and form.form == "proposal" else shown | {"max_statement_length": ""}


def _back_to_space(request: Request, space_id: int, form: FormError, status: int) -> Response:
    reader = page_language(request).tag
    found = rollups.space_with_decisions(runtime(request), caller(request), space_id=space_id, reader=reader)
    return render_space(request, found, form, status)


def _to_space(path: str, anchor: str = "") -> Response:
    return see_other(f"/s{quote(path)}{anchor}")


@router.post("/spaces/{space_id}/rule")
def choose_space_rule(request: Request, space_id: int, typed: dict[str, str] = Depends(typed_rule)) -> Response:
    """The default rule of the conversations in this space and below (none: the one from above)."""
    try:
        space = decisions.set_space_rule(runtime(request), caller(request), space_id, rule_from_form(typed))
    except ServiceError as error:
        return _back_to_space(request, space_id, refused(request, "space-rule", error, typed), error.status)
    return _to_space(space.path, "#decisions")


@router.post("/spaces/{space_id}/place")
def weigh_place(
    request: Request, space_id: int, weight: str = Form("1"), population: str = Form(""), above: int = Form(...)
) -> Response:
    """How a space below counts as a place in roll-ups: set on the page of the space above it."""
    typed = {"weight": weight, "population": population}
    try:
        declared = typed_number(population, "population") if population.strip() else None
        weighed = typed_number(weight, "weight")
        place = decisions.set_place(runtime(request), caller(request), space_id, weight=weighed, population=declared)
    except ServiceError as error:
        return _back_to_space(request, above, refused(request, f"place-{space_id}", error, typed), error.status)
    return _to_space(place.path.rsplit("/", 1)[0], "#places")


TRANSLATION_FIELD = "translation:"  # the proposal in another language: translation:fa-AF, translation:ps


async def typed_translations(request: Request) -> dict[str, str]:
    """The proposal's translations as typed, by language (empty fields left out)."""
    form = await request.form()
    return {
        key[len(TRANSLATION_FIELD) :]: str(value)
        for key, value in form.items()
        if key.startswith(TRANSLATION_FIELD) and str(value).strip()
    }


@router.post("/spaces/{space_id}/proposals")
def put_to_places(
    request: Request,
    space_id: int,
    text: str = Form(""),
    language: str = Form(""),
    decision_rule: str = Form(""),
    asked: TypedSettings = Depends(typed_settings),
    typed: dict[str, str] = Depends(typed_rule),
    translations: dict[str, str] = Depends(typed_translations),
) -> Response:
    """Put a proposal to every space below; each decides it (by its own rule, or the one chosen here) in a
    conversation set as chosen here, and this one rolls them up."""
    shown = {"text": text, "translations": "", "language": language, "decision_rule": decision_rule}
    shown |= {name: value for name, value in asked.typed.items() if name in rollups.PLACE_SETTINGS} | typed
    shown |= {TRANSLATION_FIELD + tag: value for tag, value in translations.items()}
    try:
        rule = rule_from_form(typed, across_places=True) or {"name": ""}
        chosen = asked.chosen(length_if_empty=None)
        chosen = {name: value for name, value in chosen.items() if name in rollups.PLACE_SETTINGS}
        chosen["decision_rule"] = {"name": decision_rule} if decision_rule else None
        settings = rollups.PlaceSettings(language or None, translations, chosen)
        view = rollups.put_to_places(runtime(request), caller(request), space_id, text, rule, settings)
    except ServiceError as error:
        form = refused(request, "proposal", error, shown, asked.questions)
        return _back_to_space(request, space_id, form, error.status)
    return _to_space(view.space.path, f"#proposal-{view.proposal.id}")


@router.post("/spaces/{space_id}/proposals/{proposal_id}/tallies")
def report_tally(
    request: Request,
    space_id: int,
    proposal_id: int,
    place: int = Form(...),
    agree: str = Form(...),
    disagree: str = Form(...),
    note: str = Form(""),
) -> Response:
    """A place below reports the tally of a vote held elsewhere (on paper, at a meeting)."""
    typed = {"place": str(place), "agree": agree, "disagree": disagree, "note": note}
    try:
        counted = (typed_count(agree, "agree"), typed_count(disagree, "disagree"))
        above = rollups.report_tally(runtime(request), caller(request), space_id, proposal_id, place, *counted, note)
    except ServiceError as error:
        return _back_to_space(request, space_id, refused(request, f"tally-{proposal_id}", error, typed), error.status)
    return _to_space(above.path, f"#proposal-{proposal_id}")


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
    asked: TypedSettings = Depends(typed_settings),
) -> Response:
    typed = {"topic": topic, "description": description, "language": language, **asked.typed}
    try:
        settings = ConversationSettings(**{**typed, **asked.chosen()})
        detail = conversations.start_conversation(runtime(request), caller(request), space_id, settings)
    except ServiceError as error:
        form = refused(request, "conversation", error, typed, asked.questions)
        return _back_to_space(request, space_id, form, error.status)
    return see_other(f"/c/{detail.conversation.public_id}/moderate")


@router.post("/spaces/{space_id}/imports")
@form_upload
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
