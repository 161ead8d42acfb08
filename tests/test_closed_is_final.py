"""Closed means final: once a conversation is closed, nothing that decides its proposals can change —
votes, participants' declared answers, the questions asked, its rule, which statements are proposals —
through the API or the pages, each refused with 409 and a message that says it is closed, storing
nothing; the rule in force when it closed stays with it, whatever its space's rule becomes afterwards,
and its log still recomputes to the published decisions. Reopening resumes everything, and the
conversation follows its space's rule again.

API tests on SQLite and on PostgreSQL; page tests on SQLite (as the other page tests)."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api_helpers import Person, bulk_votes, db_id, error_of, ok, snapshot
from concord.store.models import Conversation, Log, LogEntry, Space, Statement
from concord.verify.exports import verify_export
from page_helpers import Site as PageSite
from page_helpers import page, post, redirected
from test_log import export

COMMUNITIES = [{"name": "community", "options": ["large", "small"]}]
PROPOSALS = [
    "Build the new road through the valley",  # the large community for, the small one against
    "Repair the village wells before the rains",  # everyone for
    "Close the old market",  # everyone against
]
ROAD, WELLS, MARKET, TEACHERS = 1, 2, 3, 4  # their numbers: a new conversation numbers from 1
DARI_CLOSED = "این گفتگو بسته است"  # "this conversation is closed", from the Dari catalogue
DARI_CLOSED_NOTICE = "این گفتگو بسته شده است"  # "This conversation is closed." (the participant's page)


def planted(site) -> tuple[str, Person]:
    """A conversation of /a/b with no rule of its own (so mutual veto, Concord's default), three
    proposals voted by 24 + 6 participants (80/20) who declared their community, and one more
    participant of the small community who joined and voted through the API."""
    conversation = site.new_conversation(attributes=COMMUNITIES)
    numbers = site.seed(conversation, *PROPOSALS, "Teachers deserve a raise", "Taxes are too high", "More buses")
    assert numbers[:4] == [ROAD, WELLS, MARKET, TEACHERS]
    for number in (ROAD, WELLS, MARKET):
        ok(site.admin.post(f"/api/conversations/{conversation}/statements/{number}/proposal",
                           json={"proposal": True}, headers=site.headers))  # fmt: skip
    large = [[1, 1, -1, 1, -1, 1] for _ in range(24)]
    small = [[-1, 1, -1, -1, 1, -1] for _ in range(6)]
    bulk_votes(site.app, conversation, large + small, [{"community": "large"}] * 24 + [{"community": "small"}] * 6)
    someone = site.person(conversation, attributes={"community": "small"})
    ok(someone.vote(ROAD, "disagree"), 201)
    return conversation, someone


def decided(site, conversation: str) -> dict:
    """The published decisions, analysed afresh from what is stored now."""
    site.app.state.concord.live.analyse_now(db_id(site.app, conversation))
    results = ok(TestClient(site.app).get(f"/api/conversations/{conversation}/results"))["results"]
    return results["decisions"]


def outcomes(decisions: dict) -> dict[int, str]:
    return {proposal["statement"]: proposal["outcome"] for proposal in decisions["proposals"]}


def stored(app, conversation: str) -> dict:
    """Everything a refused request must leave as it was: the tables, each statement's being a
    proposal, the conversation's and the spaces' rules, and the length of every log."""
    with app.state.concord.sessions.begin() as session:
        found = session.scalar(select(Conversation).where(Conversation.public_id == conversation))
        return {
            **snapshot(app),
            "proposals": session.execute(
                select(Statement.number, Statement.is_proposal)
                .where(Statement.conversation_id == found.id)
                .order_by(Statement.number)
            ).all(),
            "rule": json.dumps(found.decision_rule, sort_keys=True),
            "attributes": json.dumps(found.attributes, sort_keys=True),
            "space_rules": [json.dumps(rule, sort_keys=True) for rule in session.scalars(select(Space.decision_rule))],
            "log_entries": session.scalar(select(func.count()).select_from(LogEntry)),
        }


def closed_refusal(response) -> None:
    detail = error_of(response, 409, "conflict", "conversation_closed")
    assert "this conversation is closed" in detail["message"], detail


def close(site, conversation: str) -> dict:
    return ok(site.admin.post(f"/api/conversations/{conversation}/close", headers=site.headers))


def conversation_entries(app, conversation: str) -> list[dict]:
    """The conversation's ``conversation`` log entries: its settings, the rule in force among them."""
    owner = db_id(app, conversation)
    with app.state.concord.sessions.begin() as session:
        log_id = select(Log.id).where(Log.conversation_id == owner).scalar_subquery()
        bodies = session.scalars(
            select(LogEntry.body)
            .where(LogEntry.log_id == log_id, LogEntry.type == "conversation")
            .order_by(LogEntry.seq)
        )
        return [json.loads(body) for body in bodies]


# --- the API ----------------------------------------------------------------------------------------


def test_a_closed_conversation_refuses_whatever_would_change_its_decisions(site):
    conversation, someone = planted(site)
    url = f"/api/conversations/{conversation}"
    before_closing = decided(site, conversation)
    assert outcomes(before_closing) == {ROAD: "fail", WELLS: "pass", MARKET: "fail"}  # the small community vetoes
    assert close(site, conversation)["is_open"] is False
    published = decided(site, conversation)
    assert published == before_closing
    before = stored(site.app, conversation)

    closed_refusal(someone.vote(WELLS, "agree"))
    closed_refusal(someone.vote(ROAD, "agree"))  # a changed vote
    # Declaring another community would turn the vetoing group into a minority of one: refused, both ways.
    closed_refusal(someone.client.put(f"{url}/me/attributes", json={"attributes": {"community": "large"}},
                                      headers=someone.headers))  # fmt: skip
    closed_refusal(someone.join(attributes={"community": "large"}))  # a returning participant's answers
    newcomer = site.person(conversation, join=False)
    closed_refusal(newcomer.client.put(f"{url}/me/attributes", json={"attributes": {"community": "large"}}))
    closed_refusal(site.admin.patch(url, json={"decision_rule": {"name": "majority"}}, headers=site.headers))
    closed_refusal(site.admin.patch(url, json={"topic": "Roads and wells", "decision_rule": {"name": "consensus"}},
                                    headers=site.headers))  # fmt: skip
    questions = [{"name": "community", "options": ["large", "small", "other"]}]
    closed_refusal(site.admin.patch(url, json={"attributes": questions}, headers=site.headers))
    closed_refusal(site.admin.patch(url, json={"attributes": []}, headers=site.headers))
    closed_refusal(site.admin.post(f"{url}/statements/{ROAD}/proposal", json={"proposal": False}, headers=site.headers))
    closed_refusal(site.admin.post(f"{url}/statements/{TEACHERS}/proposal", json={"proposal": True},
                                   headers=site.headers))  # fmt: skip
    assert stored(site.app, conversation) == before
    assert decided(site, conversation) == published
    assert ok(someone.me())["attributes"] == {"community": "small"}

    # What does not decide anything may still change, and re-sending the settings as they are is no change.
    detail = ok(site.admin.get(url))
    assert detail["decision_rule"] is None and detail["effective_rule"]["name"] == "mutual-veto"
    same = {"decision_rule": None, "attributes": COMMUNITIES, "topic": "Roads, wells and the market"}
    assert ok(site.admin.patch(url, json=same, headers=site.headers))["topic"] == "Roads, wells and the market"
    assert outcomes(decided(site, conversation)) == outcomes(published)


def test_a_conversations_own_rule_cannot_be_dropped_once_closed(site):
    conversation, _ = planted(site)
    url = f"/api/conversations/{conversation}"
    ok(site.admin.patch(url, json={"decision_rule": {"name": "majority"}}, headers=site.headers))
    close(site, conversation)
    published = decided(site, conversation)
    assert outcomes(published)[ROAD] == "pass"
    before = stored(site.app, conversation)
    closed_refusal(site.admin.patch(url, json={"decision_rule": None}, headers=site.headers))
    closed_refusal(site.admin.patch(url, json={"decision_rule": {"name": "majority", "parameters": {"threshold": 0.7}}},
                                    headers=site.headers))  # fmt: skip
    assert stored(site.app, conversation) == before
    # The same rule again is no change.
    same = ok(site.admin.patch(url, json={"decision_rule": {"name": "majority"}}, headers=site.headers))
    assert same["decision_rule"] == {"name": "majority", "parameters": {}}
    assert decided(site, conversation) == published


def test_the_rule_in_force_when_it_closed_stays_with_it_and_reopening_follows_the_space_again(site):
    conversation, someone = planted(site)
    url = f"/api/conversations/{conversation}"
    b = site.spaces["/a/b"]["id"]
    ok(site.admin.put(f"/api/spaces/{b}/decision-rule", json={"rule": {"name": "mutual-veto", "parameters":
                      {"veto": 0.55}}}, headers=site.headers))  # fmt: skip
    close(site, conversation)
    published = decided(site, conversation)
    assert outcomes(published)[ROAD] == "fail"

    # The spaces above it change their rules after it closed: its decisions do not move.
    for space in ("/a/b", "/a"):
        rule = {"name": "majority", "parameters": {"threshold": 0.5}}
        ok(site.admin.put(f"/api/spaces/{site.spaces[space]['id']}/decision-rule", json={"rule": rule},
                          headers=site.headers))  # fmt: skip
    ok(site.admin.put(f"/api/spaces/{b}/decision-rule", json={"rule": None}, headers=site.headers))  # /a's, then
    detail = ok(site.admin.get(url))
    assert detail["decision_rule"] is None  # still none of its own
    assert detail["effective_rule"] == {"name": "mutual-veto", "parameters": {"majority": 0.5, "veto": 0.55}}
    assert decided(site, conversation) == published

    # Reopened, it is open again and follows its space (now /a's majority) again; its rule is its own to set.
    reopened = ok(site.admin.post(f"{url}/reopen", headers=site.headers))
    assert reopened["is_open"] is True and reopened["decision_rule"] is None
    assert reopened["effective_rule"]["name"] == "majority"
    assert outcomes(decided(site, conversation))[ROAD] == "pass"
    assert ok(someone.vote(WELLS, "agree"), 201)["vote"] == 1
    changed = ok(someone.client.put(f"{url}/me/attributes", json={"attributes": {"community": "large"}},
                                    headers=someone.headers))  # fmt: skip
    assert changed["attributes"] == {"community": "large"}
    assert ok(site.admin.post(f"{url}/statements/{TEACHERS}/proposal", json={"proposal": True},
                              headers=site.headers))["is_proposal"] is True  # fmt: skip
    own = ok(site.admin.patch(url, json={"decision_rule": {"name": "consensus"}}, headers=site.headers))
    assert own["effective_rule"]["name"] == "consensus"


def test_the_closing_entry_logs_the_rule_it_keeps_and_the_export_still_verifies(site, tmp_path):
    conversation, _ = planted(site)
    close(site, conversation)
    decided(site, conversation)  # the closed conversation's outcome is logged
    entries = conversation_entries(site.app, conversation)
    assert entries[-1]["open"] is False and entries[-1]["rule"]["name"] == "mutual-veto"
    assert set(entries[-1]["rule"]["parameters"]) >= {"majority", "veto"}
    a = site.spaces["/a"]["id"]
    ok(site.admin.put(f"/api/spaces/{a}/decision-rule", json={"rule": {"name": "majority"}}, headers=site.headers))
    decided(site, conversation)
    assert conversation_entries(site.app, conversation) == entries  # its rule in force did not change
    checked = verify_export(export(site, conversation, tmp_path))
    assert checked.outcomes == 1

    ok(site.admin.post(f"/api/conversations/{conversation}/reopen", headers=site.headers))
    reopened = conversation_entries(site.app, conversation)[-1]
    assert reopened["open"] is True and reopened["rule"]["name"] == "majority"  # its space's again


# --- the pages ------------------------------------------------------------------------------------


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_pages_refuse_the_same_in_the_readers_language(app):
    site = PageSite(app)
    c = site.conversation
    desk = f"/c/{c}/moderate"
    redirected(post(site.admin, f"/c/{c}/proposals/{site.roads}", proposal="true"), desk)
    person = site.participant()
    number = re.search(r'name="statement" value="(\d+)"', page(person.get(f"/c/{c}"))).group(1)
    redirected(post(person, f"/c/{c}/vote", statement=number, vote="agree"), f"/c/{c}")
    redirected(post(person, f"/c/{c}/join", at="about", **{"attr:region": "north"}), f"/c/{c}")
    redirected(post(site.admin, f"/c/{c}/state", open="false", confirmed="true"), desk)
    before = stored(app, c)

    # A participant's vote and answer: back to the page, which says the conversation is closed.
    for url, fields in ((f"/c/{c}/vote", {"statement": number, "vote": "disagree"}),
                        (f"/c/{c}/join", {"at": "about", "attr:region": "south"})):  # fmt: skip
        back = redirected(post(person, url, **fields), f"/c/{c}")
        assert "error=conversation_closed" in back
        assert "This conversation is closed" in page(person.get(back))
        assert DARI_CLOSED_NOTICE in page(person.get(back.replace("#", "&lang=fa-AF#")))

    # The moderator's rule and proposal forms: the desk again, with the reason, in the reader's language.
    refused = page(post(site.admin, f"/c/{c}/rule", rule="majority", **{"majority.threshold": "60"}), 409)
    assert 'role="alert"' in refused and "This conversation is closed" in refused
    assert 'value="60"' in refused  # what was typed is kept
    refused = page(post(site.admin, f"/c/{c}/proposals/{site.roads}?lang=fa-AF", proposal="false"), 409)
    assert 'role="alert"' in refused and DARI_CLOSED in refused
    refused = page(post(site.admin, f"/c/{c}/proposals/{site.wells}", proposal="true"), 409)
    assert "This conversation is closed" in refused
    assert stored(app, c) == before
    assert "(kept as it was when the conversation closed)" in page(site.admin.get(desk))

    redirected(post(site.admin, f"/c/{c}/state", open="true"), desk)
    redirected(post(site.admin, f"/c/{c}/proposals/{site.wells}", proposal="true"), desk)
    assert "(Concord's default)" in page(site.admin.get(desk))
