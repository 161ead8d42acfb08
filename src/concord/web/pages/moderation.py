"""A moderator's desk for one conversation: the queue, seed statements, settings, opening and
closing, invitation codes (with a printable sheet) and the export; and a moderator's home (what waits
across the spaces they hold, and those spaces). A done form comes back to the desk with a notice; a
refused one comes back drawn on the desk with what was typed (concord.web.pages.forms)."""

from __future__ import annotations

from urllib.parse import urlencode

import segno
from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from concord.languages import language_name
from concord.service.accounts import home
from concord.service.conversations import blocs, exchange, moderation
from concord.service.conversations import lifecycle as conversations
from concord.service.conversations.settings import ConversationRecord
from concord.service.decisions import proposals as decisions
from concord.service.decisions.rules import rule_choices
from concord.service.errors import ServiceError, Unauthorized
from concord.web.context import caller, runtime
from concord.web.downloads import download_response
from concord.web.i18n import DEFAULT, find_language, interface_tags_and
from concord.web.pages.forms import (
    FormError,
    TypedSettings,
    refused,
    shown_questions,
    shown_settings,
    typed_count,
    typed_settings,
)
from concord.web.pages.routing import page_router, see_other, with_query
from concord.web.pages.rule_forms import rule_from_form, typed_rule
from concord.web.rendering import environment, page_language, render

router = page_router()


@router.get("/moderation", response_class=HTMLResponse)
def dashboard(request: Request) -> Response:
    """A moderator's home, where a login lands: what waits for a decision, and the spaces they hold with
    what is open in each and the links to start something there."""
    try:
        found = home.moderator_home(runtime(request), caller(request), page_language(request).tag)
    except Unauthorized:
        return see_other(f"/login?{urlencode({'next': request.url.path})}")
    return render(request, "dashboard.html.j2", home=found, user=found.user)


@router.get("/c/{conversation_id}/moderate", response_class=HTMLResponse)
def moderate_page(request: Request, conversation_id: str, notice: str = "") -> Response:
    try:
        desk = moderation.moderation_desk(runtime(request), caller(request), conversation_id)
    except Unauthorized:
        return see_other(f"/login?{urlencode({'next': request.url.path})}")
    return _render_desk(request, desk, notice=notice)


def _render_desk(
    request: Request, desk: moderation.Desk, *, notice: str = "", form: FormError | None = None, status: int = 200
) -> Response:
    link = str(request.base_url).rstrip("/") + f"/c/{desk.conversation.public_id}"
    language = desk.conversation.language  # a card holder reads the conversation in its language
    links = [(code, f"{link}?{urlencode({'invite': code, 'lang': language})}") for code in desk.new_codes]
    cards = [(code, url, segno.make(url, error="m").svg_inline(scale=3, dark="#000")) for code, url in links]
    return render(
        request,
        "moderate.html.j2",
        status_code=status,
        conversation=desk.conversation,
        xid_secret=desk.xid_secret,
        user=desk.user,
        notice=notice,
        pending=desk.pending,
        shown=desk.shown,
        rejected=desk.rejected,
        invitations=desk.invitations,
        counts=desk.counts,
        participant_link=link,
        cards=cards,
        sheet=_printed_cards(desk.conversation, cards),
        form=form,
        settings=shown_settings(form, "settings", desk.conversation),
        questions=shown_questions(form, "settings", desk.conversation),
        rule=desk.rule,
        default_rule=desk.default_rule,
        rule_choices=rule_choices(),
        proposals=[s for s in desk.shown if s.is_proposal],
        translations_waiting=desk.translations_waiting,
        # Each language named in itself, as the form that makes a conversation names them.
        topic_languages={tag: language_name(tag, tag) for tag in interface_tags_and(desk.conversation.language)},
        blocs=desk.blocs,
        accounts_are_cheap=desk.accounts_are_cheap,
        sms=desk.sms,
    )


def _printed_cards(conversation: ConversationRecord, cards: list[tuple[str, str, str]]) -> Markup:
    """The sheet of code cards, in the conversation's language rather than the moderator's: whoever is
    handed a card reads how to use it in the language they were invited to take part in (English when
    the interface does not speak it)."""
    language = find_language(conversation.language) or DEFAULT
    sheet = environment(language.code).get_template("code_cards.html.j2")
    return Markup(sheet.render(conversation=conversation, cards=cards, language=language))


def _refused_on_desk(request: Request, conversation_id: str, form: FormError, status: int) -> Response:
    desk = moderation.moderation_desk(runtime(request), caller(request), conversation_id)
    return _render_desk(request, desk, form=form, status=status)


def _to_desk(conversation_id: str, **query: str) -> RedirectResponse:
    return see_other(with_query(f"/c/{conversation_id}/moderate", **query))


@router.post("/c/{conversation_id}/seed")
def seed(request: Request, conversation_id: str, text: str = Form(...), proposals: bool = Form(False)) -> Response:
    """Seed statements, one per line (as proposals to decide, when ticked)."""
    lines = [line for line in text.splitlines() if line.strip()] or [text]
    try:
        moderation.seed_statements(runtime(request), caller(request), conversation_id, lines, as_proposals=proposals)
    except ServiceError as error:
        form = refused(request, "seed", error, {"text": text, "proposals": proposals})
        return _refused_on_desk(request, conversation_id, form, error.status)
    return _to_desk(conversation_id, notice="seeded")


@router.post("/c/{conversation_id}/proposals/{number}")
def mark_proposal(request: Request, conversation_id: str, number: int, proposal: bool = Form(...)) -> Response:
    """Make a shown statement a proposal, decided by the conversation's rule, or a statement again."""
    try:
        decisions.mark_proposal(runtime(request), caller(request), conversation_id, number, proposal)
    except ServiceError as error:
        form = refused(request, "proposals", error, {})
        return _refused_on_desk(request, conversation_id, form, error.status)
    return see_other(with_query(f"/c/{conversation_id}/moderate", notice="saved") + "#decisions")


@router.post("/c/{conversation_id}/rule")
def choose_rule(request: Request, conversation_id: str, typed: dict[str, str] = Depends(typed_rule)) -> Response:
    """The conversation's own decision rule, or none (its space's then decides)."""
    try:
        changes = {"decision_rule": rule_from_form(typed)}
        conversations.change_settings(runtime(request), caller(request), conversation_id, changes)
    except ServiceError as error:
        return _refused_on_desk(request, conversation_id, refused(request, "rule", error, typed), error.status)
    return see_other(with_query(f"/c/{conversation_id}/moderate", notice="saved") + "#decisions")


@router.post("/c/{conversation_id}/blocs")
def decide_bloc(
    request: Request,
    conversation_id: str,
    participants: str = Form(...),
    verdict: str = Form(""),
    reason: str = Form(""),
) -> Response:
    """A moderator's verdict on accounts suspected of voting as one bloc, with its published reason."""
    try:
        blocs.decide_bloc(runtime(request), caller(request), conversation_id, participants, verdict, reason)
    except ServiceError as error:
        name = f"bloc-{participants.split(',')[0].strip()}"
        form = refused(request, name, error, {"reason": reason, "verdict": verdict})
        return _refused_on_desk(request, conversation_id, form, error.status)
    return see_other(with_query(f"/c/{conversation_id}/moderate", notice="saved") + "#blocs")


@router.post("/c/{conversation_id}/moderation/{number}")
def moderate_statement(
    request: Request, conversation_id: str, number: int, status: str = Form(...), reason: str = Form("")
) -> Response:
    try:
        entry = moderation.decide(runtime(request), caller(request), conversation_id, number, status, reason)
    except ServiceError as error:
        form = refused(request, f"decide-{number}", error, {"reason": reason})
        return _refused_on_desk(request, conversation_id, form, error.status)
    return _to_desk(conversation_id, notice=entry.status)


@router.post("/c/{conversation_id}/settings")
def change_settings(
    request: Request,
    conversation_id: str,
    topic: str = Form(...),
    description: str = Form(""),
    language: str = Form(""),
    asked: TypedSettings = Depends(typed_settings),
) -> Response:
    typed = {"topic": topic, "description": description, **({"language": language} if language else {}), **asked.typed}
    try:
        changes = {**typed, **asked.chosen()}
        conversations.change_settings(runtime(request), caller(request), conversation_id, changes)
    except ServiceError as error:
        form = refused(request, "settings", error, typed, asked.questions)
        return _refused_on_desk(request, conversation_id, form, error.status)
    return _to_desk(conversation_id, notice="saved")


@router.post("/c/{conversation_id}/state")
def open_or_close(
    request: Request, conversation_id: str, open: bool = Form(...), confirmed: bool = Form(False)
) -> Response:
    """Reopening is done at once; closing asks first (no votes or statements are taken after it)."""
    if not open and not confirmed:
        desk = moderation.moderation_desk(runtime(request), caller(request), conversation_id)
        return render(request, "close.html.j2", conversation=desk.conversation, counts=desk.counts)
    conversations.open_or_close(runtime(request), caller(request), conversation_id, open)
    return _to_desk(conversation_id, notice="reopened" if open else "closed")


@router.get("/c/{conversation_id}/invitations", response_class=HTMLResponse)
def invitations_page(request: Request, conversation_id: str) -> Response:
    """Where the codes were made, reloaded or come back to: the desk with the form to make more and the
    codes' hints, never the codes again (they are shown once, in the answer that made them)."""
    return moderate_page(request, conversation_id)


@router.post("/c/{conversation_id}/invitations")
def make_invitations(request: Request, conversation_id: str, count: str = Form("1")) -> Response:
    """The new codes, each with the participant link that carries it and its QR code, shown in this
    answer only (and printable as a sheet), never in an address that browsers keep in their history."""
    try:
        asked = typed_count(count, "count") if count.strip() else 1
        desk = moderation.issue_codes(runtime(request), caller(request), conversation_id, asked)
    except ServiceError as error:
        form = refused(request, "invitations", error, {"count": count})
        return _refused_on_desk(request, conversation_id, form, error.status)
    return _render_desk(request, desk)


@router.get("/c/{conversation_id}/export.zip")
def export(request: Request, conversation_id: str) -> Response:
    return download_response(exchange.export_download(runtime(request), caller(request), conversation_id))
