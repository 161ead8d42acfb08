"""Translations of statements, topics and descriptions: offering one (a moderator's is shown at once, a
volunteer's may wait), moderators' decisions, what each language still lacks, and PO files for
translators working offline."""

from __future__ import annotations

from typing import Literal

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from concord.languages import language_name
from concord.service.translations import files as translation_files
from concord.service.translations import texts as translations
from concord.service.translations.texts import Coverage, TranslationView
from concord.states import TranslationStatus
from concord.web import schemas
from concord.web.api.routing import api_router
from concord.web.context import caller, keep_participant_token, runtime
from concord.web.downloads import download_response
from concord.web.i18n import interface_tags_and

router = api_router("translations")
PO_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/x-gettext-translation": {"schema": {"type": "string", "format": "binary"}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


def translation_out(view: TranslationView) -> dict:
    return vars(view)


def coverage_out(found: Coverage) -> dict:
    return {**vars(found), "name": language_name(found.language)}


@router.get("/conversations/{conversation_id}/translations", response_model=list[schemas.TranslationOut])
def list_translations(
    conversation_id: str,
    request: Request,
    language: str | None = None,
    status: TranslationStatus | Literal["all"] = TranslationStatus.ACCEPTED,
) -> list[dict]:
    """Accepted translations (of one ``language``, or all); moderators may ask for ``pending`` (the
    queue), ``rejected``, ``replaced`` or ``all``."""
    wanted = None if status == "all" else TranslationStatus(status)
    found = translations.list_translations(runtime(request), caller(request), conversation_id, language, wanted)
    return [translation_out(view) for view in found]


@router.post("/conversations/{conversation_id}/translations", response_model=schemas.TranslationOut, status_code=201)
def translate(conversation_id: str, body: schemas.TranslationIn, request: Request, response: Response) -> dict:
    """A moderator's translation is shown at once, in the place of the one shown before. A
    participant's waits for a moderator unless the conversation shows participants' statements at
    once and no translation into that language is shown yet."""
    offered = translations.translate(
        runtime(request), caller(request), conversation_id, body.subject, body.statement, body.language, body.text
    )
    if offered.token is not None:
        keep_participant_token(request, response, offered.token)
    return translation_out(offered.translation)


@router.post(
    "/conversations/{conversation_id}/translations/{translation_id}/moderation", response_model=schemas.TranslationOut
)
def decide(
    conversation_id: str, translation_id: schemas.IdInPath, body: schemas.TranslationDecisionIn, request: Request
) -> dict:
    """Accept a volunteer's translation, or reject it with a reason (published in the moderation log)."""
    view = translations.decide(
        runtime(request), caller(request), conversation_id, translation_id, body.status, body.reason
    )
    return translation_out(view)


@router.get("/conversations/{conversation_id}/translations/coverage", response_model=list[schemas.CoverageOut])
def coverage(conversation_id: str, request: Request) -> list[dict]:
    """For each language the conversation is read in: how many shown statements readers of it can read
    in it, whether its topic and description are, and how many translations wait for a moderator."""
    found = translations.conversation_coverage(runtime(request), conversation_id, interface_tags_and())
    return [coverage_out(entry) for entry in found]


@router.get(
    "/conversations/{conversation_id}/translations/{language}/po",
    responses={200: {"content": {"text/x-gettext-translation": {}}}},
)
def po_file(conversation_id: str, language: str, request: Request) -> Response:
    """The texts to translate into ``language`` as a gettext PO file (msgctxt names each text, msgid
    is its original, msgstr its translation shown now or empty)."""
    return download_response(translation_files.po_download(runtime(request), conversation_id, language))


@router.put(
    "/conversations/{conversation_id}/translations/{language}/po",
    response_model=schemas.PoImportOut,
    openapi_extra=PO_BODY,
    responses={413: {"model": schemas.ErrorOut}},
)
async def po_upload(conversation_id: str, language: str, request: Request) -> dict:
    """A translated PO file (the body, at most 4 MB), from a moderator: its translations are stored as
    theirs, all or none; a line that cannot be stored is named in the error. Who sends it is checked
    before it is read."""
    await run_in_threadpool(translation_files.check_upload_allowed, runtime(request), caller(request), conversation_id)
    data = await request.body()
    found = await run_in_threadpool(
        translation_files.po_upload, runtime(request), caller(request), conversation_id, language, data
    )
    return vars(found)
