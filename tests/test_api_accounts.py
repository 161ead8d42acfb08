"""Moderator logins, sessions and the CSRF protection of cookie-authenticated requests.

Through the JSON API on SQLite and on a real PostgreSQL server (each test gets a fresh database, see
``database_url`` in conftest.py); refused requests are checked to leave every table as it was.
"""

from __future__ import annotations

import re
import time

from fastapi.testclient import TestClient
from sqlalchemy import select

from api_helpers import SMALL_CONVERSATION, error_of, ok, snapshot, table_count, zip_folder
from concord.store.models import (
    Participant,
)
from conftest import log_in

# --- accounts -----------------------------------------------------------------------------------


def test_log_in_sets_an_httponly_session_cookie_and_answers_its_csrf_token(app, client):
    with app.state.concord.sessions.begin() as session:
        from concord.service.accounts import moderators as accounts

        accounts.create_user(session, "bashir", "a long enough password")
    response = client.post("/api/session", json={"username": "bashir", "password": "a long enough password"})
    body = ok(response)
    assert body["username"] == "bashir" and body["is_admin"] is False and body["csrf_token"]
    cookies = {header.split("=", 1)[0]: header.lower() for header in response.headers.get_list("set-cookie")}
    assert "httponly" in cookies["concord_session"] and "samesite=lax" in cookies["concord_session"]
    assert "concord_csrf" not in cookies  # the token is bound to the session, not a cookie of its own
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


def timed_login(client: TestClient, password: str) -> tuple[int, float]:
    started = time.perf_counter()
    response = client.post("/api/session", json={"username": "admin", "password": password})
    return response.status_code, time.perf_counter() - started


def test_failed_logins_slow_guessing_but_never_lock_the_moderator_out(make_app, login):
    """Five wrong passwords once locked the real moderator out (anyone could do it). Now each failure
    makes the next attempts wait longer, and the right password is still accepted."""
    app = make_app(rate_limits=True)
    unit = app.state.concord.logins.unit = 0.1  # seconds per step of the delay (1 s in service)
    login(TestClient(app), "admin")
    # What a login costs here without any delay (Argon2 on a machine perhaps busy with other work).
    status, undelayed = timed_login(TestClient(app, client=("192.0.2.44", 40000)), "a long enough password")
    assert status == 200
    guesser = TestClient(app, client=("203.0.113.9", 40000))
    waits = [timed_login(guesser, "guessing guess") for _ in range(7)]
    assert [status for status, _ in waits] == [401] * 7
    # The first three are not delayed (their median, so that one slow Argon2 hash on a busy machine does
    # not decide), the later ones are.
    assert sorted(seconds for _, seconds in waits[:3])[1] < unit + min(seconds for _, seconds in waits[3:])
    assert waits[6][1] >= 5 * unit  # 2^(6−3) steps after the previous attempt, less the time since (its checks)
    # The moderator, from their own address, waits at most the account's cap, and gets in.
    status, seconds = timed_login(TestClient(app, client=("198.51.100.7", 40000)), "a long enough password")
    assert status == 200 and 5 * unit <= seconds < 8 * unit + 2 * undelayed
    # Even from the guesser's address the right password is accepted, after the queue's wait.
    assert timed_login(guesser, "a long enough password")[0] == 200


def test_unknown_usernames_take_as_long_as_known_ones(app, login):
    """Unknown usernames once answered 100 times faster than known ones, which told an attacker which
    accounts exist."""
    login(TestClient(app), "admin")
    client = TestClient(app)

    def median_seconds(username: str) -> float:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            error_of(client.post("/api/session", json={"username": username, "password": "not it at all"}), 401)
            times.append(time.perf_counter() - started)
        return sorted(times)[2]

    known, unknown = median_seconds("admin"), median_seconds("nobody.here")
    assert unknown > known / 3, (known, unknown)


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
        ("POST", f"/api/conversations/{c}/statements/1/moderation", {"status": "rejected", "reason": "no"}),
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
    url = f"/api/conversations/{site.conversation}"
    before = snapshot(site.app)
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        error_of(browser.post(f"{url}/votes", json={"statement": 1, "vote": "agree"}, headers=headers), 403)
        error_of(browser.post(f"{url}/statements", json={"text": "Written from a forged page"}, headers=headers), 403)
        error_of(browser.put(f"{url}/me/attributes", json={"attributes": {}}, headers=headers), 403)
    assert snapshot(site.app) == before
    csrf = {"X-CSRF-Token": joined["csrf_token"]}
    assert ok(browser.post(f"{url}/votes", json={"statement": 1, "vote": "agree"}, headers=csrf), 201)["vote"] == 1
    assert ok(browser.get(f"{url}/me"))["votes"] == {"1": 1}
    # A client that sends its token in the header carries no ambient credential and needs no CSRF token.
    header_client = TestClient(site.app)
    assert (
        ok(
            header_client.post(
                f"{url}/votes", json={"statement": 2, "vote": "pass"}, headers={"X-Participant-Token": joined["token"]}
            ),
            201,
        )["vote"]
        == 0
    )
    assert table_count(site.app, Participant) == 1


def test_a_planted_csrf_cookie_with_a_matching_header_cannot_act_for_a_moderator(site):
    """Once a planted ``concord_csrf`` cookie plus the same value in the header closed a conversation:
    the double-submit value was never bound to the session. Now the token is derived from the session."""
    url = f"/api/conversations/{site.conversation}"
    site.admin.cookies.set("concord_csrf", "planted-by-another-site")
    before = snapshot(site.app)
    refused = site.admin.post(f"{url}/close", headers={"X-CSRF-Token": "planted-by-another-site"})
    error_of(refused, 403, "forbidden")
    assert snapshot(site.app) == before
    assert ok(site.admin.post(f"{url}/close", headers=site.headers))["is_open"] is False


def test_the_login_form_needs_its_csrf_token(app):
    """A login form posted from another site (login CSRF) is refused: the form carries the token of
    the page it came from."""
    with app.state.concord.sessions.begin() as session:
        from concord.service.accounts import moderators as accounts

        accounts.create_user(session, "bashir", "a long enough password")
    browser = TestClient(app)
    form = {"username": "bashir", "password": "a long enough password", "next": "/"}
    assert browser.post("/login", data=form, follow_redirects=False).status_code == 403
    assert "concord_session" not in browser.cookies
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/login").text).group(1)
    assert browser.post("/login", data={**form, "csrf_token": token}, follow_redirects=False).status_code == 303
    assert "concord_session" in browser.cookies
