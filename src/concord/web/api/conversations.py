"""Conversations in a space: settings, opening and closing, and moving them in and out in the Pol.is
export format."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from concord.service.conversations import exchange, outcome
from concord.service.conversations import lifecycle as conversations
from concord.service.conversations.lifecycle import ConversationDetail
from concord.service.conversations.settings import LIMITS, ConversationSettings
from concord.web import schemas
from concord.web.api.routing import api_router
from concord.web.context import caller, form_upload, runtime
from concord.web.downloads import download_response
from concord.web.uploads import UPLOAD_OPENAPI, received_upload

router = api_router("conversations")


def conversation_out(detail: ConversationDetail) -> dict:
    conversation, counts = detail.conversation, detail.counts
    return {
        "id": conversation.public_id,
        "space_id": conversation.space_id,
        "space_path": conversation.space.path,
        **{name: getattr(conversation, name) for name in LIMITS},  # its own rule, not one kept at closing
        "is_open": conversation.is_open,
        "effective_rule": detail.effective_rule,
        "statements": counts.statements,
        "participants": counts.participants,
        "votes": counts.votes,
        "outcome": conversation.outcome,
    }


@router.post("/spaces/{space_id}/conversations", response_model=schemas.ConversationOut, status_code=201)
def create_conversation(space_id: schemas.IdInPath, body: schemas.ConversationIn, request: Request) -> dict:
    settings = ConversationSettings(**body.model_dump())
    return conversation_out(conversations.start_conversation(runtime(request), caller(request), space_id, settings))


@router.post(
    "/spaces/{space_id}/imports",
    response_model=schemas.ConversationOut,
    status_code=201,
    openapi_extra=UPLOAD_OPENAPI,
    responses={413: {"model": schemas.ErrorOut}},
)
@form_upload
async def import_conversation(space_id: schemas.IdInPath, request: Request) -> dict:
    """Import a Pol.is export (.zip of votes.csv, comments.csv … , at most 32 MB) as a new
    conversation in this space. Who asks is checked before the upload is read."""
    upload = await received_upload(request, space_id)
    imported = await run_in_threadpool(
        exchange.import_upload, runtime(request), caller(request), space_id, upload.data, upload.topic
    )
    return conversation_out(imported)


@router.get("/conversations/{conversation_id}", response_model=schemas.ConversationOut)
def get_conversation(conversation_id: str, request: Request) -> dict:
    return conversation_out(conversations.conversation_detail(runtime(request), conversation_id))


@router.patch("/conversations/{conversation_id}", response_model=schemas.ConversationOut)
def change_conversation(conversation_id: str, body: schemas.ConversationPatch, request: Request) -> dict:
    changes = body.model_dump(exclude_unset=True)
    return conversation_out(conversations.change_settings(runtime(request), caller(request), conversation_id, changes))


@router.post("/conversations/{conversation_id}/close", response_model=schemas.ConversationOut)
def close_conversation(conversation_id: str, request: Request) -> dict:
    """Stop taking votes and statements; results stay readable."""
    return conversation_out(conversations.open_or_close(runtime(request), caller(request), conversation_id, False))


@router.put("/conversations/{conversation_id}/outcome", response_model=schemas.ConversationOut)
def write_outcome(conversation_id: str, body: schemas.OutcomeIn, request: Request) -> dict:
    """The outcome, in its moderators' words: what was decided and what happens next. Only once the
    conversation is closed (409 before); logged in its public log; an empty text withdraws it."""
    return conversation_out(outcome.write_outcome(runtime(request), caller(request), conversation_id, body.text))


@router.post("/conversations/{conversation_id}/reopen", response_model=schemas.ConversationOut)
def reopen_conversation(conversation_id: str, request: Request) -> dict:
    return conversation_out(conversations.open_or_close(runtime(request), caller(request), conversation_id, True))


@router.get("/conversations/{conversation_id}/export", responses={200: {"content": {"application/zip": {}}}})
def export_conversation(conversation_id: str, request: Request) -> Response:
    """The conversation in Pol.is export format (votes.csv with every vote event, comments.csv,
    participants-votes.csv, summary.csv, translations.csv), its log with its signed checkpoint, and
    conversation.json, as a .zip: what `concord verify` checks. Anyone may download it, unless the
    conversation is private (then its moderators only)."""
    return download_response(exchange.export_download(runtime(request), caller(request), conversation_id))


@router.get("/conversations/{conversation_id}/embedding", response_model=schemas.EmbeddingOut)
def embedding(conversation_id: str, request: Request) -> dict:
    """The key an embedding site signs its members' external ids with (moderators only)."""
    return asdict(conversations.embedding(runtime(request), caller(request), conversation_id))
