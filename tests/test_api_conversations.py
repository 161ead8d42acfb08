"""Conversations: settings, defaults, refusals, closing and reopening.

Through the JSON API on SQLite and on a real PostgreSQL server (each test gets a fresh database, see
``database_url`` in conftest.py); refused requests are checked to leave every table as it was.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from api_helpers import cast, error_of, ok, snapshot

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
    ok(voter.vote(1), 201)
    closed = ok(site.admin.post(f"/api/conversations/{site.conversation}/close", headers=site.headers))
    assert closed["is_open"] is False
    assert ok(site.admin.get(f"/api/spaces/{site.spaces['/a/b']['id']}"))["conversations"][0]["is_open"] is False
    before = snapshot(site.app)
    error_of(voter.vote(2), 409, "conflict", "conversation_closed")
    error_of(voter.vote(1, "disagree"), 409, "conflict", "conversation_closed")
    error_of(voter.write("A statement after the end"), 409, "conflict", "conversation_closed")
    newcomer = site.person(join=False)
    error_of(newcomer.join(), 409, "conflict", "conversation_closed")
    error_of(newcomer.vote(2), 409, "conflict", "conversation_closed")
    assert snapshot(site.app) == before
    # Reading still works.
    assert ok(voter.me())["votes"] == {"1": 1}
    assert ok(voter.client.get(f"/api/conversations/{site.conversation}/results")) is not None
    assert len(ok(voter.client.get(f"/api/conversations/{site.conversation}/statements"))) == 4
    reopened = ok(site.admin.post(f"/api/conversations/{site.conversation}/reopen", headers=site.headers))
    assert reopened["is_open"] is True
    assert cast(ok(voter.vote(2, "disagree"), 201)) == {"statement": 2, "vote": -1}
    ok(newcomer.join(), 201)
