"""Nested spaces and who may act in them.

Through the JSON API on SQLite and on a real PostgreSQL server (each test gets a fresh database, see
``database_url`` in conftest.py); refused requests are checked to leave every table as it was.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from api_helpers import SMALL_CONVERSATION, error_of, moderator_of, ok, snapshot, table_count, zip_folder
from concord.store.models import (
    SpaceRole,
)
from conftest import log_in

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
        ok(site.person(conversations[path]).vote(1), 201)
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
            == 202
        )
        assert ok(moderator.get(f"/api/spaces/{ids[path]}"))["can_moderate"] is True
        c = conversations[path]
        assert (
            ok(
                moderator.post(
                    f"/api/conversations/{c}/statements/1/moderation",
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
            ("POST", f"/api/conversations/{c}/statements/1/moderation", {"status": "rejected", "reason": "no"}),
            ("PATCH", f"/api/conversations/{c}", {"topic": "Renamed"}),
            ("POST", f"/api/conversations/{c}/close", None),
            ("POST", f"/api/conversations/{c}/invitations", {"count": 1}),
            ("GET", f"/api/conversations/{c}/invitations", None),
            ("GET", f"/api/conversations/{c}/statements?status=pending", None),
        ]:
            error_of(moderator.request(method, url, json=body, headers=headers), 403, "forbidden")
        assert moderator.get(f"/api/conversations/{c}/export").status_code == 200  # public: anyone may verify it
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
        ("POST", f"/api/conversations/{c}/statements/1/moderation", {"status": "rejected", "reason": "no"}),
        ("PATCH", f"/api/conversations/{c}", {"topic": "Renamed"}),
        ("POST", f"/api/conversations/{c}/close", None),
        ("POST", f"/api/conversations/{c}/reopen", None),
        ("POST", f"/api/conversations/{c}/invitations", {"count": 1}),
        ("GET", f"/api/conversations/{c}/invitations", None),
        ("GET", f"/api/conversations/{c}/statements?status=pending", None),
        ("GET", f"/api/conversations/{c}/statements?status=all", None),
        ("GET", "/api/session", None),
    ]:
        error_of(anonymous.client.request(method, url, json=body, headers=anonymous.headers), 401, "unauthorized")
    assert anonymous.client.get(f"/api/conversations/{c}/export").status_code == 200  # public: anyone may verify it
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
            == 202
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


def test_adding_a_moderator_does_not_tell_which_accounts_exist(site):
    """Once `no user named X` (404) for an unknown name and 204 for a known one told any moderator
    which accounts exist. Now the answer is the same either way, as an invitation's is."""
    moderator, headers = moderator_of(site, "/a/b")
    log_in(TestClient(site.app), "bashir", admin=False)
    b = site.spaces["/a/b"]["id"]
    before = snapshot(site.app)
    unknown = moderator.post(f"/api/spaces/{b}/moderators", json={"username": "nobody.here"}, headers=headers)
    assert snapshot(site.app) == before  # nothing stored for a name no account has
    known = moderator.post(f"/api/spaces/{b}/moderators", json={"username": "bashir"}, headers=headers)
    assert unknown.status_code == known.status_code == 202
    assert ok(unknown, 202) == {**ok(known, 202), "username": "nobody.here"}
    assert set(known.headers) == set(unknown.headers)
    assert table_count(site.app, SpaceRole) == before["space_roles"] + 1  # bashir moderates /a/b now
    assert ok(moderator.post(f"/api/spaces/{b}/moderators", json={"username": "bashir"}, headers=headers), 202)
    assert table_count(site.app, SpaceRole) == before["space_roles"] + 1  # granting twice is harmless
    # A name no account can have is refused for its form alone, which says nothing about accounts.
    error_of(moderator.post(f"/api/spaces/{b}/moderators", json={"username": "not a name!"}, headers=headers), 422)
    # The OpenAPI description says so.
    spec = ok(TestClient(site.app).get("/openapi.json"))
    operation = spec["paths"]["/api/spaces/{space_id}/moderators"]["post"]
    assert "202" in operation["responses"] and "204" not in operation["responses"]
    assert "whether" in operation["description"] and "exists" in operation["description"]
