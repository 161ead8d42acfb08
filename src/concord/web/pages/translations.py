"""Translating on the site: the page of one text (its original, the translations shown, a form for
anyone who reads both languages, and for moderators the language it was written in), and the
moderators' translation queue of a conversation (coverage per language, volunteers' translations to
decide, what is missing, PO files out and in). Plain forms, no script needed."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from concord.languages import TAG_LENGTH
from concord.service.errors import Invalid, ServiceError, Unauthorized
from concord.service.translations import files as translation_files
from concord.service.translations import texts as translations
from concord.service.translations.files import PoImport
from concord.states import Translated, TranslationStatus
from concord.web.context import caller, form_upload, keep_participant_token, runtime, upload_form
from concord.web.downloads import download_response
from concord.web.i18n import interface_tags_and
from concord.web.pages.forms import FormError, refused
from concord.web.pages.routing import local, page_router, see_other, with_query
from concord.web.rendering import page_language, render

router = page_router()
MISSING_SHOWN = 30  # texts to translate on the queue page at once; the PO file carries all of them


def _subject(what: str) -> tuple[Translated, int | None]:
    """``/translate/topic``, ``/translate/description`` or ``/translate/<statement number>``."""
    if what in (Translated.TOPIC, Translated.DESCRIPTION):
        return Translated(what), None
    if what.isdecimal() and len(what) <= 10:  # any script's digits (not "²", which int() does not read)
        return Translated.STATEMENT, int(what)
    raise Invalid("say what to translate: the topic, the description or a statement's number")


@router.get("/c/{conversation_id}/translate/{what}", response_class=HTMLResponse)
def translate_page(
    request: Request, conversation_id: str, what: str, into: str = Query("", max_length=TAG_LENGTH), notice: str = ""
) -> Response:
    return _render_translate(request, conversation_id, what, into=into, notice=notice)


def _render_translate(
    request: Request,
    conversation_id: str,
    what: str,
    *,
    into: str = "",
    notice: str = "",
    form: FormError | None = None,
    status: int = 200,
    back: str = "",
) -> Response:
    subject, number = _subject(what)
    reader = page_language(request).tag
    found = translations.translation_page(runtime(request), caller(request), conversation_id, subject, number, reader)
    target = into or (form.values.get("language") if form else "") or reader
    if target == found.original.language:
        target = next((tag for tag in interface_tags_and() if tag != found.original.language), target)
    return render(
        request,
        "translate.html.j2",
        status_code=status,
        conversation=found.conversation,
        topic=found.topic,
        original=found.original,
        shown=found.shown,
        is_moderator=found.is_moderator,
        what=what,
        target=target,
        targets=_targets(found.original.language, [target, *found.shown]),
        notice=notice,
        form=form,
        back=back,
    )


def _targets(original: str, present: list[str]) -> list[str]:
    """The languages to translate into: the interface's and any already present, not the original's."""
    return [tag for tag in interface_tags_and(*present) if tag != original]


@router.post("/c/{conversation_id}/translate/{what}")
def translate(
    request: Request,
    conversation_id: str,
    what: str,
    language: str = Form(...),
    text: str = Form(...),
    back: str = Form(""),
) -> Response:
    """A volunteer's translation goes back to the conversation with a notice; a moderator's back to
    where they came from (the queue)."""
    subject, number = _subject(what)
    try:
        offered = translations.translate(
            runtime(request), caller(request), conversation_id, subject, number, language, text
        )
    except ServiceError as error:
        form = refused(request, "translate", error, {"language": language, "text": text})
        return _render_translate(request, conversation_id, what, form=form, status=error.status, back=back)
    pending = offered.translation.status == TranslationStatus.PENDING
    notice = "translated-pending" if pending else "translated"
    if offered.token is None and back:
        return see_other(with_query(local(back), notice=notice))
    at = "vote" if subject == Translated.STATEMENT else "top"
    response = see_other(with_query(f"/c/{conversation_id}", notice=notice, at=at) + f"#{at}")
    if offered.token is not None:
        keep_participant_token(request, response, offered.token)
    return response


@router.post("/c/{conversation_id}/statements/{number}/language")
def correct_language(request: Request, conversation_id: str, number: int, language: str = Form(...)) -> Response:
    """A moderator says which language a statement was written in (the guess from its script was wrong)."""
    try:
        translations.correct_language(runtime(request), caller(request), conversation_id, number, language)
    except ServiceError as error:
        form = refused(request, "language", error, {"language": language})
        return _render_translate(request, conversation_id, str(number), form=form, status=error.status)
    return see_other(with_query(f"/c/{conversation_id}/translate/{number}", notice="saved"))


# --- the moderators' queue -----------------------------------------------------------------------


@router.get("/c/{conversation_id}/translations", response_class=HTMLResponse)
def queue_page(
    request: Request, conversation_id: str, into: str = Query("", max_length=TAG_LENGTH), notice: str = ""
) -> Response:
    """``into``: the language whose missing texts are listed (the reader's by default)."""
    try:
        return _render_queue(request, conversation_id, into or page_language(request).tag, notice=notice)
    except Unauthorized:
        return see_other(f"/login?{urlencode({'next': str(request.url.path)})}")


def _render_queue(
    request: Request,
    conversation_id: str,
    language: str,
    *,
    notice: str = "",
    form: FormError | None = None,
    imported: PoImport | None = None,
    status: int = 200,
) -> Response:
    queue = translations.translation_queue(
        runtime(request), caller(request), conversation_id, language, interface_tags_and()
    )
    return render(
        request,
        "translations.html.j2",
        status_code=status,
        conversation=queue.conversation,
        queue=queue,
        missing=queue.missing[:MISSING_SHOWN],
        notice=notice,
        form=form,
        imported=imported,
    )


@router.post("/c/{conversation_id}/translations/{translation_id}/decision")
def decide(
    request: Request,
    conversation_id: str,
    translation_id: int,
    status: str = Form(...),
    reason: str = Form(""),
    into: str = Form("", max_length=TAG_LENGTH),
) -> Response:
    try:
        decided = translations.decide(
            runtime(request), caller(request), conversation_id, translation_id, status, reason
        )
    except ServiceError as error:
        form = refused(request, f"decide-{translation_id}", error, {"reason": reason})
        language = into or page_language(request).tag
        return _render_queue(request, conversation_id, language, form=form, status=error.status)
    query = {"into": into or decided.language, "notice": str(decided.status)}
    return see_other(f"/c/{conversation_id}/translations?{urlencode(query)}#waiting")


@router.get("/c/{conversation_id}/translations/po")
def po_file(request: Request, conversation_id: str, into: str = Query(..., max_length=TAG_LENGTH)) -> Response:
    return download_response(translation_files.po_download(runtime(request), conversation_id, into))


@router.post("/c/{conversation_id}/translations/po", response_class=HTMLResponse)
@form_upload
async def po_upload(request: Request, conversation_id: str) -> Response:
    """A translated PO file from the queue page: who sends it is checked before it is read, and the
    form's CSRF token once it is (it travels inside the form)."""
    form = await upload_form(
        request,
        lambda service, who: translation_files.check_upload_allowed(service, who, conversation_id),
        max_files=1,
        max_fields=4,
    )
    language, file = str(form.get("into") or "")[:TAG_LENGTH], form.get("file")
    try:
        if not isinstance(file, UploadFile):
            raise Invalid("attach the translated PO file", field="file")
        data = await file.read()
        outcome = await run_in_threadpool(
            translation_files.po_upload, runtime(request), caller(request), conversation_id, language, data
        )
    except ServiceError as error:
        refusal = refused(request, "po", error, {"into": language})
        shown = language or page_language(request).tag
        return await run_in_threadpool(
            _render_queue, request, conversation_id, shown, form=refusal, status=error.status
        )
    return await run_in_threadpool(_render_queue, request, conversation_id, language, imported=outcome)
