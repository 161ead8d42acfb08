"""The JSON API (src/concord/web/api.py), every route, on SQLite and on a real PostgreSQL server.

Each test gets a fresh database (the ``database_url`` fixture in conftest.py is parametrised over both
backends). Besides the status codes, the tests check that a refused request stored nothing: the row
counts of every table (and the conversations' settings and counters) are the same before and after.
"""

from __future__ import annotations

import csv
import io
import json
import time
import unicodedata
import zipfile
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from concord.service import participation, voting
from concord.store.models import (
    AnalysisRecord,
    Conversation,
    Invitation,
    ModerationEvent,
    Participant,
    Space,
    SpaceRole,
    Statement,
    User,
    Vote,
    VoteEvent,
)
from conftest import POLIS_DATA, log_in

SMALL_CONVERSATION = POLIS_DATA / "london.youth.policing"
EXPORT_FILES = {"votes.csv", "comments.csv", "participants-votes.csv", "summary.csv", "conversation.json"}


# --- helpers ------------------------------------------------------------------------------------


def error_of(response, status: int, code: str | None = None, reason: str | None = None) -> dict:
    """The ``{"error": {code, message, reason}}`` body of a refused API request."""
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {response.text}"
    body = response.json()
    assert set(body) == {"error"}, body
    detail = body["error"]
    assert {"code", "message", "reason"} <= set(detail), detail
    assert isinstance(detail["message"], str) and detail["message"], detail
    if code is not None:
        assert detail["code"] == code, detail
    if reason is not None:
        assert detail["reason"] == reason, detail
    return detail


def ok(response, status: int = 200):
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {response.text}"
    return response.json() if response.content else None


def snapshot(app) -> dict:
    """Everything a refused request must leave as it was."""
    with app.state.concord.sessions.begin() as session:

        def count(model) -> int:
            return session.scalar(select(func.count()).select_from(model))

        state = {
            model.__tablename__: count(model)
            for model in (
                Space,
                User,
                SpaceRole,
                Conversation,
                Participant,
                Statement,
                ModerationEvent,
                Invitation,
                Vote,
                VoteEvent,
                AnalysisRecord,
            )
        }
        state["invitations_used"] = session.scalar(
            select(func.count()).select_from(Invitation).where(Invitation.used_ms.is_not(None))
        )
        state["conversations_rows"] = [
            (
                c.public_id,
                c.topic,
                c.description,
                c.language,
                c.is_open,
                c.moderation,
                c.participants_can_write,
                c.access,
                c.max_statement_length,
                json.dumps(c.attributes),
                c.next_statement_number,
                c.next_participant_number,
            )
            for c in session.scalars(select(Conversation).order_by(Conversation.id))
        ]
        state["statements_rows"] = session.execute(
            select(Statement.id, Statement.status, Statement.text).order_by(Statement.id)
        ).all()
        state["participants_rows"] = [
            (p.id, p.token_hash, p.xid, json.dumps(p.attributes, sort_keys=True))
            for p in session.scalars(select(Participant).order_by(Participant.id))
        ]
        state["votes_rows"] = session.execute(
            select(Vote.participant_id, Vote.statement_id, Vote.value).order_by(Vote.participant_id, Vote.statement_id)
        ).all()
        return state


def db_id(app, public_id: str) -> int:
    with app.state.concord.sessions.begin() as session:
        return session.scalar(select(Conversation.id).where(Conversation.public_id == public_id))


def table_count(app, model, **where) -> int:
    with app.state.concord.sessions.begin() as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return session.scalar(query)


@dataclass
class Person:
    """An anonymous participant with a browser (cookie jar) of their own; by default it sends its
    token in the X-Participant-Token header, as API clients do."""

    client: TestClient
    conversation: str
    token: str | None = None
    number: int | None = None
    csrf: str | None = None

    @property
    def headers(self) -> dict:
        return {"X-Participant-Token": self.token} if self.token else {}

    def join(self, **body):
        response = self.client.post(
            f"/api/conversations/{self.conversation}/participants", json=body, headers=self.headers
        )
        if response.status_code == 201:
            data = response.json()
            self.token, self.number, self.csrf = data["token"], data["number"], data["csrf_token"]
        return response

    def vote(self, statement, vote: str = "agree"):
        return self.client.post(
            f"/api/conversations/{self.conversation}/votes",
            json={"statement": statement, "vote": vote},
            headers=self.headers,
        )

    def write(self, text):
        return self.client.post(
            f"/api/conversations/{self.conversation}/statements", json={"text": text}, headers=self.headers
        )

    def next(self) -> dict:
        return ok(self.client.get(f"/api/conversations/{self.conversation}/next", headers=self.headers))

    def me(self):
        return self.client.get(f"/api/conversations/{self.conversation}/me", headers=self.headers)


@dataclass
class Site:
    """Spaces /a, /a/b, /a/b/c and /x, made by an administrator, and a conversation in /a/b."""

    app: object
    admin: TestClient
    headers: dict
    spaces: dict[str, dict] = field(default_factory=dict)
    conversation: str = ""

    def space(self, slug: str, parent: str | None = None, **extra) -> dict:
        body = {"slug": slug, "name": slug.upper(), "parent_id": self.spaces[parent]["id"] if parent else None, **extra}
        made = ok(self.admin.post("/api/spaces", json=body, headers=self.headers), 201)
        self.spaces[made["path"]] = made
        return made

    def new_conversation(self, path: str = "/a/b", **settings) -> str:
        body = {"topic": "How should the district spend its budget?", **settings}
        made = ok(
            self.admin.post(f"/api/spaces/{self.spaces[path]['id']}/conversations", json=body, headers=self.headers),
            201,
        )
        return made["id"]

    def seed(self, conversation: str, *texts: str) -> list[int]:
        return [
            ok(
                self.admin.post(
                    f"/api/conversations/{conversation}/statements", json={"text": text}, headers=self.headers
                ),
                201,
            )["number"]
            for text in texts
        ]

    def person(self, conversation: str | None = None, join: bool = True, **body) -> Person:
        someone = Person(TestClient(self.app), conversation or self.conversation)
        if join:
            ok(someone.join(**body), 201)
        return someone

    def moderate(self, conversation: str, number: int, status: str, reason: str = ""):
        return self.admin.post(
            f"/api/conversations/{conversation}/statements/{number}/moderation",
            json={"status": status, "reason": reason},
            headers=self.headers,
        )


SEEDS = [
    "Clean water should reach every village first",
    "Schools need more women teachers",
    "Roads between provinces must be repaired",
    "Local councils should control their own budget",
]


@pytest.fixture
def site(app, client, admin_headers) -> Site:
    built = Site(app, client, admin_headers)
    built.space("a")
    built.space("b", "/a")
    built.space("c", "/a/b")
    built.space("x")
    built.conversation = built.new_conversation()
    built.seed(built.conversation, *SEEDS)
    return built


def small_site(app, admin: TestClient) -> Site:
    """Spaces /a and /a/b and a conversation in /a/b, on an app made with other options than ``site``'s."""
    built = Site(app, admin, log_in(admin))
    built.space("a")
    built.space("b", "/a")
    built.conversation = built.new_conversation()
    return built


def moderator_of(site: Site, path: str, username: str = "zarghuna.moderator") -> tuple[TestClient, dict]:
    other = TestClient(site.app)
    return other, log_in(other, username, admin=False, spaces=(path,))


def bulk_votes(app, public_id: str, rows: list[list[int | None]], attributes: list[dict] | None = None) -> list[int]:
    """Participants joined and votes cast through the service layer in one transaction (fast set-up
    for analyses); ``rows[i][j]`` is participant i's vote on statement j (None: not seen)."""
    numbers = []
    names = {1: "agree", -1: "disagree", 0: "pass"}
    with app.state.concord.sessions.begin() as session:
        conversation = session.scalar(select(Conversation).where(Conversation.public_id == public_id))
        for i, row in enumerate(rows):
            joined = participation.join(session, conversation, attributes=(attributes or [None] * len(rows))[i])
            numbers.append(joined.participant.number)
            for statement, value in enumerate(row):
                if value is not None:
                    voting.record_vote(session, conversation, joined.participant, statement, names[value])
    return numbers


def zip_folder(folder, prefix: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            if path.suffix == ".csv":
                archive.write(path, prefix + path.name)
    return buffer.getvalue()


# --- meta -------------------------------------------------------------------------------------


def test_health(client):
    assert ok(client.get("/api/health")) == {"status": "ok"}


EXPECTED_ROUTES = {
    ("POST", "/api/session"),
    ("GET", "/api/session"),
    ("DELETE", "/api/session"),
    ("GET", "/api/spaces"),
    ("POST", "/api/spaces"),
    ("GET", "/api/spaces/{space_id}"),
    ("POST", "/api/spaces/{space_id}/moderators"),
    ("POST", "/api/spaces/{space_id}/conversations"),
    ("POST", "/api/spaces/{space_id}/imports"),
    ("GET", "/api/conversations/{conversation_id}"),
    ("PATCH", "/api/conversations/{conversation_id}"),
    ("POST", "/api/conversations/{conversation_id}/close"),
    ("POST", "/api/conversations/{conversation_id}/reopen"),
    ("GET", "/api/conversations/{conversation_id}/export"),
    ("GET", "/api/conversations/{conversation_id}/statements"),
    ("POST", "/api/conversations/{conversation_id}/statements"),
    ("POST", "/api/conversations/{conversation_id}/statements/{number}/moderation"),
    ("GET", "/api/conversations/{conversation_id}/moderation-log"),
    ("POST", "/api/conversations/{conversation_id}/participants"),
    ("GET", "/api/conversations/{conversation_id}/me"),
    ("PUT", "/api/conversations/{conversation_id}/me/attributes"),
    ("GET", "/api/conversations/{conversation_id}/next"),
    ("POST", "/api/conversations/{conversation_id}/votes"),
    ("GET", "/api/conversations/{conversation_id}/results"),
    ("POST", "/api/conversations/{conversation_id}/invitations"),
    ("GET", "/api/conversations/{conversation_id}/invitations"),
    ("GET", "/api/health"),
}


def test_openapi_lists_every_api_route(app, client):
    spec = ok(client.get("/openapi.json"))
    documented = {
        (method.upper(), path) for path, item in spec["paths"].items() for method in item if path.startswith("/api/")
    }
    from concord.web.api import RESOURCES

    served = {
        (method, route.path)
        for resource in RESOURCES
        for route in resource.router.routes
        for method in route.methods
        if method != "HEAD"
    }
    assert served == EXPECTED_ROUTES, "a route was added or removed: update EXPECTED_ROUTES and its tests"
    assert documented == served
    # Refusals are documented with the error body, and request bodies with their schema.
    vote = spec["paths"]["/api/conversations/{conversation_id}/votes"]["post"]
    assert {"400", "404", "409", "422", "429"} <= set(vote["responses"])
    assert "ErrorOut" in json.dumps(vote["responses"]["409"])
    assert "VoteIn" in json.dumps(vote["requestBody"])
    assert {"ErrorDetail", "ConversationIn", "ResultsOut"} <= set(spec["components"]["schemas"])


# --- accounts -----------------------------------------------------------------------------------


def test_log_in_sets_an_httponly_session_cookie_and_a_readable_csrf_cookie(app, client):
    with app.state.concord.sessions.begin() as session:
        from concord.service import accounts

        accounts.create_user(session, "bashir", "a long enough password")
    response = client.post("/api/session", json={"username": "bashir", "password": "a long enough password"})
    body = ok(response)
    assert body["username"] == "bashir" and body["is_admin"] is False and body["csrf_token"]
    cookies = {header.split("=", 1)[0]: header.lower() for header in response.headers.get_list("set-cookie")}
    assert "httponly" in cookies["concord_session"] and "samesite=lax" in cookies["concord_session"]
    assert "httponly" not in cookies["concord_csrf"]  # scripts must read it to repeat it
    assert client.cookies["concord_csrf"] == body["csrf_token"]
    assert ok(client.get("/api/session")) == body
    # Only the hash of the session token is stored.
    with app.state.concord.sessions.begin() as session:
        from concord.store.models import LoginSession

        stored = session.scalars(select(LoginSession.token_hash)).all()
    assert len(stored) == 1 and client.cookies["concord_session"] not in stored


def test_wrong_password_and_unknown_user_get_the_same_401(client):
    log_in(client, "admin")
    anonymous = TestClient(client.app)
    wrong = error_of(
        anonymous.post("/api/session", json={"username": "admin", "password": "not the password"}), 401, "unauthorized"
    )
    unknown = error_of(
        anonymous.post("/api/session", json={"username": "nobody", "password": "not the password"}), 401, "unauthorized"
    )
    assert wrong["message"] == unknown["message"]  # no telling which usernames exist
    assert "concord_session" not in anonymous.cookies
    error_of(anonymous.get("/api/session"), 401, "unauthorized")
    error_of(anonymous.post("/api/session", json={"username": "admin"}), 422, "invalid")
    error_of(
        anonymous.post("/api/session", json={"username": "admin", "password": "x" * 12, "admin": True}), 422, "invalid"
    )


def test_log_out_needs_the_csrf_token_and_ends_the_session(client, admin_headers):
    error_of(client.delete("/api/session"), 403, "forbidden")
    error_of(client.delete("/api/session", headers={"X-CSRF-Token": "forged"}), 403, "forbidden")
    assert ok(client.get("/api/session"))["username"] == "admin"
    assert client.delete("/api/session", headers=admin_headers).status_code == 204
    assert "concord_session" not in client.cookies
    error_of(client.get("/api/session"), 401, "unauthorized")


def test_login_flood_is_refused_with_retry_after(make_app, login):
    app = make_app(rate_limits=True)
    client = TestClient(app)
    log_in(client, "admin")  # one attempt of the five
    stranger = TestClient(app)
    for _ in range(4):
        error_of(stranger.post("/api/session", json={"username": "admin", "password": "guessing guess"}), 401)
    refused = stranger.post("/api/session", json={"username": "admin", "password": "a long enough password"})
    error_of(refused, 429, "rate_limited", "rate_limited")
    assert int(refused.headers["Retry-After"]) >= 1
    assert "concord_session" not in stranger.cookies


# --- malformed requests -------------------------------------------------------------------------


def json_routes(site: Site) -> list[tuple[str, str]]:
    c, space = site.conversation, site.spaces["/a"]["id"]
    return [
        ("POST", "/api/session"),
        ("POST", "/api/spaces"),
        ("POST", f"/api/spaces/{space}/moderators"),
        ("POST", f"/api/spaces/{space}/conversations"),
        ("PATCH", f"/api/conversations/{c}"),
        ("POST", f"/api/conversations/{c}/statements"),
        ("POST", f"/api/conversations/{c}/statements/0/moderation"),
        ("POST", f"/api/conversations/{c}/participants"),
        ("PUT", f"/api/conversations/{c}/me/attributes"),
        ("POST", f"/api/conversations/{c}/votes"),
        ("POST", f"/api/conversations/{c}/invitations"),
    ]


@pytest.mark.parametrize("payload", [b'{"text": ', b"{'text': 'single quotes'}", b"not json at all", b'{"a": 1,}'])
def test_malformed_json_is_400_bad_json_everywhere_and_stores_nothing(site, payload):
    person = site.person()
    before = snapshot(site.app)
    for method, url in json_routes(site):
        for client, headers in ((site.admin, site.headers), (person.client, person.headers)):
            response = client.request(
                method, url, content=payload, headers={**headers, "Content-Type": "application/json"}
            )
            error_of(response, 400, "bad_json")
    assert snapshot(site.app) == before


def test_bodies_of_the_wrong_shape_are_422(site):
    person = site.person()
    before = snapshot(site.app)
    for method, url in json_routes(site):
        for body in ([1, 2], "text", {"unexpected_field": 1, "text": "x", "statement": 0, "vote": "agree"}):
            response = site.admin.request(method, url, json=body, headers=site.headers)
            error_of(response, 422, "invalid")
    error_of(person.vote("zero"), 422, "invalid")
    error_of(person.vote(0, "maybe"), 422, "invalid")
    error_of(
        person.client.post(
            f"/api/conversations/{site.conversation}/votes", json={"vote": "agree"}, headers=person.headers
        ),
        422,
        "invalid",
    )
    error_of(person.write(123), 422, "invalid")
    error_of(person.write(None), 422, "invalid")
    assert snapshot(site.app) == before


UNKNOWN_CONVERSATION_ROUTES = [
    ("GET", "", None),
    ("PATCH", "", {"topic": "New topic"}),
    ("POST", "/close", None),
    ("POST", "/reopen", None),
    ("GET", "/export", None),
    ("GET", "/statements", None),
    ("POST", "/statements", {"text": "A new statement"}),
    ("POST", "/statements/0/moderation", {"status": "accepted"}),
    ("GET", "/moderation-log", None),
    ("POST", "/participants", {}),
    ("GET", "/me", None),
    ("PUT", "/me/attributes", {"attributes": {}}),
    ("GET", "/next", None),
    ("POST", "/votes", {"statement": 0, "vote": "agree"}),
    ("GET", "/results", None),
    ("POST", "/invitations", {"count": 1}),
    ("GET", "/invitations", None),
]


def test_unknown_ids_are_404(site):
    before = snapshot(site.app)
    for method, suffix, body in UNKNOWN_CONVERSATION_ROUTES:
        response = site.admin.request(
            method, f"/api/conversations/no-such-conversation{suffix}", json=body, headers=site.headers
        )
        error_of(response, 404, "not_found")
    unknown_space = 987654
    for method, url, body in [
        ("GET", f"/api/spaces/{unknown_space}", None),
        ("POST", f"/api/spaces/{unknown_space}/moderators", {"username": "admin"}),
        ("POST", f"/api/spaces/{unknown_space}/conversations", {"topic": "Anything"}),
        ("POST", "/api/spaces", {"slug": "orphan", "name": "Orphan", "parent_id": unknown_space}),
        ("GET", "/api/spaces?path=/a/nowhere", None),
        ("POST", f"/api/conversations/{site.conversation}/statements/999/moderation", {"status": "accepted"}),
        ("POST", f"/api/spaces/{site.spaces['/a']['id']}/moderators", {"username": "nobody-here"}),
    ]:
        error_of(site.admin.request(method, url, json=body, headers=site.headers), 404, "not_found")
    error_of(
        site.admin.post(f"/api/spaces/{unknown_space}/imports", files={"file": ("x.zip", b"PK")}, headers=site.headers),
        404,
        "not_found",
    )
    person = site.person()
    before = snapshot(site.app)
    error_of(person.vote(999), 404, "not_found")
    error_of(TestClient(site.app).get(f"/api/conversations/{site.conversation}/me"), 404, "not_found")
    error_of(site.admin.get("/api/no-such-route"), 404, "not_found")
    assert snapshot(site.app) == before


ID_SIZES = [2**31 - 1, 2**31, 2**53, 2**63 - 1, 2**63, 2**80, -(2**63) - 1]


def test_ids_of_any_size_are_404_never_a_server_error(site):
    """Ids arrive as unbounded integers; one past the column's range is as unknown as any other (found:
    PostgreSQL refused ids >= 2**31 and SQLite ids >= 2**63 with a 500)."""
    safe = TestClient(site.app, raise_server_exceptions=False)
    safe.cookies.update(site.admin.cookies)
    person = site.person()
    before = snapshot(site.app)
    failures = []
    for number in ID_SIZES:
        for method, url, body, headers in [
            ("GET", f"/api/spaces/{number}", None, {}),
            ("POST", f"/api/spaces/{number}/conversations", {"topic": "Anything"}, site.headers),
            ("POST", "/api/spaces", {"slug": "orphan", "name": "Orphan", "parent_id": number}, site.headers),
            (
                "POST",
                f"/api/conversations/{site.conversation}/statements/{number}/moderation",
                {"status": "accepted"},
                site.headers,
            ),
            (
                "POST",
                f"/api/conversations/{site.conversation}/votes",
                {"statement": number, "vote": "agree"},
                {**person.headers, **site.headers},
            ),
        ]:
            response = safe.request(method, url, json=body, headers=headers)
            if response.status_code not in (404, 422) or "error" not in response.json():
                failures.append(f"{method} {url} {body}: {response.status_code}")
    assert not failures, "\n".join(failures)
    assert snapshot(site.app) == before


# --- spaces -------------------------------------------------------------------------------------


def test_spaces_nest_and_list_parents_before_children(site):
    listed = ok(site.admin.get("/api/spaces"))
    paths = [space["path"] for space in listed]
    assert sorted(paths) == ["/a", "/a/b", "/a/b/c", "/x"]
    for space in listed:
        if space["parent_id"] is not None:
            parent = next(s for s in listed if s["id"] == space["parent_id"])
            assert paths.index(parent["path"]) < paths.index(space["path"])
            assert space["path"].startswith(parent["path"] + "/")
    assert [s["path"] for s in ok(site.admin.get("/api/spaces", params={"path": "a/b/"}))] == ["/a/b"]
    assert [s["path"] for s in ok(TestClient(site.app).get("/api/spaces", params={"path": "/x"}))] == ["/x"]


def test_space_detail_shows_children_conversations_and_who_moderates(site):
    b = site.spaces["/a/b"]
    detail = ok(site.admin.get(f"/api/spaces/{b['id']}"))
    assert [child["path"] for child in detail["children"]] == ["/a/b/c"]
    assert [c["id"] for c in detail["conversations"]] == [site.conversation]
    assert detail["conversations"][0]["is_open"] is True
    assert detail["can_moderate"] is True
    assert ok(TestClient(site.app).get(f"/api/spaces/{b['id']}"))["can_moderate"] is False
    error_of(site.admin.get("/api/spaces/not-a-number"), 422, "invalid")


BAD_SPACES = [
    ({"slug": "Upper", "name": "Upper"}, 422),
    ({"slug": "has space", "name": "Space"}, 422),
    ({"slug": "-dash", "name": "Dash"}, 422),
    ({"slug": "", "name": "Empty"}, 422),
    ({"slug": "s" * 65, "name": "Long"}, 422),
    ({"slug": "ok", "name": "   "}, 422),
    ({"slug": "ok", "name": "n" * 201}, 422),
    ({"slug": "ok", "name": "Bad language", "language": "english!"}, 422),
    ({"slug": "ok", "name": "Bad language", "language": "e"}, 422),
    ({"slug": "ok", "name": "Null description", "description": None}, 422),
    ({"name": "No slug"}, 422),
    ({"slug": "a", "name": "Again"}, 409),
    ({"slug": "b", "name": "Again", "parent_id": "A"}, 422),
]


def test_bad_spaces_are_refused(site):
    before = snapshot(site.app)
    for body, status in BAD_SPACES:
        error_of(site.admin.post("/api/spaces", json=body, headers=site.headers), status)
    assert snapshot(site.app) == before


def test_long_language_tags_and_deep_paths_are_refused_or_stored_alike_on_every_database(site):
    """What the validators let through must fit the columns (found: PostgreSQL refused a 20-character
    language tag and a space path over 1024 characters with a 500, while SQLite stored them)."""
    safe = TestClient(site.app, raise_server_exceptions=False)
    safe.cookies.update(site.admin.cookies)
    tag = "en-abcdefgh-abcdefgh"  # a well-formed tag of 20 characters
    for url, body in [
        ("/api/spaces", {"slug": "lang", "name": "Lang", "language": tag}),
        (f"/api/spaces/{site.spaces['/x']['id']}/conversations", {"topic": "T", "language": tag}),
    ]:
        response = safe.post(url, json=body, headers=site.headers)
        assert response.status_code in (201, 422), response.text
        if response.status_code == 201:
            assert response.json()["language"] == tag
    parent = site.spaces["/x"]["id"]
    for depth in range(17):  # 17 slugs of 64 characters: a path of 1107 characters
        response = safe.post(
            "/api/spaces",
            json={"slug": f"{depth:02d}" + "s" * 62, "name": "Deep", "parent_id": parent},
            headers=site.headers,
        )
        assert response.status_code in (201, 422), f"depth {depth}: {response.status_code} {response.text}"
        if response.status_code == 422:
            break
        parent = response.json()["id"]
        assert ok(safe.get(f"/api/spaces/{parent}"))["path"] == response.json()["path"]


def test_only_administrators_create_top_level_spaces(site):
    moderator, headers = moderator_of(site, "/a")
    before = snapshot(site.app)
    error_of(moderator.post("/api/spaces", json={"slug": "mine", "name": "Mine"}, headers=headers), 403, "forbidden")
    error_of(TestClient(site.app).post("/api/spaces", json={"slug": "anon", "name": "Anon"}), 401, "unauthorized")
    assert snapshot(site.app) == before
    assert (
        ok(
            moderator.post(
                "/api/spaces",
                json={"slug": "mine", "name": "Mine", "parent_id": site.spaces["/a"]["id"]},
                headers=headers,
            ),
            201,
        )["path"]
        == "/a/mine"
    )


def test_a_moderator_of_a_b_acts_in_a_b_c_but_not_in_a_or_x(site):
    moderator, headers = moderator_of(site, "/a/b")
    ids = {path: space["id"] for path, space in site.spaces.items()}
    conversations = {path: site.new_conversation(path) for path in ("/a", "/a/b/c", "/x")}
    for path in conversations:
        site.seed(conversations[path], "A statement to moderate here")
        ok(site.person(conversations[path]).vote(0), 201)
    log_in(TestClient(site.app), "someone.else", admin=False)

    def allowed(path: str) -> None:
        assert (
            ok(
                moderator.post(
                    "/api/spaces", json={"slug": "new", "name": "New", "parent_id": ids[path]}, headers=headers
                ),
                201,
            )["path"]
            == f"{path}/new"
        )
        conversation = ok(
            moderator.post(f"/api/spaces/{ids[path]}/conversations", json={"topic": "Mine"}, headers=headers), 201
        )
        assert conversation["space_path"] == path
        assert (
            moderator.post(
                f"/api/spaces/{ids[path]}/moderators", json={"username": "someone.else"}, headers=headers
            ).status_code
            == 204
        )
        assert ok(moderator.get(f"/api/spaces/{ids[path]}"))["can_moderate"] is True
        c = conversations[path]
        assert (
            ok(
                moderator.post(
                    f"/api/conversations/{c}/statements/0/moderation",
                    json={"status": "rejected", "reason": "off topic"},
                    headers=headers,
                )
            )["status"]
            == "rejected"
        )
        assert (
            ok(moderator.patch(f"/api/conversations/{c}", json={"topic": "Renamed"}, headers=headers))["topic"]
            == "Renamed"
        )
        assert ok(moderator.post(f"/api/conversations/{c}/close", headers=headers))["is_open"] is False
        assert ok(moderator.get(f"/api/conversations/{c}/statements", params={"status": "all"}))
        assert (
            len(ok(moderator.post(f"/api/conversations/{c}/invitations", json={"count": 1}, headers=headers), 201)) == 1
        )
        assert moderator.get(f"/api/conversations/{c}/export").status_code == 200

    def refused(path: str) -> None:
        before = snapshot(site.app)
        c = conversations[path]
        for method, url, body in [
            ("POST", "/api/spaces", {"slug": "new", "name": "New", "parent_id": ids[path]}),
            ("POST", f"/api/spaces/{ids[path]}/conversations", {"topic": "Mine"}),
            ("POST", f"/api/spaces/{ids[path]}/moderators", {"username": "someone.else"}),
            ("POST", f"/api/conversations/{c}/statements/0/moderation", {"status": "rejected", "reason": "no"}),
            ("PATCH", f"/api/conversations/{c}", {"topic": "Renamed"}),
            ("POST", f"/api/conversations/{c}/close", None),
            ("POST", f"/api/conversations/{c}/invitations", {"count": 1}),
            ("GET", f"/api/conversations/{c}/invitations", None),
            ("GET", f"/api/conversations/{c}/statements?status=pending", None),
            ("GET", f"/api/conversations/{c}/export", None),
        ]:
            error_of(moderator.request(method, url, json=body, headers=headers), 403, "forbidden")
        assert ok(moderator.get(f"/api/spaces/{ids[path]}"))["can_moderate"] is False
        assert snapshot(site.app) == before

    allowed("/a/b/c")
    refused("/a")
    refused("/x")


def test_anonymous_users_cannot_moderate(site):
    anonymous = site.person()  # a participant: a token, no login
    c = site.conversation
    before = snapshot(site.app)
    for method, url, body in [
        ("POST", f"/api/spaces/{site.spaces['/a']['id']}/conversations", {"topic": "Mine"}),
        ("POST", f"/api/spaces/{site.spaces['/a']['id']}/moderators", {"username": "admin"}),
        ("POST", f"/api/conversations/{c}/statements/0/moderation", {"status": "rejected", "reason": "no"}),
        ("PATCH", f"/api/conversations/{c}", {"topic": "Renamed"}),
        ("POST", f"/api/conversations/{c}/close", None),
        ("POST", f"/api/conversations/{c}/reopen", None),
        ("POST", f"/api/conversations/{c}/invitations", {"count": 1}),
        ("GET", f"/api/conversations/{c}/invitations", None),
        ("GET", f"/api/conversations/{c}/statements?status=pending", None),
        ("GET", f"/api/conversations/{c}/statements?status=all", None),
        ("GET", f"/api/conversations/{c}/export", None),
        ("GET", "/api/session", None),
    ]:
        error_of(anonymous.client.request(method, url, json=body, headers=anonymous.headers), 401, "unauthorized")
    error_of(
        anonymous.client.post(
            f"/api/spaces/{site.spaces['/a']['id']}/imports",
            files={"file": ("x.zip", zip_folder(SMALL_CONVERSATION))},
            headers=anonymous.headers,
        ),
        401,
        "unauthorized",
    )
    assert snapshot(site.app) == before


def test_granting_a_moderator_gives_the_space_and_everything_below(site):
    bashir = TestClient(site.app)
    headers = log_in(bashir, "bashir", admin=False)
    b = site.spaces["/a/b"]["id"]
    error_of(bashir.post(f"/api/spaces/{b}/conversations", json={"topic": "T"}, headers=headers), 403)
    for _ in range(2):  # granting twice is harmless
        assert (
            site.admin.post(
                f"/api/spaces/{b}/moderators", json={"username": "bashir"}, headers=site.headers
            ).status_code
            == 204
        )
    assert table_count(site.app, SpaceRole) == 1
    ok(bashir.post(f"/api/spaces/{b}/conversations", json={"topic": "T"}, headers=headers), 201)
    ok(
        bashir.post(f"/api/spaces/{site.spaces['/a/b/c']['id']}/conversations", json={"topic": "T"}, headers=headers),
        201,
    )
    error_of(
        bashir.post(f"/api/spaces/{site.spaces['/a']['id']}/conversations", json={"topic": "T"}, headers=headers), 403
    )
    error_of(site.admin.post(f"/api/spaces/{b}/moderators", json={}, headers=site.headers), 422)


# --- CSRF ---------------------------------------------------------------------------------------


def test_cookie_authenticated_moderator_posts_need_the_csrf_token(site):
    before = snapshot(site.app)
    c, a = site.conversation, site.spaces["/a"]["id"]
    requests = [
        ("POST", "/api/spaces", {"slug": "new", "name": "New"}),
        ("POST", f"/api/spaces/{a}/conversations", {"topic": "T"}),
        ("POST", f"/api/spaces/{a}/moderators", {"username": "admin"}),
        ("PATCH", f"/api/conversations/{c}", {"topic": "Renamed"}),
        ("POST", f"/api/conversations/{c}/close", None),
        ("POST", f"/api/conversations/{c}/statements", {"text": "A seed without a token"}),
        ("POST", f"/api/conversations/{c}/statements/0/moderation", {"status": "rejected", "reason": "no"}),
        ("POST", f"/api/conversations/{c}/invitations", {"count": 1}),
        ("DELETE", "/api/session", None),
    ]
    for headers in ({}, {"X-CSRF-Token": "forged"}, {"X-CSRF-Token": ""}):
        for method, url, body in requests:
            error_of(site.admin.request(method, url, json=body, headers=headers), 403, "forbidden")
    error_of(
        site.admin.post(
            f"/api/spaces/{a}/imports",
            files={"file": ("x.zip", zip_folder(SMALL_CONVERSATION))},
            data={"csrf_token": "forged"},
        ),
        403,
        "forbidden",
    )
    assert snapshot(site.app) == before
    # Reading needs no token.
    assert ok(site.admin.get(f"/api/conversations/{c}/invitations")) == []


def test_cookie_authenticated_participant_posts_need_the_csrf_token(site):
    browser = TestClient(site.app)
    joined = ok(browser.post(f"/api/conversations/{site.conversation}/participants", json={}), 201)
    assert browser.cookies["concord_participant"] == joined["token"]
    assert browser.cookies["concord_csrf"] == joined["csrf_token"]
    url = f"/api/conversations/{site.conversation}"
    before = snapshot(site.app)
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        error_of(browser.post(f"{url}/votes", json={"statement": 0, "vote": "agree"}, headers=headers), 403)
        error_of(browser.post(f"{url}/statements", json={"text": "Written from a forged page"}, headers=headers), 403)
        error_of(browser.put(f"{url}/me/attributes", json={"attributes": {}}, headers=headers), 403)
    assert snapshot(site.app) == before
    csrf = {"X-CSRF-Token": joined["csrf_token"]}
    assert ok(browser.post(f"{url}/votes", json={"statement": 0, "vote": "agree"}, headers=csrf), 201)["vote"] == 1
    assert ok(browser.get(f"{url}/me"))["votes"] == {"0": 1}
    # A client that sends its token in the header carries no ambient credential and needs no CSRF token.
    header_client = TestClient(site.app)
    assert (
        ok(
            header_client.post(
                f"{url}/votes", json={"statement": 1, "vote": "pass"}, headers={"X-Participant-Token": joined["token"]}
            ),
            201,
        )["vote"]
        == 0
    )
    assert table_count(site.app, Participant) == 1


# --- conversations ------------------------------------------------------------------------------


def test_conversation_is_created_with_defaults_and_read_back(site):
    made = ok(
        site.admin.post(
            f"/api/spaces/{site.spaces['/x']['id']}/conversations",
            json={"topic": "  Water for the valley  "},
            headers=site.headers,
        ),
        201,
    )
    assert made["topic"] == "Water for the valley"
    assert {
        k: made[k]
        for k in (
            "space_path",
            "is_open",
            "moderation",
            "participants_can_write",
            "access",
            "max_statement_length",
            "attributes",
            "statements",
            "participants",
            "votes",
            "language",
        )
    } == {
        "space_path": "/x",
        "is_open": True,
        "moderation": "post",
        "participants_can_write": True,
        "access": "link",
        "max_statement_length": 140,
        "attributes": [],
        "statements": 0,
        "participants": 0,
        "votes": 0,
        "language": "en",
    }
    assert ok(TestClient(site.app).get(f"/api/conversations/{made['id']}")) == made
    full = ok(
        site.admin.post(
            f"/api/spaces/{site.spaces['/x']['id']}/conversations",
            json={
                "topic": "Regions",
                "description": "Tell us",
                "language": "fa-AF",
                "moderation": "pre",
                "participants_can_write": False,
                "access": "invite",
                "max_statement_length": 300,
                "attributes": [{"name": "region", "options": ["north", "south"]}],
            },
            headers=site.headers,
        ),
        201,
    )
    assert (
        full["language"],
        full["moderation"],
        full["access"],
        full["max_statement_length"],
        full["participants_can_write"],
    ) == ("fa-AF", "pre", "invite", 300, False)
    assert full["attributes"] == [{"name": "region", "options": ["north", "south"]}]
    assert made["id"] != full["id"]


BAD_SETTINGS = [
    {"topic": ""},
    {"topic": "   "},
    {"topic": "t" * 301},
    {"topic": "T", "description": "d" * 10_001},
    {"topic": "T", "moderation": "none"},
    {"topic": "T", "access": "public"},
    {"topic": "T", "language": "??"},
    {"topic": "T", "max_statement_length": 19},
    {"topic": "T", "max_statement_length": 1001},
    {"topic": "T", "max_statement_length": "long"},
    {"topic": "T", "participants_can_write": "sometimes"},
    {"topic": "T", "attributes": [{"name": "region", "options": ["only one"]}]},
    {"topic": "T", "attributes": [{"name": "region", "options": ["a", "a"]}]},
    {"topic": "T", "attributes": [{"name": "region", "options": ["a", ""]}]},
    {"topic": "T", "attributes": [{"name": "", "options": ["a", "b"]}]},
    {"topic": "T", "attributes": [{"name": "r", "options": ["a", "b"]}, {"name": "r", "options": ["c", "d"]}]},
    {"topic": "T", "attributes": [{"name": f"a{i}", "options": ["x", "y"]} for i in range(6)]},
    {"topic": "T", "attributes": [{"name": "region", "options": [f"o{i}" for i in range(51)]}]},
    {"topic": "T", "attributes": [{"name": "region"}]},
    {"topic": "T", "attributes": {"region": ["a", "b"]}},
    {"topic": "T", "is_open": False},
    {"description": "no topic"},
]


def test_bad_conversation_settings_are_422_and_create_nothing(site):
    before = snapshot(site.app)
    url = f"/api/spaces/{site.spaces['/x']['id']}/conversations"
    for body in BAD_SETTINGS:
        error_of(site.admin.post(url, json=body, headers=site.headers), 422, "invalid")
    assert snapshot(site.app) == before
    assert ok(site.admin.get(f"/api/spaces/{site.spaces['/x']['id']}"))["conversations"] == []


def test_changing_settings(site):
    url = f"/api/conversations/{site.conversation}"
    changed = ok(
        site.admin.patch(
            url,
            json={
                "topic": "Budget 2026",
                "moderation": "pre",
                "attributes": [{"name": "age", "options": ["<30", "30+"]}],
            },
            headers=site.headers,
        )
    )
    assert (changed["topic"], changed["moderation"], changed["access"]) == ("Budget 2026", "pre", "link")
    assert ok(site.admin.get(url)) == changed
    before = snapshot(site.app)
    for body in [
        {"topic": ""},
        {"moderation": "later"},
        {"max_statement_length": 5},
        {"is_open": False},
        {"attributes": [{"name": "age", "options": ["one"]}]},
        {"access": "everyone"},
    ]:
        error_of(site.admin.patch(url, json=body, headers=site.headers), 422, "invalid")
    assert snapshot(site.app) == before
    error_of(site.admin.patch("/api/conversations/nope", json={"topic": "x"}, headers=site.headers), 404)


def test_a_null_setting_is_refused_or_ignored_never_stored(site):
    """``{"x": null}`` in a PATCH: a 422, or no change; never a 500 (found: description and
    participants_can_write reached the NOT NULL columns)."""
    safe = TestClient(site.app, raise_server_exceptions=False)
    safe.cookies.update(site.admin.cookies)
    url = f"/api/conversations/{site.conversation}"
    failures = []
    for setting in [
        "topic",
        "description",
        "language",
        "moderation",
        "participants_can_write",
        "access",
        "max_statement_length",
        "attributes",
    ]:
        before = ok(safe.get(url))
        response = safe.patch(url, json={setting: None}, headers=site.headers)
        after = ok(safe.get(url))
        if response.status_code not in (200, 422):
            failures.append(f"{setting}: null gave {response.status_code}")
        elif after[setting] is None or (setting != "attributes" and after[setting] != before[setting]):
            failures.append(f"{setting}: null changed {before[setting]!r} to {after[setting]!r}")
    assert not failures, "\n".join(failures)


def test_closing_stops_votes_statements_and_joins_and_reopening_resumes(site):
    voter = site.person()
    ok(voter.vote(0), 201)
    closed = ok(site.admin.post(f"/api/conversations/{site.conversation}/close", headers=site.headers))
    assert closed["is_open"] is False
    assert ok(site.admin.get(f"/api/spaces/{site.spaces['/a/b']['id']}"))["conversations"][0]["is_open"] is False
    before = snapshot(site.app)
    error_of(voter.vote(1), 409, "conflict", "conversation_closed")
    error_of(voter.vote(0, "disagree"), 409, "conflict", "conversation_closed")
    error_of(voter.write("A statement after the end"), 409, "conflict", "conversation_closed")
    newcomer = site.person(join=False)
    error_of(newcomer.join(), 409, "conflict", "conversation_closed")
    error_of(newcomer.vote(1), 409, "conflict", "conversation_closed")
    assert snapshot(site.app) == before
    # Reading still works.
    assert ok(voter.me())["votes"] == {"0": 1}
    assert ok(voter.client.get(f"/api/conversations/{site.conversation}/results")) is not None
    assert len(ok(voter.client.get(f"/api/conversations/{site.conversation}/statements"))) == 4
    reopened = ok(site.admin.post(f"/api/conversations/{site.conversation}/reopen", headers=site.headers))
    assert reopened["is_open"] is True
    assert ok(voter.vote(1, "disagree"), 201) == {"statement": 1, "vote": -1}
    ok(newcomer.join(), 201)


# --- statements ---------------------------------------------------------------------------------


def test_statement_text_is_stored_as_given(site):
    texts = [
        "<script>alert(1)</script>",
        'Tom &amp; Jerry\'s "quote" <b>bold</b>',
        "آب آشامیدنی باید اول به هر قریه برسد",
        "ښځې باید ښوونځي ته لاړې شي 😀",
    ]
    author = site.person()
    for text in texts:
        written = ok(author.write(text), 201)
        assert written["text"] == text and written["status"] == "accepted" and written["is_seed"] is False
    listed = ok(TestClient(site.app).get(f"/api/conversations/{site.conversation}/statements"))
    assert [s["text"] for s in listed][-4:] == texts
    raw = TestClient(site.app).get(f"/api/conversations/{site.conversation}/statements")
    assert raw.headers["content-type"].startswith("application/json")
    assert "<script>alert(1)</script>" in raw.text  # JSON, not HTML: nothing escaped, nothing changed
    number = listed[-4]["number"]
    ok(site.moderate(site.conversation, number, "accepted", "checked"))
    log = ok(TestClient(site.app).get(f"/api/conversations/{site.conversation}/moderation-log"))
    assert log[-1]["text"] == "<script>alert(1)</script>"
    # Spacing is tidied (trimmed, runs of white space made one), nothing else.
    assert ok(author.write("  Two   spaces\tand a tab  "), 201)["text"] == "Two spaces and a tab"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.lists(
        st.sampled_from([*list("<>&\"'/=;:()[]{}\\%#abcXYZ019 "), "سلام", "ښ", "é", "😀"]), min_size=1, max_size=30
    ).map("".join)
)
def test_any_markup_comes_back_verbatim(site, text):
    marked = " ".join(f"[{next(COUNTER)}] {text}".split())  # a unique prefix: never a duplicate
    written = ok(
        site.admin.post(
            f"/api/conversations/{site.conversation}/statements", json={"text": marked}, headers=site.headers
        ),
        201,
    )
    assert written["text"] == unicodedata.normalize("NFC", marked)


COUNTER = iter(range(10**9))


def test_statement_length_limits(site):
    conversation = site.new_conversation(max_statement_length=20)
    author = site.person(conversation)
    before = snapshot(site.app)
    for text, reason in [
        ("x" * 21, "statement_too_long"),
        ("one two three four five", "statement_too_long"),
        ("", "statement_empty"),
        ("   \t  ", "statement_empty"),
        ("!!! ... ???", "statement_empty"),
        ("bell\x07", None),
        ("nul\x00here", None),
    ]:
        error_of(author.write(text), 422, "invalid", reason)
    assert snapshot(site.app) == before
    assert ok(author.write("y" * 20), 201)["text"] == "y" * 20
    assert ok(author.write("  " + "z" * 20 + "  "), 201)["text"] == "z" * 20  # trimmed before counting
    assert ok(site.admin.get(f"/api/conversations/{conversation}"))["statements"] == 2


def test_text_that_cannot_be_stored_is_422(site):
    """A lone surrogate is valid JSON (\\ud800) but not text (found: a 500 from the database driver)."""
    safe = TestClient(site.app, raise_server_exceptions=False)
    author = site.person()
    before = snapshot(site.app)
    response = safe.post(
        f"/api/conversations/{site.conversation}/statements",
        content=b'{"text": "broken \\ud800 text"}',
        headers={**author.headers, "Content-Type": "application/json"},
    )
    assert response.status_code in (400, 422), f"{response.status_code} {response.text}"
    assert snapshot(site.app) == before


def test_duplicate_statements_are_409(site):
    author = site.person()
    ok(author.write("Roads must be repaired before winter"), 201)
    before = snapshot(site.app)
    for text in [
        "Roads must be repaired before winter",
        "roads MUST be repaired, before winter!",
        "  Roads must   be repaired before winter. ",
        "Clean water should reach every village first",
        "ROADS must be repaired before WINTER",
    ]:
        detail = error_of(author.write(text), 409, "conflict", "duplicate_statement")
        assert "statement" in detail["message"]
    error_of(
        site.admin.post(
            f"/api/conversations/{site.conversation}/statements",
            json={"text": "clean water should reach every village FIRST"},
            headers=site.headers,
        ),
        409,
        "conflict",
        "duplicate_statement",
    )
    assert snapshot(site.app) == before


def test_long_statements_that_differ_only_after_700_characters_are_not_duplicates(site):
    """Statements may have up to 1000 characters; two different ones must not be refused as copies of
    each other (found: duplicates are detected on the first 700 normalised characters only)."""
    conversation = site.new_conversation(max_statement_length=1000)
    author = site.person(conversation)
    common = "We should " + "really " * 100
    ok(author.write(common + "build schools"), 201)
    ok(author.write(common + "build clinics"), 201)
    assert len(ok(author.client.get(f"/api/conversations/{conversation}/statements"))) == 2


def test_pre_moderated_statements_wait_for_a_moderator(site):
    conversation = site.new_conversation(moderation="pre")
    author = site.person(conversation)
    waiting = ok(author.write("Evening hours for the clinics"), 201)
    assert waiting["status"] == "pending"
    seed = ok(
        site.admin.post(
            f"/api/conversations/{conversation}/statements",
            json={"text": "A seed from the moderator"},
            headers=site.headers,
        ),
        201,
    )
    assert seed["status"] == "accepted" and seed["is_seed"] is True
    public = TestClient(site.app)
    assert [s["number"] for s in ok(public.get(f"/api/conversations/{conversation}/statements"))] == [seed["number"]]
    assert ok(public.get(f"/api/conversations/{conversation}"))["statements"] == 1
    queue = ok(site.admin.get(f"/api/conversations/{conversation}/statements", params={"status": "pending"}))
    assert [s["text"] for s in queue] == ["Evening hours for the clinics"]
    assert author.next()["statement"]["number"] == seed["number"]
    before = snapshot(site.app)
    error_of(author.vote(waiting["number"]), 409, "conflict", "statement_unavailable")
    assert snapshot(site.app) == before
    accepted = ok(site.moderate(conversation, waiting["number"], "accepted"))
    assert accepted == {
        "statement": waiting["number"],
        "status": "accepted",
        "reason": "",
        "time_ms": accepted["time_ms"],
        "text": "Evening hours for the clinics",
    }
    assert ok(author.vote(waiting["number"]), 201)["vote"] == 1
    assert len(ok(site.admin.get(f"/api/conversations/{conversation}/statements", params={"status": "all"}))) == 2


def test_unknown_statement_status_filter_is_refused(site):
    """``?status=`` takes accepted, pending, rejected or all (found: anything else silently gives [])."""
    error_of(site.admin.get(f"/api/conversations/{site.conversation}/statements", params={"status": "bogus"}), 422)


def test_participants_cannot_write_when_writing_is_off(site):
    conversation = site.new_conversation(participants_can_write=False)
    author = site.person(conversation)
    before = snapshot(site.app)
    error_of(author.write("I want to say something"), 403, "forbidden", "writing_disabled")
    assert snapshot(site.app) == before
    site.seed(conversation, "Moderators still seed statements")


def test_statement_flood_is_refused_with_retry_after(make_app):
    app = make_app(rate_limits=True)
    site = small_site(app, TestClient(app))
    author = site.person()
    for i in range(3):
        ok(author.write(f"Statement number {i} from the same person"), 201)
    before = snapshot(app)
    refused = author.write("One statement too many")
    error_of(refused, 429, "rate_limited", "rate_limited")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert snapshot(app) == before
    assert ok(site.person().write("Somebody else may still write"), 201)
    # Seeds from moderators are not limited.
    site.seed(site.conversation, "Seed one", "Seed two", "Seed three", "Seed four")


# --- moderation -----------------------------------------------------------------------------------


def test_moderation_rules(site):
    c = site.conversation
    before = snapshot(site.app)
    error_of(site.moderate(c, 0, "rejected"), 422, "invalid")
    error_of(site.moderate(c, 0, "rejected", "   "), 422, "invalid")
    error_of(site.moderate(c, 0, "rejected", "r" * 501), 422, "invalid")
    error_of(site.moderate(c, 0, "deleted", "gone"), 422, "invalid")
    error_of(site.moderate(c, 99, "accepted"), 404, "not_found")
    assert snapshot(site.app) == before
    rejected = ok(site.moderate(c, 0, "rejected", "  Personal attack  "))
    assert (rejected["status"], rejected["reason"], rejected["text"]) == ("rejected", "Personal attack", None)
    statuses = {
        s["number"]: s["status"]
        for s in ok(site.admin.get(f"/api/conversations/{c}/statements", params={"status": "all"}))
    }
    assert statuses == {0: "rejected", 1: "accepted", 2: "accepted", 3: "accepted"}
    assert [
        s["number"] for s in ok(site.admin.get(f"/api/conversations/{c}/statements", params={"status": "rejected"}))
    ] == [0]
    ok(site.moderate(c, 0, "pending"))
    ok(site.moderate(c, 0, "accepted", "on reflection, fine"))
    assert table_count(site.app, ModerationEvent) == 3


def test_votes_on_rejected_statements_are_409_and_next_skips_them(site):
    voter = site.person()
    ok(site.moderate(site.conversation, 2, "rejected", "duplicate of 0"))
    before = snapshot(site.app)
    error_of(voter.vote(2), 409, "conflict", "statement_unavailable")
    assert snapshot(site.app) == before
    for _ in range(10):
        assert voter.next()["statement"]["number"] != 2
    assert voter.next()["remaining"] == 3


def test_moderation_log_is_public_and_never_names_moderators(site):
    moderator, headers = moderator_of(site, "/a/b", "gulalai.rahimi")
    author = site.person()
    text = ok(author.write("The governor is a thief and a liar"), 201)
    c = site.conversation
    decisions = [
        (0, "accepted", "fits the topic"),
        (text["number"], "rejected", "personal attack"),
        (1, "pending", "checking a fact"),
        (1, "accepted", "fact checked"),
    ]
    for number, status, reason in decisions:
        ok(
            moderator.post(
                f"/api/conversations/{c}/statements/{number}/moderation",
                json={"status": status, "reason": reason},
                headers=headers,
            )
        )
    response = TestClient(site.app).get(f"/api/conversations/{c}/moderation-log")
    log = ok(response)
    assert [(e["statement"], e["status"], e["reason"]) for e in log] == decisions
    for entry in log:
        assert set(entry) == {"statement", "status", "reason", "time_ms", "text"}
    assert log[0]["text"] == SEEDS[0] and log[1]["text"] is None  # rejected texts are not repeated
    with site.app.state.concord.sessions.begin() as session:
        moderator_id = session.scalar(select(User.id).where(User.username == "gulalai.rahimi"))
        assert session.scalars(select(ModerationEvent.moderator_id)).all() == [moderator_id] * 4
    assert "gulalai" not in response.text and "rahimi" not in response.text and "moderator" not in response.text
    assert "thief" not in response.text


# --- participation ------------------------------------------------------------------------------


def test_joining_by_link(site):
    browser = TestClient(site.app)
    response = browser.post(f"/api/conversations/{site.conversation}/participants", json={})
    joined = ok(response, 201)
    assert joined["number"] == 0 and joined["token"] and joined["votes"] == {} and joined["attributes"] == {}
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("concord_participant="))
    assert "httponly" in cookie.lower()
    again = ok(
        browser.post(
            f"/api/conversations/{site.conversation}/participants",
            json={},
            headers={"X-CSRF-Token": joined["csrf_token"]},
        ),
        201,
    )
    assert again["number"] == 0 and again["token"] == joined["token"]
    assert (
        ok(
            TestClient(site.app).get(
                f"/api/conversations/{site.conversation}/me", headers={"X-Participant-Token": joined["token"]}
            )
        )["number"]
        == 0
    )
    assert ok(site.person().me())["number"] == 1
    assert ok(site.admin.get(f"/api/conversations/{site.conversation}"))["participants"] == 2
    # Only the hash of the token is stored, and nothing that names the participant.
    with site.app.state.concord.sessions.begin() as session:
        stored = session.scalars(select(Participant.token_hash)).all()
    assert joined["token"] not in stored and len(stored) == 2
    # Voting on a link conversation joins too.
    first_vote = Person(TestClient(site.app), site.conversation)
    ok(first_vote.vote(0), 201)
    assert table_count(site.app, Participant) == 3


def test_invitation_codes_are_one_time(site):
    conversation = site.new_conversation(access="invite")
    issued = ok(
        site.admin.post(f"/api/conversations/{conversation}/invitations", json={"count": 3}, headers=site.headers), 201
    )
    codes = [i["code"] for i in issued]
    assert len(set(codes)) == 3 and all(i["hint"] == i["code"][:3] and i["used"] is False for i in issued)
    other_conversation = site.new_conversation(access="invite")
    stranger = site.person(other_conversation, join=False)
    before = snapshot(site.app)
    error_of(stranger.join(invite_code=codes[0]), 403, "forbidden", "invitation_invalid")  # another conversation's
    guest = site.person(conversation, join=False)
    error_of(guest.join(), 403, "forbidden", "invitation_required")
    error_of(guest.join(invite_code="WRONGCODE9"), 403, "forbidden", "invitation_invalid")
    error_of(guest.vote(0), 401, "unauthorized")
    error_of(guest.write("Let me in please"), 401, "unauthorized")
    assert snapshot(site.app) == before
    # Codes are read aloud and typed on phones: case and separators do not matter.
    typed = "-".join([codes[0][:5].lower(), codes[0][5:]])
    ok(guest.join(invite_code=typed), 201)
    replayer = site.person(conversation, join=False)
    before = snapshot(site.app)
    error_of(replayer.join(invite_code=codes[0]), 409, "conflict", "invitation_used")
    assert snapshot(site.app) == before
    ok(replayer.join(invite_code=codes[1]), 201)
    listed = ok(site.admin.get(f"/api/conversations/{conversation}/invitations"))
    assert [i["used"] for i in listed] == [True, True, False]
    assert all(i["code"] is None for i in listed) and [i["hint"] for i in listed] == [i["hint"] for i in issued]
    assert table_count(site.app, Participant) == 2
    for count in (0, -1, 1001, "many"):
        error_of(
            site.admin.post(
                f"/api/conversations/{conversation}/invitations", json={"count": count}, headers=site.headers
            ),
            422,
            "invalid",
        )
    assert table_count(site.app, Invitation) == 3


def test_xid_conversations_need_an_xid(site):
    conversation = site.new_conversation(access="xid")
    site.seed(conversation, "Embedded statement")
    device = site.person(conversation, join=False)
    before = snapshot(site.app)
    for body in ({}, {"xid": ""}, {"xid": "   "}, {"xid": "x" * 201}, {"invite_code": "ABCDEFGH"}):
        error_of(device.join(**body), 403, "forbidden", "xid_required")
    error_of(device.vote(0), 401, "unauthorized")
    assert snapshot(site.app) == before
    ok(device.join(xid="member-42"), 201)
    ok(device.vote(0), 201)
    second_device = site.person(conversation, xid="member-42")
    assert second_device.number == device.number
    assert ok(second_device.me())["votes"] == {"0": 1}
    assert site.person(conversation, xid="member-43").number != device.number
    assert table_count(site.app, Participant) == 2


def test_declared_attributes_are_checked(site):
    conversation = site.new_conversation(
        attributes=[
            {"name": "region", "options": ["north", "south"]},
            {"name": "age", "options": ["under 30", "30 or over"]},
        ]
    )
    newcomer = site.person(conversation, join=False)
    before = snapshot(site.app)
    for attributes in ({"region": "east"}, {"religion": "any"}, {"region": "North"}):
        error_of(newcomer.join(attributes=attributes), 422, "invalid")
    error_of(newcomer.join(attributes={"region": 3}), 422, "invalid")
    assert snapshot(site.app) == before
    joined = ok(newcomer.join(attributes={"region": "north"}), 201)
    assert joined["attributes"] == {"region": "north"}
    url = f"/api/conversations/{conversation}/me/attributes"
    changed = ok(newcomer.client.put(url, json={"attributes": {"age": "under 30"}}, headers=newcomer.headers))
    assert changed["attributes"] == {"region": "north", "age": "under 30"}
    before = snapshot(site.app)
    for attributes in ({"age": "old"}, {"region": "south", "colour": "red"}):
        error_of(newcomer.client.put(url, json={"attributes": attributes}, headers=newcomer.headers), 422)
    error_of(newcomer.client.put(url, json={}, headers=newcomer.headers), 422)
    assert snapshot(site.app) == before
    assert ok(newcomer.me())["attributes"] == {"region": "north", "age": "under 30"}
    # Declaring on a link conversation before anything else joins.
    late = Person(TestClient(site.app), conversation)
    assert ok(late.client.put(url, json={"attributes": {"region": "south"}}), 200)["attributes"] == {"region": "south"}
    # An invite conversation needs the code first.
    closed_door = site.new_conversation(access="invite", attributes=[{"name": "region", "options": ["n", "s"]}])
    error_of(
        TestClient(site.app).put(
            f"/api/conversations/{closed_door}/me/attributes", json={"attributes": {"region": "n"}}
        ),
        401,
        "unauthorized",
    )


def test_next_statement_never_repeats_a_vote_and_ends_with_null(site):
    conversation = site.new_conversation()
    numbers = site.seed(conversation, *SEEDS, "Mobile coverage for the mountains", "Cheaper seeds for farmers")
    voter = site.person(conversation)
    anonymous = ok(TestClient(site.app).get(f"/api/conversations/{conversation}/next"))
    assert anonymous["statement"]["number"] in numbers and anonymous["remaining"] == 6 and anonymous["voted"] == 0
    voted: set[int] = set()
    for step in range(len(numbers)):
        draws = [voter.next() for _ in range(4)]
        for draw in draws:
            assert draw["statement"]["number"] not in voted
            assert draw["remaining"] == len(numbers) - step and draw["voted"] == step
        number = draws[0]["statement"]["number"]
        ok(voter.vote(number, ["agree", "disagree", "pass"][step % 3]), 201)
        voted.add(number)
    done = voter.next()
    assert done == {"statement": None, "remaining": 0, "voted": len(numbers)}
    # A new statement becomes the next one.
    new = site.seed(conversation, "One more thing to consider")[0]
    assert voter.next()["statement"]["number"] == new


def test_votes_are_recorded_and_changed(site):
    voter = site.person()
    assert ok(voter.vote(0, "agree"), 201) == {"statement": 0, "vote": 1}
    assert ok(voter.vote(1, "pass"), 201) == {"statement": 1, "vote": 0}
    assert ok(voter.vote(0, "disagree"), 201) == {"statement": 0, "vote": -1}
    assert ok(voter.me())["votes"] == {"0": -1, "1": 0}
    assert table_count(site.app, Vote) == 2 and table_count(site.app, VoteEvent) == 3
    assert ok(site.admin.get(f"/api/conversations/{site.conversation}"))["votes"] == 2


def test_vote_flood_is_refused_with_retry_after(make_app):
    app = make_app(rate_limits=True)
    site = small_site(app, TestClient(app))
    site.seed(site.conversation, *SEEDS)
    voter = site.person()
    started, accepted, refused = time.monotonic(), 0, None
    while refused is None and accepted < 200:
        response = voter.vote(accepted % 4, ["agree", "disagree"][accepted % 2])
        if response.status_code == 429:
            refused = response
        else:
            ok(response, 201)
            accepted += 1
    elapsed = time.monotonic() - started
    assert refused is not None, "200 votes in a row were all taken"
    error_of(refused, 429, "rate_limited", "rate_limited")
    assert int(refused.headers["Retry-After"]) >= 1
    # 30 at once, then 2 a second refill the bucket while the requests run.
    assert 30 <= accepted <= 30 + 2 * elapsed + 1, (accepted, elapsed)
    assert table_count(app, VoteEvent) == accepted  # the refused vote left nothing behind
    ok(site.person().vote(0), 201)  # the limit is per participant


# --- results --------------------------------------------------------------------------------------


TWO_CAMPS = [
    "Taxes should fund the schools",
    "The school budget should double",
    "Teachers deserve a raise",
    "Every child needs a free lunch",
    "Taxes are already too high",
    "Private schools do it better",
    "Cut the school board's spending",
    "Lower the property tax",
    "Clean water matters to everyone",
]


def two_camps(site: Site, attributes: bool = False) -> tuple[str, list[int], list[int]]:
    """A conversation with two opposed camps of 10 and one statement everyone agrees with."""
    settings = {"attributes": [{"name": "region", "options": ["north", "south"]}]} if attributes else {}
    conversation = site.new_conversation(**settings)
    site.seed(conversation, *TWO_CAMPS)
    camp_a = [1, 1, 1, 1, -1, -1, -1, -1, 1]
    camp_b = [-1, -1, -1, -1, 1, 1, 1, 1, 1]
    rows = [list(camp_a) for _ in range(10)] + [list(camp_b) for _ in range(10)]
    rows[0][3] = 0
    rows[11][5] = None
    declared = [{"region": "north"}] * 10 + [{"region": "south"}] * 10 if attributes else None
    numbers = bulk_votes(site.app, conversation, rows, declared)
    return conversation, numbers[:10], numbers[10:]


def test_results_are_empty_before_any_analysis(site):
    assert ok(TestClient(site.app).get(f"/api/conversations/{site.conversation}/results")) == {
        "computed_ms": None,
        "vote_count": 0,
        "last_event_id": 0,
        "seconds": None,
        "results": None,
    }


@pytest.mark.parametrize("analysis_process", [False, True], ids=["thread", "process"])
def test_live_analysis_follows_votes_as_they_arrive(make_app, analysis_process):
    """Votes through the API, no explicit analysis: the background analysis (in a thread, or in its own
    process as `concord serve` runs it) catches up with every vote and never blocks one."""
    app = make_app(live_analysis=True, analysis_process=analysis_process, debounce=0.1)
    with TestClient(app) as admin:
        site = small_site(app, admin)
        site.seed(site.conversation, *TWO_CAMPS)
        people = []

        def newcomers_vote(count: int) -> dict:
            for _ in range(count):
                people.append(person := site.person())
                for statement in range(len(TWO_CAMPS)):
                    vote = "agree" if (statement < 4) == (len(people) % 2 == 0) else "disagree"
                    ok(person.vote(statement, vote), 201)
            votes = len(people) * len(TWO_CAMPS)
            deadline = time.monotonic() + 60
            while (results := ok(admin.get(f"/api/conversations/{site.conversation}/results")))["vote_count"] < votes:
                assert time.monotonic() < deadline, f"the analysis stopped at {results['vote_count']} of {votes} votes"
                time.sleep(0.1)
            assert results["vote_count"] == votes == results["results"]["votes"]
            assert results["results"]["participants"] == len(people)
            return results

        newcomers_vote(8)
        if analysis_process:  # the analysis process dies (out of memory, say): the next votes start a new one
            app.state.concord.live._process.kill()
            app.state.concord.live._process.join()
        newcomers_vote(2)


def test_results_after_analysis_have_groups_consensus_and_provenance(site):
    conversation, camp_a, camp_b = two_camps(site)
    ok(site.moderate(conversation, 7, "rejected", "off topic"))
    started = int(time.time() * 1000)
    record = site.app.state.concord.live.analyse_now(db_id(site.app, conversation))
    assert record is not None
    finished = int(time.time() * 1000)
    results = ok(TestClient(site.app).get(f"/api/conversations/{conversation}/results"))
    assert started <= results["computed_ms"] <= finished
    assert results["vote_count"] == 179 == table_count(site.app, Vote)
    assert results["last_event_id"] > 0 and results["seconds"] >= 0
    body = results["results"]
    assert (body["participants"], body["votes"], body["statements"], body["statements_moderated_out"]) == (
        20,
        179,
        8,
        1,
    )
    groups = sorted((sorted(g["participants"]) for g in body["groups"]), key=lambda g: g[0])
    assert groups == [sorted(camp_a), sorted(camp_b)]
    assert [g["label"] for g in body["groups"]] == ["A", "B"]
    consensus = body["consensus"]
    assert consensus[0]["statement"] == 8 and consensus[0]["direction"] == "agree"
    assert consensus[0]["text"] == TWO_CAMPS[8]
    assert 7 not in {entry["statement"] for entry in consensus}
    assert [entry["score"] for entry in consensus] == sorted((entry["score"] for entry in consensus), reverse=True)
    assert {entry["statement"] for entry in body["bridging"]} == set(range(7)) | {8}
    assert len(body["map"]["participants"]) == 20


def test_results_show_declared_groups(site):
    conversation, _, _ = two_camps(site, attributes=True)
    site.app.state.concord.live.analyse_now(db_id(site.app, conversation))
    declared = ok(TestClient(site.app).get(f"/api/conversations/{conversation}/results"))["results"]["declared"]
    assert [(g["name"], g["size"]) for g in declared["region"]["groups"]] == [("north", 10), ("south", 10)]
    assert declared["region"]["consensus"][0]["statement"] == 8


# --- export and import ----------------------------------------------------------------------------


def read_zip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def csv_rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def test_export_is_a_zip_of_the_polis_files(site):
    c = site.conversation
    first, second = site.person(), site.person()
    ok(first.vote(0, "agree"), 201)
    ok(first.vote(0, "disagree"), 201)
    ok(first.vote(1, "pass"), 201)
    ok(second.vote(0, "agree"), 201)
    written = ok(second.write("<script>alert(1)</script>"), 201)
    ok(site.moderate(c, 3, "rejected", "repeats 0"))
    site.app.state.concord.live.analyse_now(db_id(site.app, c))
    response = site.admin.get(f"/api/conversations/{c}/export")
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    assert f'filename="{c}.zip"' in response.headers["content-disposition"]
    files = read_zip(response.content)
    assert set(files) == {f"{c}/{name}" for name in EXPORT_FILES}
    votes = csv_rows(files[f"{c}/votes.csv"])
    assert [(int(v["voter-id"]), int(v["comment-id"]), int(v["vote"])) for v in votes] == [
        (first.number, 0, 1),
        (first.number, 0, -1),
        (first.number, 1, 0),
        (second.number, 0, 1),
    ]
    comments = {int(row["comment-id"]): row for row in csv_rows(files[f"{c}/comments.csv"])}
    assert comments[written["number"]]["comment-body"] == "<script>alert(1)</script>"
    assert comments[written["number"]]["author-id"] == str(second.number)
    assert comments[3]["moderated"] == "-1" and comments[0]["moderated"] == "1"
    assert (comments[0]["agrees"], comments[0]["disagrees"]) == ("2", "1")  # every vote event counts
    wide = {int(row["participant"]): row for row in csv_rows(files[f"{c}/participants-votes.csv"])}
    assert wide[first.number]["0"] == "-1" and wide[first.number]["1"] == "0" and wide[second.number]["0"] == "1"
    summary = dict(csv.reader(io.StringIO(files[f"{c}/summary.csv"].decode())))
    assert summary["topic"] == "How should the district spend its budget?" and summary["voters"] == "2"
    meta = json.loads(files[f"{c}/conversation.json"])
    assert meta["space"] == "/a/b" and meta["settings"]["moderation"] == "post"
    assert meta["analysis"]["vote_count"] == 3
    # The export imports back as a new conversation with the same votes.
    imported = ok(
        site.admin.post(
            f"/api/spaces/{site.spaces['/x']['id']}/imports",
            files={"file": ("export.zip", response.content)},
            data={"topic": "Re-imported"},
            headers=site.headers,
        ),
        201,
    )
    assert (imported["topic"], imported["votes"], imported["participants"], imported["statements"]) == (
        "Re-imported",
        3,
        2,
        4,
    )
    again = read_zip(site.admin.get(f"/api/conversations/{imported['id']}/export").content)
    assert again[f"{imported['id']}/votes.csv"] == files[f"{c}/votes.csv"]


def test_a_conversation_without_votes_exports(site):
    """Found: exporting a conversation nobody has voted in yet failed with a 500 ("no votes to analyse")."""
    safe = TestClient(site.app, raise_server_exceptions=False)
    safe.cookies.update(site.admin.cookies)
    response = safe.get(f"/api/conversations/{site.conversation}/export")
    assert response.status_code == 200, response.text
    files = read_zip(response.content)
    assert f"{site.conversation}/comments.csv" in files
    assert len(csv_rows(files[f"{site.conversation}/comments.csv"])) == 4
    assert csv_rows(files[f"{site.conversation}/votes.csv"]) == []


def test_export_is_for_moderators_of_the_space(site):
    url = f"/api/conversations/{site.conversation}/export"
    error_of(TestClient(site.app).get(url), 401, "unauthorized")
    outsider, _ = moderator_of(site, "/x")
    error_of(outsider.get(url), 403, "forbidden")
    above, _ = moderator_of(site, "/a", "moderator.of.a")
    ok(site.person().vote(0), 201)
    assert above.get(url).status_code == 200


def small_conversation_counts() -> tuple[int, int, int]:
    votes = csv_rows((SMALL_CONVERSATION / "votes.csv").read_bytes())
    comments = csv_rows((SMALL_CONVERSATION / "comments.csv").read_bytes())
    participants = {int(v["voter-id"]) for v in votes} | {int(c["author-id"]) for c in comments}
    shown = {int(c["comment-id"]) for c in comments if c["moderated"] != "-1"}
    current = {(v["voter-id"], v["comment-id"]) for v in votes}
    return len(shown), len(participants), len(current)


def test_importing_an_uploaded_polis_zip(site):
    space = site.spaces["/a/b/c"]["id"]
    upload = zip_folder(SMALL_CONVERSATION, prefix="london.youth.policing/")
    # A plain HTML form sends the CSRF token as a field.
    response = site.admin.post(
        f"/api/spaces/{space}/imports",
        files={"file": ("london.zip", upload)},
        data={"csrf_token": site.headers["X-CSRF-Token"]},
    )
    imported = ok(response, 201)
    statements, participants, votes = small_conversation_counts()
    assert imported["topic"] == "What is the best way to engage more young people in local scrutiny of policing?"
    assert (imported["statements"], imported["participants"], imported["votes"]) == (statements, participants, votes)
    assert imported["space_path"] == "/a/b/c"
    assert [c["id"] for c in ok(site.admin.get(f"/api/spaces/{space}"))["conversations"]] == [imported["id"]]
    # The import is analysed at once.
    results = ok(TestClient(site.app).get(f"/api/conversations/{imported['id']}/results"))
    assert results["vote_count"] > 0 and len(results["results"]["groups"]) >= 2
    # Imported participants have no token: nobody can vote as them, and new participants get new numbers.
    newcomer = site.person(imported["id"])
    assert newcomer.number > max(int(v["voter-id"]) for v in csv_rows((SMALL_CONVERSATION / "votes.csv").read_bytes()))
    number = newcomer.next()["statement"]["number"]
    ok(newcomer.vote(number), 201)


def test_bad_uploads_are_422_and_store_nothing(site, tmp_path):
    space = site.spaces["/x"]["id"]
    bad_votes = io.BytesIO()
    with zipfile.ZipFile(bad_votes, "w") as archive:
        archive.writestr("votes.csv", "timestamp,comment-id,voter-id,vote\n1,2,3,seven\n")
        archive.writestr("comments.csv", (SMALL_CONVERSATION / "comments.csv").read_text())
    no_csv = io.BytesIO()
    with zipfile.ZipFile(no_csv, "w") as archive:
        archive.writestr("readme.txt", "nothing here")
    outsider, headers = moderator_of(site, "/a")
    before = snapshot(site.app)
    for name, data in [
        ("notes.txt", b"this is not a zip"),
        ("empty.zip", b""),
        ("bad.zip", bad_votes.getvalue()),
        ("nocsv.zip", no_csv.getvalue()),
    ]:
        detail = error_of(
            site.admin.post(f"/api/spaces/{space}/imports", files={"file": (name, data)}, headers=site.headers),
            422,
            "invalid",
        )
        assert "/tmp" not in detail["message"]  # no server paths in messages
    error_of(site.admin.post(f"/api/spaces/{space}/imports", headers=site.headers), 422, "invalid")
    error_of(
        outsider.post(
            f"/api/spaces/{space}/imports", files={"file": ("x.zip", zip_folder(SMALL_CONVERSATION))}, headers=headers
        ),
        403,
        "forbidden",
    )
    assert snapshot(site.app) == before


# --- invitations ----------------------------------------------------------------------------------


def test_invitations_are_for_moderators_and_codes_are_shown_once(site):
    conversation = site.new_conversation(access="invite")
    url = f"/api/conversations/{conversation}/invitations"
    issued = ok(site.admin.post(url, json={}, headers=site.headers), 201)
    assert len(issued) == 1 and len(issued[0]["code"]) == 10
    assert not set(issued[0]["code"]) & set("01OIL")  # no characters that read alike
    with site.app.state.concord.sessions.begin() as session:
        stored = session.scalars(select(Invitation.code_hash)).all()
    assert issued[0]["code"] not in stored
    error_of(TestClient(site.app).post(url, json={"count": 1}), 401)
    outsider, headers = moderator_of(site, "/x")
    error_of(outsider.post(url, json={"count": 1}, headers=headers), 403)
    error_of(outsider.get(url), 403)
    assert table_count(site.app, Invitation) == 1
    assert len(ok(site.admin.post(url, json={"count": 1000}, headers=site.headers), 201)) == 1000
