"""The latest analysis of a conversation, and a moderator's verdict on a bloc it suspects."""

from __future__ import annotations

import json

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from concord.service.conversations import blocs, results
from concord.web import schemas
from concord.web.api.routing import api_router
from concord.web.context import caller, runtime

router = api_router("results")


@router.get("/conversations/{conversation_id}/results", response_model=schemas.ResultsOut)
def get_results(conversation_id: str, request: Request) -> Response:
    """The latest analysis (opinion groups, consensus, bridging, declared groups, map), with the time and
    vote count it was computed at. It trails new votes by about a second.

    The stored JSON is sent as it is, never parsed and re-encoded: this endpoint is polled by every
    open results page while votes stream in."""
    stored = results.stored_results(runtime(request), conversation_id)
    if stored is None:
        return JSONResponse(schemas.ResultsOut().model_dump())
    head = json.dumps(
        {
            "computed_ms": stored.computed_ms,
            "vote_count": stored.vote_count,
            "last_event_id": stored.last_event_id,
            "seconds": stored.seconds,
            "log_size": stored.log_size,
        }
    )
    return Response(f'{head[:-1]}, "results": {stored.results_json}}}', media_type="application/json")


@router.post("/conversations/{conversation_id}/blocs", response_model=schemas.BlocDecisionOut, status_code=201)
def decide_bloc(conversation_id: str, body: schemas.BlocDecisionIn, request: Request) -> dict:
    """A moderator's verdict on accounts the analysis suspects of acting as one bloc (they vote alike
    and arrived together, ``results.blocs``): ``real`` people, each counted, or ``coordinated``, counted
    once. The reason is published in the moderation log. Refused (409) once the conversation is closed."""
    decision = blocs.decide_bloc(
        runtime(request), caller(request), conversation_id, body.participants, body.verdict, body.reason
    )
    return {
        "participants": decision.participants,
        "verdict": decision.verdict,
        "reason": decision.reason,
        "time_ms": decision.created_ms,
    }
