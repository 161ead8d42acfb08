"""Moderator logins, sessions and the CSRF protection of cookie-authenticated requests.

Through the JSON API on SQLite and on a real PostgreSQL server (each test gets a fresh database, see
``database_url`` in conftest.py); refused requests are checked to leave every table as it was.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from api_helpers import SMALL_CONVERSATION, error_of, ok, snapshot, table_count, zip_folder
from concord.store.models import (
    Participant,
)
from conftest import log_in

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
