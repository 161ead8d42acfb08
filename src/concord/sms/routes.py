"""Kannel's callback: ``GET /sms/kannel?secret=…&from=%p&to=%P&text=%a&coding=%c&charset=%C``, one per
incoming SMS; the answer's body is the reply smsbox sends back. Not a browser's form: the gateway's
secret authenticates it (no cookie, so no CSRF token), and it is left out of the API's description.

Answers: 200 with the reply (``X-Kannel-Coding: 2`` when it is not GSM text); 200 with an empty body
for a text over the rate limits (``omit-empty`` has smsbox send nothing: a flood is not answered by
texts); 403 without the gateway's secret, or with a wrong one; 400 for a request that carries no
message; 422 for a receiving number that is none. Nothing is stored on any refusal. The phone's number
is in the query string, never in the path, and nothing here logs it."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import Response

from concord.service.errors import Forbidden, Invalid, RateLimited
from concord.service.runtime import Runtime
from concord.service.sms.dialogue import answer_text
from concord.sms.gateway import Gateway, GatewayError, HttpAnswer
from concord.sms.kannel import PATH, KannelGateway
from concord.sms.texts import Catalogue, reply_text

MEDIA_TYPE = "text/plain; charset=utf-8"


def sms_router(catalogue: Catalogue) -> APIRouter:
    """The gateways' callbacks; ``catalogue`` gives the interface translations a reply is worded with."""
    router = APIRouter()
    kannel = KannelGateway()

    @router.get(PATH, include_in_schema=False)
    def kannel_callback(request: Request) -> Response:
        runtime: Runtime = request.app.state.concord
        return _response(answered(runtime, kannel, catalogue, request.scope.get("query_string", b""), request.headers))

    return router


def answered(
    runtime: Runtime, gateway: Gateway, catalogue: Catalogue, query: bytes, headers: Mapping[str, str]
) -> HttpAnswer:
    """One incoming message through ``gateway``: read, answered by the dialogue, worded, rendered."""
    try:
        incoming = gateway.incoming(query, headers, b"")
    except GatewayError as error:
        return HttpAnswer(400, f"{error}\n")
    try:
        reply = answer_text(runtime, incoming.secret, incoming.receiver, incoming.sender, incoming.text)
    except Forbidden as refused:
        return HttpAnswer(403, f"{refused.message}\n")
    except RateLimited as refused:
        answer = gateway.reply("")
        return HttpAnswer(answer.status, "", {**answer.headers, "Retry-After": str(max(1, round(refused.retry_after)))})
    except Invalid as refused:
        return HttpAnswer(422, f"{refused.message}\n")
    return gateway.reply(reply_text(reply, catalogue))


def _response(answer: HttpAnswer) -> Response:
    return Response(answer.body, status_code=answer.status, headers=answer.headers, media_type=MEDIA_TYPE)
