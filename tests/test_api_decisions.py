"""Decisions through the API, on SQLite and on PostgreSQL: proposals decided by the conversation's rule
(its own, or a space's default), and proposals put by a space to the spaces below it, decided in each
and rolled up across three levels, with reported tallies and silent places."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api_helpers import bulk_votes, db_id, error_of, ok, snapshot
from conftest import log_in

PROPOSALS = [
    "Build the new road through the valley",  # the large group for, the small against
    "Repair the village wells before the rains",  # everyone for
    "Close the old market",  # everyone against
]
ROAD, WELLS, MARKET = 1, 2, 3  # their numbers: a new conversation numbers its statements from 1


def planted(site, rule: dict | None = None) -> str:
    """A conversation with three proposals, voted by 24 + 6 participants (80/20), declared communities."""
    body = {"attributes": [{"name": "community", "options": ["large", "small"]}]}
    if rule:
        body["decision_rule"] = rule
    conversation = site.new_conversation(**body)
    numbers = site.seed(conversation, *PROPOSALS, "Teachers deserve a raise", "Taxes are too high", "More buses")
    assert numbers[:3] == [ROAD, WELLS, MARKET]
    for number in numbers[:3]:
        ok(site.admin.post(f"/api/conversations/{conversation}/statements/{number}/proposal",
                           json={"proposal": True}, headers=site.headers))  # fmt: skip
    large = [[1, 1, -1, 1, -1, 1] for _ in range(24)]
    small = [[-1, 1, -1, -1, 1, -1] for _ in range(6)]
    bulk_votes(site.app, conversation, large + small, [{"community": "large"}] * 24 + [{"community": "small"}] * 6)
    site.app.state.concord.live.analyse_now(db_id(site.app, conversation))
    return conversation


def outcomes(site, conversation: str) -> dict[int, str]:
    results = ok(TestClient(site.app).get(f"/api/conversations/{conversation}/results"))["results"]
    return {p["statement"]: p["outcome"] for p in results["decisions"]["proposals"]}


def test_proposals_are_decided_by_the_conversations_rule(site):
    majority = planted(site, {"name": "majority"})
    assert outcomes(site, majority) == {ROAD: "pass", WELLS: "pass", MARKET: "fail"}
    veto = planted(site)  # no rule of its own: the default, mutual veto
    detail = ok(TestClient(site.app).get(f"/api/conversations/{veto}"))
    assert detail["decision_rule"] is None and detail["effective_rule"]["name"] == "mutual-veto"
    assert outcomes(site, veto) == {ROAD: "fail", WELLS: "pass", MARKET: "fail"}
    decided = ok(TestClient(site.app).get(f"/api/conversations/{veto}/results"))["results"]["decisions"]
    road = decided["proposals"][0]
    assert road["majority"] == "pass" and road["agree"] == 24 and road["disagree"] == 6
    assert "small" in road["decisive"] and any(c["role"] == "veto" and c["verdict"] == "clears" for c in road["checks"])
    statements = ok(TestClient(site.app).get(f"/api/conversations/{veto}/statements"))
    assert [s["is_proposal"] for s in statements] == [True, True, True, False, False, False]


def test_a_spaces_rule_is_the_default_below_it_and_a_conversation_may_have_its_own(site):
    conversation = planted(site)
    a = site.spaces["/a"]["id"]
    made = ok(site.admin.put(f"/api/spaces/{a}/decision-rule", json={"rule": {"name": "majority"}},
                             headers=site.headers))  # fmt: skip
    assert made["decision_rule"] == {"name": "majority", "parameters": {}}
    site.app.state.concord.live.analyse_now(db_id(site.app, conversation))
    assert outcomes(site, conversation)[ROAD] == "pass"  # /a/b inherits /a's rule
    url = f"/api/conversations/{conversation}"
    own = ok(site.admin.patch(url, json={"decision_rule": {"name": "consensus", "parameters": {"threshold": 0.7}}},
                              headers=site.headers))  # fmt: skip
    assert own["effective_rule"] == {"name": "consensus", "parameters": {"threshold": 0.7}}
    back = ok(site.admin.patch(url, json={"decision_rule": None}, headers=site.headers))
    assert back["effective_rule"]["name"] == "majority"
    before = snapshot(site.app)
    error_of(site.admin.patch(url, json={"decision_rule": {"name": "plurality"}}, headers=site.headers), 422)
    error_of(site.admin.patch(url, json={"decision_rule": {"name": "consensus", "parameters": {"threshold": 3}}},
                              headers=site.headers), 422, "invalid", "rule_invalid")  # fmt: skip
    error_of(TestClient(site.app).put(f"/api/spaces/{a}/decision-rule", json={"rule": None}), 401)
    assert snapshot(site.app) == before


def three_levels(site) -> dict[str, int]:
    """/a (country) → /a/b, /a/p (provinces) → districts /a/b/c, /a/b/d, /a/p/q, /a/p/r, /a/p/s."""
    site.space("d", "/a/b")
    site.space("p", "/a")
    for slug in ("q", "r", "s"):
        site.space(slug, "/a/p")
    return {path: made["id"] for path, made in site.spaces.items()}


def vote_in_place(site, space_path: str, agree: int, disagree: int) -> None:
    space = ok(site.admin.get(f"/api/spaces/{site.spaces[space_path]['id']}"))
    conversation = space["conversations"][0]["id"]
    bulk_votes(site.app, conversation, [[1]] * agree + [[-1]] * disagree)
    site.app.state.concord.live.analyse_now(db_id(site.app, conversation))


def test_a_proposal_put_to_the_places_below_rolls_up_three_levels(site):
    ids = three_levels(site)
    # Each place decides by its own rule; here the country sets majority as the default of all below.
    ok(site.admin.put(f"/api/spaces/{ids['/a']}/decision-rule", json={"rule": {"name": "majority"}},
                      headers=site.headers))  # fmt: skip
    rule = {"name": "double-majority"}
    made = ok(site.admin.post(f"/api/spaces/{ids['/a']}/proposals",
                              json={"text": "Every district keeps a share of the budget", "rule": rule},
                              headers=site.headers), 201)  # fmt: skip
    assert made["outcome"] == "undecided" and sorted(made["silent"]) == ["B", "P"]  # nothing decided yet
    leaves = ["/a/b/c", "/a/b/d", "/a/p/q", "/a/p/r", "/a/p/s"]
    for leaf in leaves:  # each place at the bottom got a conversation holding the proposal
        space = ok(site.admin.get(f"/api/spaces/{ids[leaf]}"))
        assert [c["topic"] for c in space["conversations"]] == ["Every district keeps a share of the budget"]
    vote_in_place(site, "/a/b/c", 40, 10)
    vote_in_place(site, "/a/b/d", 12, 30)
    vote_in_place(site, "/a/p/q", 30, 5)
    vote_in_place(site, "/a/p/r", 10, 10)  # a sample's tie: undecided
    url = f"/api/spaces/{ids['/a']}/proposals/{made['id']}/tallies"
    ok(site.admin.post(url, json={"space_id": ids["/a/p/s"], "agree": 300, "disagree": 100,
                                  "note": "counted at the district meeting"}, headers=site.headers), 204)  # fmt: skip
    [rollup] = ok(TestClient(site.app).get(f"/api/spaces/{ids['/a']}/proposals"))
    places = {p["path"]: p for p in rollup["places"]}
    # q and s pass, r is undecided: a majority of the province's places either way
    assert places["/a/p"]["source"] == "below" and places["/a/p"]["outcome"] == "pass"
    assert places["/a/p"]["agree"] == 340 and places["/a/p"]["disagree"] == 115  # reported tally counted
    assert places["/a/b"]["outcome"] == "fail"  # c for, d against: no majority of places
    assert rollup["outcome"] == "fail" and rollup["popular_majority"] == "pass"
    assert rollup["silent"] == []
    assert rollup["explanation"].startswith("Does not pass: it passes in 1 of 2 places (2 decided)")
    ok(site.admin.put(f"/api/spaces/{ids['/a/b/d']}/place", json={"weight": 0.5}, headers=site.headers))
    [again] = ok(TestClient(site.app).get(f"/api/spaces/{ids['/a']}/proposals"))
    assert {p["path"]: p["outcome"] for p in again["places"]}["/a/b"] == "pass"  # d now weighs half


def test_roll_up_refusals(site):
    ids = three_levels(site)
    quota = {"name": "places-quota", "parameters": {"quota": 2}}
    made = ok(site.admin.post(f"/api/spaces/{ids['/a']}/proposals", json={"text": "Wells first", "rule": quota},
                              headers=site.headers), 201)  # fmt: skip
    district = TestClient(site.app)
    headers = log_in(district, "district.moderator", admin=False, spaces=("/a/b/c",))
    before = snapshot(site.app)
    url = f"/api/spaces/{ids['/a']}/proposals/{made['id']}/tallies"
    error_of(site.admin.post(url, json={"space_id": ids["/x"], "agree": 1, "disagree": 0}, headers=site.headers),
             422, "invalid")  # fmt: skip
    error_of(site.admin.post(url, json={"space_id": ids["/a/b/c"], "agree": -1, "disagree": 0},
                             headers=site.headers), 422)  # fmt: skip
    error_of(site.admin.post(f"/api/spaces/{ids['/x']}/proposals/{made['id']}/tallies",
                             json={"space_id": ids["/a/b/c"], "agree": 1, "disagree": 0}, headers=site.headers),
             404)  # fmt: skip
    alone = {"text": "Alone", "rule": {"name": "all-places"}}
    error_of(site.admin.post(f"/api/spaces/{ids['/a/b/c']}/proposals", json=alone, headers=site.headers), 422)
    bad = {"text": "Bad", "rule": {"name": "double-majority", "parameters": {"weigh": "area"}}}
    error_of(site.admin.post(f"/api/spaces/{ids['/a']}/proposals", json=bad, headers=site.headers), 422, "invalid",
             "rule_invalid")  # fmt: skip
    error_of(district.post(url, json={"space_id": ids["/a/b/d"], "agree": 1, "disagree": 0}, headers=headers), 403)
    assert snapshot(site.app) == before
    ok(district.post(url, json={"space_id": ids["/a/b/c"], "agree": 7, "disagree": 3}, headers=headers), 204)
