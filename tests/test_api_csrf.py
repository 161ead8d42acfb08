"""Cross-site request forgery, tried on every state-changing route of the app (API and pages, taken
from the app's own route list so that a new route is covered the day it is added), on SQLite and on
PostgreSQL: a request that carries a moderator's session cookie or a participant's cookie and not
the token derived from it is refused with 403 and changes nothing, whatever its body (a multipart
form as ``curl -F`` or another site's ``<form enctype="multipart/form-data">`` sends it, text/plain,
nothing at all); the same request with its token is not refused for CSRF.

Only the declared upload routes may read their form before the token (to authorise the sender
before reading the upload); they check it before acting, and until they have, the service is out of
their reach (:func:`concord.web.context.runtime`).
"""

from __future__ import annotations

import io
import re
from functools import cache

import pytest
from babel.messages.pofile import read_po, write_po
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select

from api_helpers import SMALL_CONVERSATION, ok, zip_folder
from concord.service.errors import Forbidden
from concord.store.models import Base, Conversation, Vote
from concord.web.context import (
    SESSION_COOKIE,
    bound_csrf,
    csrf_protect,
    form_upload,
    is_form_upload,
    runtime,
    upload_form,
)
from concord.web.guards import BODY_LIMIT, UPLOAD_ROUTES

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
CHANGING_ON_THEIR_OWN = {"analysis_leases", "rate_buckets"}  # neither is touched with live analysis off


@cache
def served_routes() -> list[tuple[str, str, bool]]:
    """(method, path template, declared an upload form) of every state-changing route the app serves."""
    from concord.web.app import create_app

    app = create_app("sqlite://", live_analysis=False, rate_limits=False)
    try:
        return sorted(
            (method, route.path, is_form_upload(route.endpoint))
            for route in iter_route_contexts(app.routes)
            for method in (route.methods or ())
            if method in UNSAFE and route.path
        )
    finally:
        app.state.concord.close()


def unsafe_routes() -> list[tuple[str, str]]:
    return [(method, path) for method, path, _ in served_routes()]


def form_uploads() -> set[str]:
    return {path for _, path, upload in served_routes() if upload}


def every_row(app) -> dict[str, list]:
    """Every row of every table: what a refused request must leave as it was."""
    with app.state.concord.sessions.begin() as session:
        return {
            table.name: sorted(map(repr, session.execute(select(table)).all()))
            for table in Base.metadata.sorted_tables
            if table.name not in CHANGING_ON_THEIR_OWN
        }


class World:
    """The site of conftest's ``site`` fixture, with a budget and its project, a volunteer's
    translation waiting for a moderator, a proposal put to the spaces below /a/b, and a participant
    who votes from a browser (its token in a cookie)."""

    def __init__(self, site) -> None:
        self.site = site
        self.space_id = site.spaces["/a/b"]["id"]
        admin, headers = site.admin, site.headers
        budget = {"name": "District budget", "amount": "1000"}
        self.budget = ok(admin.post(f"/api/spaces/{self.space_id}/budgets", json=budget, headers=headers), 201)["id"]
        self.project = ok(admin.post(f"/api/budgets/{self.budget}/projects", json={"name": "Wells", "cost": 400},
                                     headers=headers), 201)["number"]  # fmt: skip
        volunteer = site.person()
        offered = {"subject": "statement", "statement": site.seeds[0], "language": "fr", "text": "L'eau d'abord"}
        self.translation = ok(volunteer.client.post(f"/api/conversations/{site.conversation}/translations",
                                                    json=offered, headers=volunteer.headers), 201)["id"]  # fmt: skip
        self.proposal = ok(admin.post(f"/api/spaces/{self.space_id}/proposals",
                                      json={"text": "Wells before roads", "rule": {"name": "double-majority"}},
                                      headers=headers), 201)["id"]  # fmt: skip
        self.participant = TestClient(site.app)
        joined = ok(self.participant.post(f"/api/conversations/{site.conversation}/participants", json={}), 201)
        assert self.participant.cookies.get("concord_participant") == joined["token"]
        self.participant_token = joined["csrf_token"]
        self.moderator_token = headers["X-CSRF-Token"]

    def url(self, template: str) -> str:
        values = {
            "space_id": self.space_id,
            "proposal_id": self.proposal,
            "conversation_id": self.site.conversation,
            "budget_id": self.budget,
            "number": self.project if "{budget_id}" in template else self.site.seeds[0],
            "translation_id": self.translation,
            "language": "fr",
            "what": str(self.site.seeds[0]),  # a statement's number
            "subject": "name",
        }
        return re.sub(r"\{(\w+)(?::\w+)?\}", lambda name: str(values[name.group(1)]), template)


def forged_form(world: World, template: str) -> tuple[dict, dict]:
    """The fields a forging page would send: what each route takes to act (fields a route does not
    take are ignored), and for the upload routes a real file."""
    fields = {
        "statement": str(world.site.seeds[0]),
        "vote": "disagree",
        "open": "false",
        "confirmed": "true",
        "status": "rejected",
        "reason": "forged",
        "count": "3",
        "text": "A statement another site wrote",
        "topic": "Forged",
        "name": "Forged",
        "slug": "forged",
        "amount": "5",
        "cost": "1",
        "remove": "true",
        "weight": "9",
        "agree": "100",
        "disagree": "1",
        "place": str(world.site.spaces["/a/b/c"]["id"]),
        "language": "fr",
        "proposal": "true",
        "participants": "0",
        "verdict": "real",
        "mode": "equal",
        "into": "fr",
        "username": "admin",
        "password": "a long enough password",
    }
    if template.endswith("/imports"):  # an upload form takes its own few fields
        return {"topic": "Forged"}, {"file": ("london.zip", zip_folder(SMALL_CONVERSATION), "application/zip")}
    if template.endswith("/po"):
        return {"into": "fr"}, {"file": ("fr.po", b'msgid ""\nmsgstr ""\n', "text/x-gettext-translation")}
    if template.endswith("/budget-imports"):
        return {}, {"file": ("forged.pb", b"META\nkey;value\n", "text/plain")}
    return fields, {}


def refused_for_csrf(response) -> bool:
    return response.status_code == 403 and "CSRF" in response.text


def refused(response, authorised_first: bool) -> bool:
    """Refused for CSRF, or, by an upload form that authorises its sender first, as no moderator's."""
    return response.status_code in (401, 403) if authorised_first else refused_for_csrf(response)


@pytest.fixture
def world(site) -> World:
    return World(site)


def test_the_route_list_is_the_apps_own():
    routes = unsafe_routes()
    assert len(routes) >= 60
    assert {
        ("POST", "/api/conversations/{conversation_id}/close"),
        ("POST", "/api/budgets/{budget_id}/close"),
        ("POST", "/c/{conversation_id}/state"),
        ("POST", "/c/{conversation_id}/moderation/{number}"),
        ("POST", "/c/{conversation_id}/invitations"),
        ("POST", "/c/{conversation_id}/vote"),
        ("POST", "/spaces/{space_id}/imports"),
    } <= set(routes)


def test_only_the_upload_forms_read_their_token_after_authorising_the_sender():
    """They alone may take a multipart request without the X-CSRF-Token header before reading it;
    each is an upload route of the request guards (else its body would be small enough to read first)."""
    assert form_uploads() == {
        "/api/spaces/{space_id}/imports",
        "/spaces/{space_id}/imports",
        "/spaces/{space_id}/budget-imports",
        "/c/{conversation_id}/translations/po",
    }
    for template in form_uploads():
        path = template.replace("{space_id}", "7").replace("{conversation_id}", "abc")
        assert any(route.match(path) and most > BODY_LIMIT for route, most in UPLOAD_ROUTES), template


def test_an_upload_form_that_forgets_its_token_cannot_reach_the_service():
    """The safety net of the declaration: until a declared upload form has checked the token of a
    multipart request without the header, ``runtime(request)`` refuses it."""
    router = APIRouter(dependencies=[Depends(csrf_protect)])

    @router.post("/forgetful")
    @form_upload
    async def forgetful(request: Request) -> dict:
        return {"acted": runtime(request) == "the service"}

    @router.post("/careful")
    @form_upload
    async def careful(request: Request) -> dict:
        form = await upload_form(request, lambda service, who: None, max_files=1, max_fields=3)
        return {"acted": runtime(request) == "the service", "fields": sorted(form)}

    app = FastAPI()
    app.state.concord = "the service"
    app.include_router(router)
    client = TestClient(app, cookies={SESSION_COOKIE: "a session"})
    token = bound_csrf("session", "a session")
    upload = {"file": ("x.txt", b"x", "text/plain")}
    with pytest.raises(Forbidden):
        client.post("/forgetful", files=upload)
    with pytest.raises(Forbidden):
        client.post("/forgetful", files=upload, data={"csrf_token": token})  # never read: refused all the same
    assert ok(client.post("/forgetful", files=upload, headers={"X-CSRF-Token": token})) == {"acted": True}
    with pytest.raises(Forbidden):
        client.post("/careful", files=upload)
    with pytest.raises(Forbidden):
        client.post("/careful", files=upload, data={"csrf_token": "forged"})
    taken = ok(client.post("/careful", files=upload, data={"csrf_token": token}))
    assert taken == {"acted": True, "fields": ["csrf_token", "file"]}
    with pytest.raises(Forbidden):  # nor without any cookie: a page form repeats its double-submit cookie
        TestClient(app).post("/forgetful", files=upload)


def test_a_cookie_without_its_token_changes_nothing_on_any_route(world):
    """Once ``curl -b concord_session=$S -F x=1 -X POST $B/api/conversations/$C/close`` closed the
    conversation: a multipart body skipped the check. Every route is tried on one site (a refused
    request changes nothing, which is checked after each), and each that is wrong is named."""
    app, wrong_routes = world.site.app, []
    before = every_row(app)
    for method, template in unsafe_routes():
        url = world.url(template)
        fields, files = forged_form(world, template)
        for client in (world.site.admin, world.participant):
            # An upload form authorises its sender before reading anything: a participant is no moderator.
            first = template in form_uploads() and client is world.participant
            forged = client.request(method, url, data=fields, files=files or {"attached": ("x.txt", b"x")},
                                    follow_redirects=False)  # fmt: skip
            plain = client.request(method, url, content=b"x=1", headers={"Content-Type": "text/plain"},
                                   follow_redirects=False)  # fmt: skip
            bare = client.request(method, url, follow_redirects=False)
            wrong = client.request(method, url, data={**fields, "csrf_token": "forged"}, files=files or None,
                                   follow_redirects=False)  # fmt: skip
            answers = {"multipart": (forged, refused(forged, first)), "text/plain": (plain, refused_for_csrf(plain)),
                       "no body": (bare, refused_for_csrf(bare)),
                       "wrong token": (wrong, refused(wrong, first and bool(files)))}  # fmt: skip
            for how, (answer, was_refused) in answers.items():
                if not was_refused:
                    wrong_routes.append(f"{method} {template} ({how}): {answer.status_code} {answer.text[:120]}")
        if every_row(app) != before:
            wrong_routes.append(f"{method} {template}: changed something")
            before = every_row(app)
    assert not wrong_routes, "\n".join(wrong_routes)
    # The same forms with the credential's token are not refused for CSRF (whatever else they get, and
    # whatever they change: this comes last; each is sent with the credential it started with, though a
    # route before it logged out or forgot the participant).
    credentials = {id(client): dict(client.cookies) for client in (world.site.admin, world.participant)}
    for method, template in unsafe_routes():
        url = world.url(template)
        fields, files = forged_form(world, template)
        for client, token in ((world.site.admin, world.moderator_token), (world.participant, world.participant_token)):
            client.cookies.clear()
            client.cookies.update(credentials[id(client)])
            sent = client.request(method, url, data={**fields, "csrf_token": token}, files=files or None,
                                  follow_redirects=False)  # fmt: skip
            if refused_for_csrf(sent):
                wrong_routes.append(f"{method} {template} with its token: {sent.status_code} {sent.text[:120]}")
    assert not wrong_routes, "\n".join(wrong_routes)


# --- positive controls: with the token, the forged requests' targets do act ------------------------


def multipart(client: TestClient, url: str, token: str, method: str = "POST", files: dict | None = None, **fields):
    form_files = files or {"attached": ("x.txt", b"x", "text/plain")}  # a multipart body, as curl -F sends
    return client.request(method, url, data={**fields, "csrf_token": token}, files=form_files, follow_redirects=False)


def test_closing_a_conversation_or_a_budget_with_the_token_in_a_multipart_form_works(world):
    site = world.site
    closed = ok(multipart(site.admin, f"/api/conversations/{site.conversation}/close", world.moderator_token))
    assert closed["is_open"] is False
    assert ok(multipart(site.admin, f"/api/budgets/{world.budget}/close", world.moderator_token))["state"] == "closed"
    # … and with the token in the header, as scripts send it.
    reopened = site.admin.post(f"/api/conversations/{site.conversation}/reopen", files={"x": ("x", b"1")},
                               headers=site.headers)  # fmt: skip
    assert ok(reopened)["is_open"] is True
    state = multipart(site.admin, f"/c/{site.conversation}/state", world.moderator_token,
                      open="false", confirmed="true")  # fmt: skip
    assert state.status_code == 303, state.text[:300]
    with site.app.state.concord.sessions.begin() as session:
        assert session.scalar(select(Conversation.is_open).where(Conversation.public_id == site.conversation)) is False


def test_a_page_vote_with_the_participants_token_in_a_multipart_form_is_counted(world):
    site = world.site
    voted = multipart(world.participant, f"/c/{site.conversation}/vote", world.participant_token,
                      statement=str(site.seeds[0]), vote="disagree")  # fmt: skip
    assert voted.status_code == 303, voted.text[:300]
    with site.app.state.concord.sessions.begin() as session:
        assert session.scalars(select(Vote.value)).all() == [-1]


def test_uploads_with_their_token_are_taken(world):
    site = world.site
    export = {"file": ("london.zip", zip_folder(SMALL_CONVERSATION), "application/zip")}
    imported = multipart(site.admin, f"/api/spaces/{world.space_id}/imports", world.moderator_token, files=export)
    assert ok(imported, 201)["participants"] == 27
    page_import = multipart(site.admin, f"/spaces/{world.space_id}/imports", world.moderator_token, files=export)
    assert page_import.status_code == 303, page_import.text[:300]
    po = site.admin.get(f"/c/{site.conversation}/translations/po?into=fr")
    catalog = read_po(io.BytesIO(po.content))
    for message in catalog:
        if message.id and not message.string:
            message.string = "Traduit"
    buffer = io.BytesIO()
    write_po(buffer, catalog)
    uploaded = multipart(site.admin, f"/c/{site.conversation}/translations/po", world.moderator_token, into="fr",
                         files={"file": ("fr.po", buffer.getvalue(), "text/x-gettext-translation")})  # fmt: skip
    assert uploaded.status_code == 200 and "CSRF" not in uploaded.text, uploaded.text[:300]
