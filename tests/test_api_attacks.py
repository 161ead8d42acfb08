"""What one anonymous request could do to everyone, each tried as an attacker would, through the real
HTTP layer on SQLite and on PostgreSQL: oversized bodies, uploads before authorisation, zip bombs,
NUL characters, loose types, made-up participant tokens, a database outage.
"""

from __future__ import annotations

import io
import logging
import time
import zipfile

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api_helpers import SMALL_CONVERSATION, error_of, ok, snapshot, zip_folder
from concord.store.models import Participant
from conftest import log_in


def test_a_large_body_is_refused_before_it_is_read(site):
    """Four anonymous 100 MB bodies once took the server from 200 MB to 800 MB of memory."""
    before = snapshot(site.app)
    declared = TestClient(site.app).post(
        "/api/spaces", content=b"{}", headers={"Content-Length": str(100 * 2**20), "Content-Type": "application/json"}
    )
    error_of(declared, 413, "too_large")

    def chunks():  # no declared length: counted as it arrives
        for _ in range(40):
            yield b" " * 4096

    streamed = TestClient(site.app).post(
        f"/api/conversations/{site.conversation}/statements",
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )
    error_of(streamed, 413, "too_large")
    page = TestClient(site.app).post("/login", content=chunks(), headers={"Content-Type": "text/plain"})
    assert page.status_code == 413 and page.headers["content-type"].startswith("text/html")
    assert snapshot(site.app) == before


def test_every_text_field_has_a_length_limit(site):
    """A 10 MB space description was once stored."""
    before = snapshot(site.app)
    long = "x" * 60_000  # under the body limit, over every text limit
    error_of(site.admin.post("/api/spaces", json={"slug": "big", "name": "Big", "description": long},
                             headers=site.headers), 422, "invalid")  # fmt: skip
    for field in ("topic", "description"):
        body = {"topic": "Fine", field: long}
        error_of(site.admin.post(f"/api/spaces/{site.spaces['/a']['id']}/conversations", json=body,
                                 headers=site.headers), 422, "invalid")  # fmt: skip
    url = f"/api/conversations/{site.conversation}"
    error_of(site.admin.post(f"{url}/statements/1/moderation", json={"status": "rejected", "reason": long},
                             headers=site.headers), 422, "invalid")  # fmt: skip
    error_of(TestClient(site.app).post(f"{url}/participants", json={"xid": long}), 422, "invalid")
    assert snapshot(site.app) == before
    spec = ok(TestClient(site.app).get("/openapi.json"))["components"]["schemas"]
    assert spec["SpaceIn"]["properties"]["description"]["maxLength"] == 5_000
    assert spec["ConversationIn"]["properties"]["topic"]["maxLength"] == 300


NUL_REQUESTS = [
    ("GET", "/api/spaces?path=/a%00b", None),
    ("GET", "/api/conversations/abc%00def", None),
    ("GET", "/s/a%00b", None),
    ("GET", "/c/abc%00def/results", None),
    ("POST", "/api/session", {"username": "ad\u0000min", "password": "whatever it is"}),
    ("POST", "/api/spaces", {"slug": "nul", "name": "A\u0000B"}),
]


@pytest.mark.parametrize(("method", "url", "body"), NUL_REQUESTS)
def test_nul_characters_are_refused_at_the_boundary(site, method, url, body):
    """A NUL in a path, a query or a login name once gave PostgreSQL a 500 with a traceback (and was
    stored on SQLite)."""
    before = snapshot(site.app)
    client = site.admin if url == "/api/spaces" and method == "POST" else TestClient(site.app)
    response = client.request(method, url, json=body, headers=site.headers if client is site.admin else {})
    assert response.status_code == 422, response.text
    assert snapshot(site.app) == before


def test_a_nul_in_a_page_form_is_refused(site):
    page = TestClient(site.app)
    token = page.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    refused = page.post("/login", data={"username": "ad\x00min", "password": "x", "csrf_token": token})
    assert refused.status_code == 422


def test_types_are_strict(site):
    """``{"statement": false}`` was once taken as statement 0."""
    someone = site.person()
    before = snapshot(site.app)
    for body in ({"statement": False, "vote": "agree"}, {"statement": "0", "vote": "agree"},
                 {"statement": 0.0, "vote": "agree"}):  # fmt: skip
        error_of(someone.client.post(f"/api/conversations/{site.conversation}/votes", json=body,
                                     headers=someone.headers), 422, "invalid")  # fmt: skip
    assert snapshot(site.app) == before


def test_every_response_says_nosniff_and_no_docs_load_from_elsewhere(site):
    client = TestClient(site.app)
    for url in ("/api/health", "/openapi.json", f"/c/{site.conversation}", "/static/concord.js", "/nowhere"):
        assert client.get(url).headers["x-content-type-options"] == "nosniff", url
    assert client.get("/docs").status_code == 404  # Swagger UI loads its script from a CDN: not served
    assert client.get("/redoc").status_code == 404


# --- imports -------------------------------------------------------------------------------------


def bomb(size: int = 200 * 2**20) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("votes.csv", b"0" * size)
    return buffer.getvalue()


def test_an_upload_is_refused_before_it_is_read_unless_the_sender_may_import(site):
    """A 400 KB zip that expanded to 200 MB once got its 401 after 8 s, and every request waited."""
    upload = bomb()
    assert len(upload) < 400_000
    target = f"/api/spaces/{site.spaces['/a/b']['id']}/imports"
    stranger = TestClient(site.app)
    headers = log_in(stranger, "stranger", admin=False, spaces=("/x",))
    before = snapshot(site.app)
    started = time.perf_counter()
    error_of(TestClient(site.app).post(target, files={"file": ("bomb.zip", upload)}), 401, "unauthorized")
    assert time.perf_counter() - started < 1.0
    error_of(stranger.post(target, files={"file": ("bomb.zip", upload)}, headers=headers), 403, "forbidden")
    assert snapshot(site.app) == before


def test_zip_bombs_and_crowded_archives_are_refused_by_a_moderator_too(site):
    target = f"/api/spaces/{site.spaces['/a/b']['id']}/imports"
    before = snapshot(site.app)
    started = time.perf_counter()
    refused = site.admin.post(target, files={"file": ("bomb.zip", bomb(300 * 2**20))}, headers=site.headers)
    error_of(refused, 422, "invalid")
    assert "once unpacked" in refused.json()["error"]["message"]
    assert time.perf_counter() - started < 10
    crowded = io.BytesIO()
    with zipfile.ZipFile(crowded, "w") as archive:
        for i in range(40):
            archive.writestr(f"junk-{i}.txt", b"")
    error_of(site.admin.post(target, files={"file": ("crowded.zip", crowded.getvalue())}, headers=site.headers),
             422, "invalid")  # fmt: skip
    no_file = site.admin.post(target, data={"topic": "nothing attached"}, headers=site.headers)
    error_of(no_file, 422, "invalid")
    assert snapshot(site.app) == before
    # The real thing still imports.
    made = site.admin.post(target, files={"file": ("london.zip", zip_folder(SMALL_CONVERSATION))}, headers=site.headers)
    assert ok(made, 201)["participants"] == 27


def test_an_upload_form_without_its_csrf_token_is_refused(site):
    target = f"/api/spaces/{site.spaces['/a/b']['id']}/imports"
    upload = zip_folder(SMALL_CONVERSATION)
    before = snapshot(site.app)
    error_of(site.admin.post(target, files={"file": ("london.zip", upload)}), 403, "forbidden")
    error_of(site.admin.post(target, files={"file": ("london.zip", upload)}, data={"csrf_token": "forged"}), 403)
    assert snapshot(site.app) == before


# --- participant tokens --------------------------------------------------------------------------


def test_the_server_never_adopts_a_token_the_client_made_up(site):
    chosen = "my-own-chosen-token-123456"
    joined = ok(TestClient(site.app).post(f"/api/conversations/{site.conversation}/participants", json={},
                                          headers={"X-Participant-Token": chosen}), 201)  # fmt: skip
    assert joined["token"] != chosen
    voter = TestClient(site.app)
    voted = voter.post(f"/api/conversations/{site.conversation}/votes", json={"statement": 1, "vote": "agree"},
                       headers={"X-Participant-Token": chosen})  # fmt: skip
    assert ok(voted, 201)["vote"] == 1
    # The vote joined a new participant with a token of the server's, never the chosen one.
    assert voted.headers.get("x-csrf-token") is None  # a header client: no cookie, no CSRF token
    with site.app.state.concord.sessions.begin() as session:
        stored = session.scalars(select(Participant.token_hash)).all()
    assert len(stored) == 2 and not any(chosen in value for value in stored)


def test_one_browser_in_two_conversations_cannot_be_linked_from_the_database(site):
    other = site.new_conversation()
    site.seed(other, "Another question")
    browser = TestClient(site.app)
    first = ok(browser.post(f"/api/conversations/{site.conversation}/participants", json={}), 201)
    second = ok(browser.post(f"/api/conversations/{other}/participants", json={},
                             headers={"X-CSRF-Token": first["csrf_token"]}), 201)  # fmt: skip
    assert first["token"] == second["token"]  # one browser, one token
    with site.app.state.concord.sessions.begin() as session:
        stored = session.scalars(select(Participant.token_hash)).all()
    assert len(stored) == 2 and len(set(stored)) == 2  # … but nothing in the database ties the two rows
    assert ok(browser.get(f"/api/conversations/{other}/me"))["number"] == second["number"]


# --- the database goes away ----------------------------------------------------------------------


@pytest.fixture
def own_cluster():
    """A PostgreSQL server of this test's own, to be stopped and started again."""
    from postgres import Cluster, PostgresUnavailable

    cluster = Cluster()
    try:
        cluster.start()
    except PostgresUnavailable as error:
        cluster.stop()
        pytest.skip(str(error))
    yield cluster
    cluster.stop()


def test_while_postgresql_is_down_requests_get_503_and_the_log_says_so_once(own_cluster, caplog):
    from concord.web.app import create_app

    url = own_cluster.url(own_cluster.create_database())
    app = create_app(url, live_analysis=False, rate_limits=False)
    client = TestClient(app)
    headers = log_in(client)
    space = ok(client.post("/api/spaces", json={"slug": "a", "name": "A"}, headers=headers), 201)
    conversation = ok(client.post(f"/api/spaces/{space['id']}/conversations", json={"topic": "Wells"},
                                  headers=headers), 201)["id"]  # fmt: skip
    ok(client.post(f"/api/conversations/{conversation}/statements", json={"text": "Wells first"}, headers=headers),
       201)  # fmt: skip
    voter = TestClient(app)
    joined = ok(voter.post(f"/api/conversations/{conversation}/participants", json={}), 201)
    vote_headers = {"X-Participant-Token": joined["token"]}

    own_cluster.pause()
    caplog.set_level(logging.ERROR)
    for _ in range(3):
        error_of(client.get("/api/spaces"), 503, "unavailable")
        refused = voter.post(f"/api/conversations/{conversation}/votes", json={"statement": 1, "vote": "agree"},
                             headers=vote_headers)  # fmt: skip
        error_of(refused, 503, "unavailable")
        assert int(refused.headers["Retry-After"]) >= 1
    page = TestClient(app).get(f"/c/{conversation}?lang=ps")
    assert page.status_code == 503 and "ډېټابېس" in page.text and 'dir="rtl"' in page.text
    readiness = client.get("/api/ready")  # the load balancer sends this process nothing meanwhile
    assert readiness.status_code == 503 and readiness.json()["ready"] is False
    assert readiness.json()["database"] != "ok" and readiness.json()["stopping"] is False
    records = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(records) == 1 and "cannot be reached" in records[0].getMessage() and not records[0].exc_info

    own_cluster.resume()
    assert ok(client.get("/api/spaces"))[0]["path"] == "/a"  # recovered by itself
    assert ok(client.get("/api/ready"))["ready"] is True
    assert ok(voter.post(f"/api/conversations/{conversation}/votes", json={"statement": 1, "vote": "agree"},
                         headers=vote_headers), 201)["vote"] == 1  # fmt: skip
    app.state.concord.close()


def test_a_closed_conversation_takes_no_seed_statement_either(site):
    url = f"/api/conversations/{site.conversation}"
    ok(site.admin.post(f"{url}/close", headers=site.headers))
    before = snapshot(site.app)
    error_of(site.admin.post(f"{url}/statements", json={"text": "One more seed"}, headers=site.headers), 409,
             "conflict", "conversation_closed")  # fmt: skip
    assert snapshot(site.app) == before


OVERRIDE = "\u202eevil"  # a right-to-left override, then text


def test_direction_controls_in_user_text_stay_inside_it(site, tmp_path):
    """A right-to-left override in a topic once reached <title>, form fields and the HTML report raw,
    reordering what followed it."""
    conversation = site.new_conversation(topic=f"Water {OVERRIDE}", description=f"Wells {OVERRIDE}")
    html = site.admin.get(f"/c/{conversation}/moderate").text
    title = html.split("<title>")[1].split("</title>")[0]
    assert f"\u2068Water {OVERRIDE}\u2069" in title
    assert f"\u2068Water {OVERRIDE}\u2069" in html.split('name="topic"')[1].split(">")[0]  # the settings field
    assert html.count("\u202e") == html.count("\u2068Water \u202e") + html.count("\u2068Wells \u202e")

    from concord.engine.analysis import analyze
    from concord.formats.polis import read_export
    from concord.report.html import render_html
    from concord.report.results import analysis_results

    export = read_export(SMALL_CONVERSATION)
    analysis = analyze(export.votes)
    texts = {sid: s.text + OVERRIDE for sid, s in export.statements.items()}
    report = render_html(analysis, analysis_results(analysis, texts, topic=f"Policing {OVERRIDE}"))
    assert report.count("\u202e") == report.count(f"{OVERRIDE}\u2069") > 0
