"""Statements and their moderation, with the public moderation log."""

from __future__ import annotations

from typing import Literal

from fastapi import Request, Response

from concord.service.conversations import moderation, statements
from concord.service.conversations.statements import StatementRecord
from concord.service.decisions import proposals as decisions
from concord.service.translations import texts as translations
from concord.states import StatementStatus
from concord.web import schemas
from concord.web.api.routing import api_router
from concord.web.context import caller, keep_participant_token, runtime

router = api_router("statements")


def statement_out(statement: StatementRecord, translations: dict[str, str] | None = None) -> dict:
    return {
        "number": statement.number,
        "text": statement.text,
        "language": statement.language,
        "translations": translations or {},
        "status": statement.status,
        "is_seed": statement.is_seed,
        "is_proposal": statement.is_proposal,
        "created_ms": statement.created_ms,
    }


@router.get("/conversations/{conversation_id}/statements", response_model=list[schemas.StatementOut])
def list_statements(
    conversation_id: str, request: Request, status: StatementStatus | Literal["all"] = StatementStatus.ACCEPTED
) -> list[dict]:
    """Shown statements; moderators may ask for ``pending`` (the queue), ``rejected`` or ``all``."""
    wanted = None if status == "all" else StatementStatus(status)
    found = statements.list_statements(runtime(request), caller(request), conversation_id, wanted)
    return [statement_out(listed.statement, listed.translations) for listed in found]


@router.post("/conversations/{conversation_id}/statements", response_model=schemas.StatementOut, status_code=201)
def write_statement(conversation_id: str, body: schemas.StatementIn, request: Request, response: Response) -> dict:
    """A participant's statement, or a seed statement when a moderator is logged in."""
    written = statements.write_statement(
        runtime(request), caller(request), conversation_id, body.text, language=body.language
    )
    if written.token is not None:
        keep_participant_token(request, response, written.token)
    return statement_out(written.statement)


@router.patch("/conversations/{conversation_id}/statements/{number}", response_model=schemas.StatementOut)
def correct_statement(
    conversation_id: str, number: schemas.IdInPath, body: schemas.StatementPatch, request: Request
) -> dict:
    """A moderator corrects the language a statement was written in."""
    found = translations.correct_language(runtime(request), caller(request), conversation_id, number, body.language)
    return statement_out(found)


@router.post("/conversations/{conversation_id}/statements/{number}/moderation", response_model=schemas.LogEntryOut)
def moderate_statement(
    conversation_id: str, number: schemas.IdInPath, body: schemas.ModerationIn, request: Request
) -> dict:
    entry = moderation.decide(runtime(request), caller(request), conversation_id, number, body.status, body.reason)
    return vars(entry)


@router.get("/conversations/{conversation_id}/moderation-log", response_model=list[schemas.LogEntryOut])
def moderation_log(conversation_id: str, request: Request) -> list[dict]:
    """Every moderation decision with its reason; moderators are not named."""
    return [vars(entry) for entry in moderation.public_log(runtime(request), conversation_id).entries]


@router.post("/conversations/{conversation_id}/statements/{number}/proposal", response_model=schemas.StatementOut)
def mark_proposal(conversation_id: str, number: schemas.IdInPath, body: schemas.ProposalIn, request: Request) -> dict:
    """Make a statement a proposal, decided by the conversation's rule (results: ``decisions``)."""
    found = decisions.mark_proposal(runtime(request), caller(request), conversation_id, number, body.proposal)
    return statement_out(found)
