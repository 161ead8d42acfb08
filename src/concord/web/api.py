"""The JSON API. Every route parses input, calls one service function inside one transaction, and
returns plain data; the rules live in ``concord.service``."""

from __future__ import annotations

import asyncio
import json
from typing import Literal

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from sqlalchemy import Text, cast, func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from concord.service import accounts, conversations, exchange, invitations, participation, spaces, statements, voting
from concord.service.errors import NotFound, ServiceError, Unauthorized
from concord.service.ratelimit import JOINS, LOGINS, STATEMENTS
from concord.store.models import AnalysisRecord, Conversation, Participant, Space, Statement, Vote
from concord.web import schemas
from concord.web.context import (
    PARTICIPANT_COOKIE,
    SESSION_COOKIE,
    csrf_protect,
    csrf_token,
    current_user,
    participant_token,
    remember_csrf,
    set_cookie,
    state,
    transaction,
)

ERRORS = {status: {"model": schemas.ErrorOut} for status in (400, 401, 403, 404, 409, 422, 429)}
router = APIRouter(prefix="/api", dependencies=[Depends(csrf_protect)], responses=ERRORS)


# --- accounts -----------------------------------------------------------------------------------


@router.post("/session", response_model=schemas.LoginOut, tags=["accounts"])
def log_in(body: schemas.LoginIn, request: Request, response: Response):
    """Log in as a moderator: sets an HttpOnly, SameSite session cookie."""
    state(request).limiter.check(LOGINS, body.username)
    with transaction(request) as session:
        login = accounts.log_in(session, body.username, body.password)
        set_cookie(request, response, SESSION_COOKIE, login.token, max_age=accounts.SESSION_LIFETIME_MS // 1000)
        token = csrf_token(request)
        remember_csrf(request, response)
        return {"username": login.user.username, "is_admin": login.user.is_admin, "csrf_token": token}


@router.get("/session", response_model=schemas.LoginOut, tags=["accounts"])
def who_am_i(request: Request, response: Response):
    with transaction(request) as session:
        user = spaces.require_user(current_user(request, session))
        token = csrf_token(request)
        remember_csrf(request, response)
        return {"username": user.username, "is_admin": user.is_admin, "csrf_token": token}


@router.delete("/session", status_code=204, tags=["accounts"])
def log_out(request: Request, response: Response):
    with transaction(request) as session:
        accounts.log_out(session, request.cookies.get(SESSION_COOKIE, ""))
    response.delete_cookie(SESSION_COOKIE, path="/")


# --- spaces -------------------------------------------------------------------------------------


def space_out(space: Space) -> dict:
    return {
        "id": space.id,
        "parent_id": space.parent_id,
        "path": space.path,
        "name": space.name,
        "language": space.language,
        "description": space.description,
    }


@router.get("/spaces", response_model=list[schemas.SpaceOut], tags=["spaces"])
def list_spaces(request: Request, path: str | None = None):
    """Every space (the tree, parents before children), or the one at ``path``."""
    with transaction(request) as session:
        if path:
            return [space_out(spaces.space_by_path(session, path))]
        return [space_out(space) for space in spaces.all_spaces(session)]


@router.post("/spaces", response_model=schemas.SpaceOut, status_code=201, tags=["spaces"])
def create_space(body: schemas.SpaceIn, request: Request):
    """Create a space inside one you moderate (administrators create top-level spaces)."""
    with transaction(request) as session:
        parent_path = spaces.space_by_id(session, body.parent_id).path if body.parent_id is not None else None
        space = spaces.create_space(
            session,
            current_user(request, session),
            parent_path=parent_path,
            slug=body.slug,
            name=body.name,
            language=body.language,
            description=body.description,
        )
        return space_out(space)


@router.get("/spaces/{space_id}", response_model=schemas.SpaceDetail, tags=["spaces"])
def get_space(space_id: int, request: Request):
    with transaction(request) as session:
        space = spaces.space_by_id(session, space_id)
        return {
            **space_out(space),
            "children": [space_out(child) for child in spaces.children(session, space)],
            "conversations": [
                {"id": c.public_id, "topic": c.topic, "is_open": c.is_open}
                for c in spaces.conversations_in(session, space)
            ],
            "can_moderate": spaces.moderates(session, current_user(request, session), space),
        }


@router.post("/spaces/{space_id}/moderators", status_code=204, tags=["spaces"])
def add_moderator(space_id: int, body: schemas.ModeratorIn, request: Request):
    """Make a user moderator of this space (and so of every space below it)."""
    with transaction(request) as session:
        space = spaces.space_by_id(session, space_id)
        spaces.require_moderator(session, current_user(request, session), space)
        accounts.grant(session, accounts.find_user(session, body.username), space)


# --- conversations ------------------------------------------------------------------------------


def find_conversation(session: Session, conversation_id: str) -> Conversation:
    return conversations.conversation_by_public_id(session, conversation_id)


def conversation_out(session: Session, conversation: Conversation) -> dict:
    def count(query) -> int:
        return session.scalar(select(func.count()).select_from(query.subquery())) or 0

    return {
        "id": conversation.public_id,
        "space_id": conversation.space_id,
        "space_path": conversation.space.path,
        "topic": conversation.topic,
        "description": conversation.description,
        "language": conversation.language,
        "is_open": conversation.is_open,
        "moderation": conversation.moderation,
        "participants_can_write": conversation.participants_can_write,
        "access": conversation.access,
        "max_statement_length": conversation.max_statement_length,
        "attributes": conversation.attributes or [],
        "statements": count(
            select(Statement.id).where(Statement.conversation_id == conversation.id, Statement.status == "accepted")
        ),
        "participants": count(select(Participant.id).where(Participant.conversation_id == conversation.id)),
        "votes": count(select(Vote.statement_id).where(Vote.conversation_id == conversation.id)),
    }


@router.post(
    "/spaces/{space_id}/conversations", response_model=schemas.ConversationOut, status_code=201, tags=["conversations"]
)
def create_conversation(space_id: int, body: schemas.ConversationIn, request: Request):
    with transaction(request) as session:
        space = spaces.space_by_id(session, space_id)
        settings = conversations.ConversationSettings(**body.model_dump())
        conversation = conversations.create_conversation(session, current_user(request, session), space, settings)
        return conversation_out(session, conversation)


@router.post(
    "/spaces/{space_id}/imports", response_model=schemas.ConversationOut, status_code=201, tags=["conversations"]
)
async def import_conversation(
    space_id: int, request: Request, file: UploadFile = File(...), topic: str | None = Form(None)
):
    """Import a Pol.is export (.zip of votes.csv, comments.csv … ) as a new conversation in this space."""
    data = await file.read()
    with transaction(request) as session:
        space = spaces.space_by_id(session, space_id)
        imported = exchange.import_polis_zip(session, current_user(request, session), space, data, topic)
        conversation_id = imported.conversation.id
        out = conversation_out(session, imported.conversation)
    state(request).live.analyse_now(conversation_id)
    return out


@router.get("/conversations/{conversation_id}", response_model=schemas.ConversationOut, tags=["conversations"])
def get_conversation(conversation_id: str, request: Request):
    with transaction(request) as session:
        return conversation_out(session, find_conversation(session, conversation_id))


@router.patch("/conversations/{conversation_id}", response_model=schemas.ConversationOut, tags=["conversations"])
def change_conversation(conversation_id: str, body: schemas.ConversationPatch, request: Request):
    with transaction(request) as session:
        conversation = find_conversation(session, conversation_id)
        changes = body.model_dump(exclude_unset=True)
        conversations.update_settings(session, current_user(request, session), conversation, changes)
        return conversation_out(session, conversation)


def _set_open(request: Request, conversation_id: str, is_open: bool) -> dict:
    with transaction(request) as session:
        conversation = find_conversation(session, conversation_id)
        conversations.set_open(session, current_user(request, session), conversation, is_open)
        return conversation_out(session, conversation)


@router.post("/conversations/{conversation_id}/close", response_model=schemas.ConversationOut, tags=["conversations"])
def close_conversation(conversation_id: str, request: Request):
    """Stop taking votes and statements; results stay readable."""
    return _set_open(request, conversation_id, False)


@router.post("/conversations/{conversation_id}/reopen", response_model=schemas.ConversationOut, tags=["conversations"])
def reopen_conversation(conversation_id: str, request: Request):
    return _set_open(request, conversation_id, True)


@router.get(
    "/conversations/{conversation_id}/export",
    tags=["conversations"],
    responses={200: {"content": {"application/zip": {}}}},
)
def export_conversation(conversation_id: str, request: Request):
    """The conversation in Pol.is export format (votes.csv with every vote event, comments.csv,
    participants-votes.csv, summary.csv) plus conversation.json, as a .zip. Moderators only."""
    with transaction(request) as session:
        conversation = find_conversation(session, conversation_id)
        spaces.require_moderator(session, current_user(request, session), conversation.space)
        data = exchange.export_polis_zip(session, conversation)
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{conversation_id}.zip"'},
    )


# --- statements and moderation ------------------------------------------------------------------


def statement_out(statement: Statement) -> dict:
    return {
        "number": statement.number,
        "text": statement.text,
        "status": statement.status,
        "is_seed": statement.is_seed,
        "created_ms": statement.created_ms,
    }


@router.get(
    "/conversations/{conversation_id}/statements", response_model=list[schemas.StatementOut], tags=["statements"]
)
def list_statements(
    conversation_id: str, request: Request, status: Literal["accepted", "pending", "rejected", "all"] = "accepted"
):
    """Shown statements; moderators may ask for ``pending`` (the queue), ``rejected`` or ``all``."""
    with transaction(request) as session:
        conversation = find_conversation(session, conversation_id)
        if status != "accepted":
            spaces.require_moderator(session, current_user(request, session), conversation.space)
        wanted = None if status == "all" else status
        return [statement_out(s) for s in statements.statements_of(session, conversation, wanted)]


@router.post(
    "/conversations/{conversation_id}/statements",
    response_model=schemas.StatementOut,
    status_code=201,
    tags=["statements"],
)
def write_statement(conversation_id: str, body: schemas.StatementIn, request: Request, response: Response):
    """A participant's statement, or a seed statement when a moderator is logged in."""
    with transaction(request) as session:
        conversation = find_conversation(session, conversation_id)
        user = current_user(request, session)
        if user is not None and spaces.moderates(session, user, conversation.space):
            statement = statements.add_statement(session, conversation, body.text, moderator=user)
        else:
            participant = _participant(request, response, session, conversation)
            state(request).limiter.check(STATEMENTS, participant.id)
            statement = statements.add_statement(session, conversation, body.text, author=participant)
        return statement_out(statement)


@router.post(
    "/conversations/{conversation_id}/statements/{number}/moderation",
    response_model=schemas.LogEntryOut,
    tags=["statements"],
)
def moderate_statement(conversation_id: str, number: int, body: schemas.ModerationIn, request: Request):
    with transaction(request) as session:
        conversation = find_conversation(session, conversation_id)
        statement = statements.statement_by_number(session, conversation, number)
        event = statements.moderate(
            session, current_user(request, session), statement, conversation, body.status, body.reason
        )
        out = {
            "statement": number,
            "status": event.status,
            "reason": event.reason,
            "time_ms": event.created_ms,
            "text": statement.text if event.status == "accepted" else None,
        }
        conversation_db_id = conversation.id
    state(request).live.notify(conversation_db_id)
    return out


@router.get(
    "/conversations/{conversation_id}/moderation-log", response_model=list[schemas.LogEntryOut], tags=["statements"]
)
def moderation_log(conversation_id: str, request: Request):
    """Every moderation decision with its reason; moderators are not named."""
    with transaction(request) as session:
        return [
            entry.__dict__ for entry in statements.moderation_log(session, find_conversation(session, conversation_id))
        ]


# --- participation ------------------------------------------------------------------------------


def _participant(
    request: Request, response: Response, session: Session, conversation: Conversation, *, join_if_open: bool = True
) -> Participant:
    """The participant making this request; on a link conversation, a first vote or statement joins."""
    found = participation.participant_for_token(session, conversation, participant_token(request))
    if found is not None:
        return found
    if not join_if_open or conversation.access != "link":
        raise Unauthorized("join the conversation first (POST …/participants)")
    return _join(request, response, session, conversation, schemas.JoinIn()).participant


def _join(
    request: Request, response: Response, session: Session, conversation: Conversation, body: schemas.JoinIn
) -> participation.Joined:
    token = participant_token(request)
    if participation.participant_for_token(session, conversation, token) is None:
        state(request).limiter.check(JOINS, request.client.host if request.client else "local")
    joined = participation.join(
        session,
        conversation,
        token=token,
        invite_code=body.invite_code,
        xid=body.xid,
        attributes=body.attributes or None,
    )
    if request.cookies.get(PARTICIPANT_COOKIE) != joined.token and not request.headers.get("x-participant-token"):
        set_cookie(request, response, PARTICIPANT_COOKIE, joined.token)
    csrf_token(request)
    remember_csrf(request, response)
    return joined


@router.post(
    "/conversations/{conversation_id}/participants",
    response_model=schemas.ParticipantOut,
    status_code=201,
    tags=["participation"],
)
def join_conversation(conversation_id: str, body: schemas.JoinIn, request: Request, response: Response):
    """Join anonymously. Link conversations admit anyone; invite ones need an unused code; xid ones the
    embedding site's id. Returns the participant token (also set as an HttpOnly cookie)."""
    with transaction(request) as session:
        conversation = find_conversation(session, conversation_id)
        joined = _join(request, response, session, conversation, body)
        return {
            "number": joined.participant.number,
            "token": joined.token,
            "attributes": joined.participant.attributes or {},
            "csrf_token": csrf_token(request),
            "votes": {str(k): v for k, v in participation.my_votes(session, joined.participant).items()},
        }


@router.get("/conversations/{conversation_id}/me", response_model=schemas.ParticipantOut, tags=["participation"])
def me(conversation_id: str, request: Request):
    with transaction(request) as session:
        conversation = find_conversation(session, conversation_id)
        participant = participation.participant_for_token(session, conversation, participant_token(request))
        if participant is None:
            raise NotFound("you have not joined this conversation")
        return {
            "number": participant.number,
            "attributes": participant.attributes or {},
            "votes": {str(k): v for k, v in participation.my_votes(session, participant).items()},
        }


@router.put(
    "/conversations/{conversation_id}/me/attributes", response_model=schemas.ParticipantOut, tags=["participation"]
)
def declare_attributes(conversation_id: str, body: schemas.AttributesIn, request: Request, response: Response):
    with transaction(request) as session:
        conversation = find_conversation(session, conversation_id)
        participant = _participant(request, response, session, conversation)
        participation.set_attributes(conversation, participant, body.attributes)
        return {"number": participant.number, "attributes": participant.attributes}


@router.get("/conversations/{conversation_id}/next", response_model=schemas.NextOut, tags=["participation"])
def next_statement(conversation_id: str, request: Request):
    """A statement this participant has not voted on yet, chosen by Pol.is's priority."""
    with transaction(request) as session:
        conversation = find_conversation(session, conversation_id)
        participant = participation.participant_for_token(session, conversation, participant_token(request))
        found = participation.next_statement(session, conversation, participant)
        return {
            "statement": statement_out(found.statement) if found.statement else None,
            "remaining": found.remaining,
            "voted": found.voted,
        }


@router.post(
    "/conversations/{conversation_id}/votes", response_model=schemas.VoteOut, status_code=201, tags=["participation"]
)
async def vote(conversation_id: str, body: schemas.VoteIn, request: Request, response: Response):
    """Agree, disagree or pass; voting again changes the vote (every vote event is kept).

    A known participant's vote goes to the vote intake, which stores it with the others arriving at the
    same moment in one transaction; a first vote, which may have to join, takes the ordinary path."""
    app = state(request)
    ballot = voting.Ballot(conversation_id, participant_token(request), body.statement, body.vote)
    answer = await asyncio.wrap_future(app.votes.submit(ballot))
    if answer is voting.UNKNOWN_VOTER:
        answer = await run_in_threadpool(_join_and_vote, ballot, request, response)
        app.live.notify(answer.conversation_id)
    if isinstance(answer, ServiceError):
        raise answer
    return {"statement": body.statement, "vote": answer.value}


def _join_and_vote(ballot: voting.Ballot, request: Request, response: Response) -> voting.Stored:
    with transaction(request) as session:
        conversation = find_conversation(session, ballot.conversation)
        participant = _participant(request, response, session, conversation)
        value = voting.record_vote(
            session, conversation, participant, ballot.statement, ballot.vote, state(request).limiter
        )
        return voting.Stored(conversation.id, value)


@router.get("/conversations/{conversation_id}/results", response_model=schemas.ResultsOut, tags=["results"])
def results(conversation_id: str, request: Request):
    """The latest analysis (opinion groups, consensus, bridging, declared groups, map), with the time and
    vote count it was computed at. It trails new votes by about a second.

    The stored JSON is sent as it is, never parsed and re-encoded: this endpoint is polled by every
    open results page while votes stream in."""
    with transaction(request) as session:
        conversation = find_conversation(session, conversation_id)
        row = session.execute(
            select(
                AnalysisRecord.computed_ms,
                AnalysisRecord.vote_count,
                AnalysisRecord.last_event_id,
                AnalysisRecord.seconds,
                cast(AnalysisRecord.results, Text),
            ).where(AnalysisRecord.conversation_id == conversation.id)
        ).first()
    if row is None:
        return JSONResponse(schemas.ResultsOut().model_dump())
    computed_ms, vote_count, last_event_id, seconds, stored = row
    head = json.dumps(
        {"computed_ms": computed_ms, "vote_count": vote_count, "last_event_id": last_event_id, "seconds": seconds}
    )
    return Response(f'{head[:-1]}, "results": {stored}}}', media_type="application/json")


# --- invitations --------------------------------------------------------------------------------


@router.post(
    "/conversations/{conversation_id}/invitations",
    response_model=list[schemas.InvitationOut],
    status_code=201,
    tags=["invitations"],
)
def create_invitations(conversation_id: str, body: schemas.InvitationsIn, request: Request):
    """New one-time codes; the codes appear in this response only."""
    with transaction(request) as session:
        conversation = find_conversation(session, conversation_id)
        issued = invitations.issue_codes(session, current_user(request, session), conversation, body.count)
        return [{"hint": i.hint, "code": i.code, "created_ms": i.created_ms, "used": False} for i in issued]


@router.get(
    "/conversations/{conversation_id}/invitations", response_model=list[schemas.InvitationOut], tags=["invitations"]
)
def list_invitations(conversation_id: str, request: Request):
    with transaction(request) as session:
        conversation = find_conversation(session, conversation_id)
        return [
            {"hint": i.hint, "created_ms": i.created_ms, "used": i.used_ms is not None}
            for i in invitations.list_codes(session, current_user(request, session), conversation)
        ]


@router.get("/health", tags=["meta"])
def health():
    return {"status": "ok"}
