"""The vote route's lean path (concord.web.api.vote_route) answers exactly as the documented route does.

The same request is sent twice: as API clients send it (the lean path takes it), and with a query the
route ignores (which hands it to the documented route); status, headers and body must agree, for votes
taken and for every refusal the lean path gives itself. Everything else must reach the route untouched.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api_helpers import SEEDS, Person, small_site
from concord.web.api import vote_route


@pytest.fixture
def lean(monkeypatch):
    """How many answers the lean path wrote."""
    answered = []
    respond = vote_route._respond

    async def counted(*args, **kwargs):
        answered.append(args[1])
        await respond(*args, **kwargs)

    monkeypatch.setattr(vote_route, "_respond", counted)
    return answered


def _voter(app, site) -> tuple[TestClient, dict]:
    """A joined participant's client that sends no cookie, and its headers."""
    person = Person(TestClient(app), site.conversation)
    assert person.join().status_code == 201
    client = TestClient(app)  # no cookie jar from the join: API clients send the header only
    return client, {"X-Participant-Token": person.token}


def _both(client, path, body, headers, lean, *, lean_path: bool = True):
    """The answer of the lean path and of the route to the same request."""
    before = len(lean)
    first = client.post(path, json=body, headers=headers)
    assert len(lean) == before + (1 if lean_path else 0), "the lean path did not take it" if lean_path else "it did"
    second = client.post(path + "?via=route", json=body, headers=headers)
    assert len(lean) == before + (1 if lean_path else 0), "the route's request went to the lean path"
    return first, second


def _same(first, second, *, receipt: bool = False) -> None:
    assert first.status_code == second.status_code, (first.text, second.text)
    skip = {"content-length"} if receipt else set()
    assert [(k, v) for k, v in first.headers.items() if k not in skip] == [
        (k, v) for k, v in second.headers.items() if k not in skip
    ]
    if receipt:
        one, two = first.json(), second.json()
        assert set(one["receipt"]) == set(two["receipt"]) == {"entry", "leaf"}
        assert two["receipt"]["entry"] == one["receipt"]["entry"] + 1  # the next entry of the log
        assert list(one) == list(two) == ["statement", "vote", "receipt"]
        one.pop("receipt"), two.pop("receipt")
        assert one == two
        assert first.content.startswith(b'{"statement":') and b" " not in first.content
    else:
        assert first.content == second.content


@pytest.mark.parametrize("vote", ["agree", "disagree", "pass"])
def test_a_vote_is_answered_alike(site, lean, vote):
    client, headers = _voter(site.app, site)
    path = f"/api/conversations/{site.conversation}/votes"
    first, second = _both(client, path, {"statement": 1, "vote": vote}, headers, lean)
    assert first.status_code == 201 and first.json()["vote"] == {"agree": 1, "disagree": -1, "pass": 0}[vote]
    _same(first, second, receipt=True)
    assert "set-cookie" not in first.headers


def test_refusals_are_answered_alike(site, lean):
    client, headers = _voter(site.app, site)
    path = f"/api/conversations/{site.conversation}/votes"
    for body in ({"statement": 999, "vote": "agree"},):  # no such statement: 404
        first, second = _both(client, path, body, headers, lean)
        assert first.status_code == 404
        _same(first, second)
    first, second = _both(
        client, "/api/conversations/nosuchthing/votes", {"statement": 1, "vote": "agree"}, headers, lean
    )
    assert first.status_code == 404
    _same(first, second)
    site.admin.post(f"/api/conversations/{site.conversation}/close", headers=site.headers)
    first, second = _both(client, path, {"statement": 1, "vote": "agree"}, headers, lean)
    assert first.status_code == 409
    _same(first, second)


def test_a_flood_is_refused_alike(make_app, lean):
    app = make_app(rate_limits=True)
    site = small_site(app, TestClient(app))
    site.seed(site.conversation, *SEEDS)
    client, headers = _voter(app, site)
    path = f"/api/conversations/{site.conversation}/votes"
    for number in range(40):  # 30 at once, then 2 a second
        answer = client.post(path, json={"statement": 1 + number % 4, "vote": "agree"}, headers=headers)
        if answer.status_code == 429:
            break
    assert answer.status_code == 429
    refused = client.post(path + "?via=route", json={"statement": 1, "vote": "agree"}, headers=headers)
    assert refused.status_code == 429
    assert answer.headers["retry-after"] and refused.headers["retry-after"]
    assert list(answer.headers) == list(refused.headers)
    assert answer.json()["error"]["code"] == refused.json()["error"]["code"] == "rate_limited"


@pytest.mark.parametrize(
    "body",
    [
        {"statement": 1},
        {"statement": 1, "vote": "maybe"},
        {"statement": True, "vote": "agree"},
        {"statement": "1", "vote": "agree"},
        {"statement": -1, "vote": "agree"},
        {"statement": 2**40, "vote": "agree"},
        {"statement": 1.0, "vote": "agree"},
        {"statement": 1, "vote": "agree", "extra": 1},
        [1, "agree"],
    ],
)
def test_anything_else_goes_to_the_route(site, lean, body):
    client, headers = _voter(site.app, site)
    path = f"/api/conversations/{site.conversation}/votes"
    first, second = _both(client, path, body, headers, lean, lean_path=False)
    assert first.status_code == 422
    _same(first, second)


def test_cookies_forms_and_odd_bodies_go_to_the_route(site, lean):
    client, headers = _voter(site.app, site)
    path = f"/api/conversations/{site.conversation}/votes"
    cookie = {**headers, "Cookie": f"concord_participant={headers['X-Participant-Token']}"}
    assert client.post(path, json={"statement": 1, "vote": "agree"}, headers=cookie).status_code == 201
    broken = {**headers, "Content-Type": "application/json"}
    assert client.post(path, content=b'{"statement": 1, "vote": "agree"', headers=broken).status_code == 400
    text = {**headers, "Content-Type": "text/plain"}
    client.post(path, content=b'{"statement": 1, "vote": "agree"}', headers=text)
    anonymous = client.post(path, json={"statement": 1, "vote": "agree"})
    assert anonymous.status_code != 500
    assert lean == []
