"""Taking part: joining by link, invitation or external id, declared attributes, the next statement, votes.

Through the JSON API on SQLite and on a real PostgreSQL server (each test gets a fresh database, see
``database_url`` in conftest.py); refused requests are checked to leave every table as it was.
"""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy import select

from api_helpers import SEEDS, Person, Site, cast, error_of, ok, small_site, snapshot, table_count
from concord.service.accounts.xids import xid_token
from concord.store.models import (
    Invitation,
    Participant,
    Vote,
    VoteEvent,
)

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
    ok(first_vote.vote(1), 201)
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
    error_of(guest.vote(1), 401, "unauthorized")
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


def signed(site: Site, conversation: str, xid: str, expires_in: int = 3600) -> dict:
    """What the embedding site sends: the member's id and its signature under the conversation's key."""
    secret = ok(site.admin.get(f"/api/conversations/{conversation}/embedding"))["xid_secret"]
    return {"xid": xid, "xid_token": xid_token(secret, conversation, xid, int(time.time()) + expires_in)}


def test_xid_conversations_need_an_xid_the_embedding_site_signed(site):
    conversation = site.new_conversation(access="xid")
    site.seed(conversation, "Embedded statement")
    device = site.person(conversation, join=False)
    before = snapshot(site.app)
    for body in ({}, {"xid": ""}, {"xid": "   "}, {"invite_code": "ABCDEFGH"}):
        error_of(device.join(**body), 403, "forbidden", "xid_required")
    error_of(device.join(xid="x" * 201), 422, "invalid")
    error_of(device.vote(1), 401, "unauthorized")
    assert snapshot(site.app) == before
    ok(device.join(**signed(site, conversation, "member-42")), 201)
    ok(device.vote(1), 201)
    second_device = site.person(conversation, **signed(site, conversation, "member-42"))
    assert second_device.number == device.number
    assert ok(second_device.me())["votes"] == {"1": 1}
    assert site.person(conversation, **signed(site, conversation, "member-43")).number != device.number
    assert table_count(site.app, Participant) == 2


def test_knowing_someones_xid_does_not_make_you_them(site):
    """Anyone who knew or guessed an external id once became that participant and could change their
    votes. Only an id the embedding site signed lets you in."""
    conversation = site.new_conversation(access="xid")
    site.seed(conversation, "Embedded statement")
    member = site.person(conversation, **signed(site, conversation, "member-42"))
    ok(member.vote(1, "agree"), 201)
    intruder = site.person(conversation, join=False)
    other = site.new_conversation(access="xid")
    before = snapshot(site.app)
    error_of(intruder.join(xid="member-42"), 403, "forbidden", "xid_unsigned")
    forged = signed(site, conversation, "member-43")["xid_token"]  # a real signature, of another id
    error_of(intruder.join(xid="member-42", xid_token=forged), 403, "forbidden", "xid_signature")
    expired = signed(site, conversation, "member-42", expires_in=-1)
    error_of(intruder.join(**expired), 403, "forbidden", "xid_expired")
    # the signature of the same id for another conversation
    error_of(intruder.join(xid="member-42", xid_token=signed(site, other, "member-42")["xid_token"]), 403)
    assert snapshot(site.app) == before
    assert ok(member.me())["votes"] == {"1": 1}

    # Unsigned ids only when a moderator accepts the risk, in the conversation's settings.
    url = f"/api/conversations/{conversation}"
    assert ok(site.admin.patch(url, json={"allow_unsigned_xid": True}, headers=site.headers))["allow_unsigned_xid"]
    assert ok(intruder.join(xid="member-42"), 201)["number"] == member.number
    stranger = TestClient(site.app)
    error_of(stranger.get(f"{url}/embedding"), 401, "unauthorized")


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
    assert cast(ok(voter.vote(1, "agree"), 201)) == {"statement": 1, "vote": 1}
    assert cast(ok(voter.vote(2, "pass"), 201)) == {"statement": 2, "vote": 0}
    assert cast(ok(voter.vote(1, "disagree"), 201)) == {"statement": 1, "vote": -1}
    assert ok(voter.me())["votes"] == {"1": -1, "2": 0}
    assert table_count(site.app, Vote) == 2 and table_count(site.app, VoteEvent) == 3
    assert ok(site.admin.get(f"/api/conversations/{site.conversation}"))["votes"] == 2


def test_vote_flood_is_refused_with_retry_after(make_app):
    app = make_app(rate_limits=True)
    site = small_site(app, TestClient(app))
    numbers = site.seed(site.conversation, *SEEDS)
    voter = site.person()
    started, accepted, refused = time.monotonic(), 0, None
    while refused is None and accepted < 200:
        response = voter.vote(numbers[accepted % 4], ["agree", "disagree"][accepted % 2])
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
    ok(site.person().vote(numbers[0]), 201)  # the limit is per participant
