"""Every API route documented, and malformed requests refused with a clear 4xx that stores nothing.

Through the JSON API on SQLite and on a real PostgreSQL server (each test gets a fresh database, see
``database_url`` in conftest.py); refused requests are checked to leave every table as it was.
"""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from api_helpers import Site, error_of, ok, snapshot

# --- meta -------------------------------------------------------------------------------------


def test_health(client):
    assert ok(client.get("/api/health")) == {"status": "ok"}


def test_ready_until_the_server_begins_to_stop(client):
    assert ok(client.get("/api/ready")) == {"ready": True, "database": "ok", "stopping": False}
    client.app.state.concord.stopping = True  # as when shutdown begins: the load balancer stops sending
    answer = client.get("/api/ready")
    assert answer.status_code == 503 and answer.json() == {"ready": False, "database": "not asked", "stopping": True}
    assert ok(client.get("/api/health")) == {"status": "ok"}  # alive all the same


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
    ("PUT", "/api/conversations/{conversation_id}/outcome"),  # test_api_closing.py
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
    ("POST", "/api/conversations/{conversation_id}/blocs"),
    ("POST", "/api/conversations/{conversation_id}/invitations"),
    ("GET", "/api/conversations/{conversation_id}/invitations"),
    ("GET", "/api/health"),
    ("GET", "/api/ready"),
    ("GET", "/api/conversations/{conversation_id}/embedding"),
    ("POST", "/api/conversations/{conversation_id}/statements/{number}/proposal"),
    ("PUT", "/api/spaces/{space_id}/decision-rule"),
    ("PUT", "/api/spaces/{space_id}/place"),
    ("GET", "/api/spaces/{space_id}/proposals"),
    ("POST", "/api/spaces/{space_id}/proposals"),
    ("POST", "/api/spaces/{space_id}/proposals/{proposal_id}/tallies"),
    ("PATCH", "/api/conversations/{conversation_id}/statements/{number}"),  # test_api_translations.py
    ("GET", "/api/conversations/{conversation_id}/translations"),
    ("POST", "/api/conversations/{conversation_id}/translations"),
    ("POST", "/api/conversations/{conversation_id}/translations/{translation_id}/moderation"),
    ("GET", "/api/conversations/{conversation_id}/translations/coverage"),
    ("GET", "/api/conversations/{conversation_id}/translations/{language}/po"),
    ("PUT", "/api/conversations/{conversation_id}/translations/{language}/po"),
    ("POST", "/api/spaces/{space_id}/budgets"),  # test_api_budgets.py
    ("GET", "/api/spaces/{space_id}/budgets"),
    ("POST", "/api/spaces/{space_id}/budget-imports"),
    ("GET", "/api/budgets/{budget_id}"),
    ("PATCH", "/api/budgets/{budget_id}"),
    ("POST", "/api/budgets/{budget_id}/close"),
    ("POST", "/api/budgets/{budget_id}/reopen"),
    ("POST", "/api/budgets/{budget_id}/projects"),
    ("PATCH", "/api/budgets/{budget_id}/projects/{number}"),
    ("DELETE", "/api/budgets/{budget_id}/projects/{number}"),
    ("PUT", "/api/budgets/{budget_id}/ballot"),
    ("GET", "/api/budgets/{budget_id}/ballot"),
    ("GET", "/api/budgets/{budget_id}/outcome"),
    ("POST", "/api/budgets/{budget_id}/split"),
    ("GET", "/api/budgets/{budget_id}/export.pb"),
    ("GET", "/api/budgets/{budget_id}/export"),  # test_public_records.py
    ("GET", "/api/spaces/{space_id}/export"),
    ("GET", "/api/logs"),  # test_log.py
    ("GET", "/api/conversations/{conversation_id}/receipts"),
    ("GET", "/api/conversations/{conversation_id}/log"),
    ("GET", "/api/conversations/{conversation_id}/log/checkpoint"),
    ("GET", "/api/conversations/{conversation_id}/log/entries"),
    ("GET", "/api/conversations/{conversation_id}/log/proof"),
    ("GET", "/api/conversations/{conversation_id}/log/consistency"),
    ("GET", "/api/spaces/{space_id}/log"),
    ("GET", "/api/spaces/{space_id}/log/checkpoint"),
    ("GET", "/api/spaces/{space_id}/log/entries"),
    ("GET", "/api/spaces/{space_id}/log/proof"),
    ("GET", "/api/spaces/{space_id}/log/consistency"),
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
        ("POST", f"/api/conversations/{c}/statements/{site.seeds[0]}/moderation"),
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
        for body in ([1, 2], "text", {"unexpected_field": 1, "text": "x", "statement": site.seeds[0], "vote": "agree"}):
            response = site.admin.request(method, url, json=body, headers=site.headers)
            error_of(response, 422, "invalid")
    error_of(person.vote("zero"), 422, "invalid")
    error_of(person.vote(site.seeds[0], "maybe"), 422, "invalid")
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
