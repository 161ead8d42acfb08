"""Two requests at once, on PostgreSQL.

PostgreSQL runs transactions side by side (READ COMMITTED), so a rule checked by reading first and
writing later can be passed by two requests at the same time, and ids drawn from a sequence may commit
out of order. SQLite takes one writer at a time, so these interleavings cannot happen there (and a test
holding one write transaction open would only wait for SQLite's lock): these tests run on PostgreSQL
only.

Each test holds one transaction open through the service layer, sends the competing request through the
API from a thread, waits until PostgreSQL reports that request blocked on a lock (or finished), then
commits the first transaction.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from concord.service import spaces
from concord.service.accounts import invitations
from concord.service.accounts.moderators import system_actor
from concord.service.conversations import lifecycle as conversations
from concord.service.conversations import statements
from concord.service.participation import joining as participation
from concord.service.participation import voting
from concord.store.models import Conversation, Invitation, Log, LogEntry, Participant, Statement, Vote

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def new_conversation(app, **settings) -> tuple[int, str]:
    actor = system_actor()
    with app.state.concord.sessions.begin() as session:
        space = spaces.create_space(session, actor, parent_path=None, slug="kabul", name="Kabul")
        conversation = conversations.create_conversation(
            session, actor, space, conversations.ConversationSettings(topic="Concurrent", **settings)
        )
        for text in ("Clean water should reach every village first", "Schools need more women teachers"):
            statements.add_statement(session, conversation, text, moderator=actor)
        return conversation.id, conversation.public_id


def in_thread(request) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["response"] = request()
        except BaseException as error:  # reported by the test
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def wait_until_blocked_or_done(cluster, database_url: str, thread: threading.Thread) -> None:
    database = database_url.rsplit("/", 1)[1]
    deadline = time.monotonic() + 20
    while thread.is_alive() and cluster.sessions_waiting_for_a_lock(database) == 0:
        assert time.monotonic() < deadline, "the competing request neither blocked nor finished"
        time.sleep(0.02)


def finish(thread: threading.Thread, outcome: dict):
    thread.join(timeout=60)
    assert not thread.is_alive(), "the competing request did not finish after the first transaction committed"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["response"]


def test_one_invitation_code_admits_one_participant_even_at_once(make_app, postgres_cluster, database_url):
    app = make_app()
    conversation_id, public_id = new_conversation(app, access="invite")
    with app.state.concord.sessions.begin() as session:
        code = invitations.issue_codes(session, system_actor(), session.get(Conversation, conversation_id), 1)[0].code

    first = app.state.concord.sessions()
    with first.begin():
        joined = participation.join(first, first.get(Conversation, conversation_id), invite_code=code)
        first.flush()
        second = TestClient(app, raise_server_exceptions=False)
        thread, outcome = in_thread(
            lambda: second.post(f"/api/conversations/{public_id}/participants", json={"invite_code": code})
        )
        wait_until_blocked_or_done(postgres_cluster, database_url, thread)
        first_participant = joined.participant.id
    first.close()
    response = finish(thread, outcome)

    assert response.status_code == 409, (
        f"a one-time code admitted two participants: {response.status_code} {response.text}"
    )
    assert response.json()["error"]["reason"] == "invitation_used"
    with app.state.concord.sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(Participant)) == 1
        assert session.scalar(select(Participant.id)) == first_participant
        assert session.scalar(select(Invitation.used)) is True


def test_the_same_statement_written_twice_at_once_is_a_409(make_app, postgres_cluster, database_url):
    app = make_app()
    conversation_id, public_id = new_conversation(app)
    other = TestClient(app, raise_server_exceptions=False)
    token = other.post(f"/api/conversations/{public_id}/participants", json={}).json()["token"]
    text = "Local councils should control their own budget"

    first = app.state.concord.sessions()
    with first.begin():
        conversation = first.get(Conversation, conversation_id)
        author = participation.join(first, conversation).participant
        statements.add_statement(first, conversation, text, author=author)
        first.flush()
        thread, outcome = in_thread(
            lambda: other.post(
                f"/api/conversations/{public_id}/statements",
                json={"text": text},
                headers={"X-Participant-Token": token},
            )
        )
        wait_until_blocked_or_done(postgres_cluster, database_url, thread)
    first.close()
    response = finish(thread, outcome)

    assert response.status_code == 409, f"{response.status_code} {response.text}"
    assert response.json()["error"]["reason"] == "duplicate_statement"
    with app.state.concord.sessions.begin() as session:
        assert session.scalars(select(Statement.text).where(Statement.text == text)).all() == [text]


def test_votes_enter_the_log_in_the_order_they_commit_and_the_analysis_counts_every_one(
    make_app, postgres_cluster, database_url
):
    """A vote arriving while another transaction holds the conversation's log waits for it, so the log's
    order is the commit order, and a vote drawn from the event sequence first but committed last is still
    counted (found before the log: the incremental reader skipped it for good)."""
    app = make_app()
    conversation_id, public_id = new_conversation(app)
    people = [TestClient(app) for _ in range(3)]
    tokens = [p.post(f"/api/conversations/{public_id}/participants", json={}).json()["token"] for p in people]
    for person, token in zip(people, tokens):
        assert (
            person.post(
                f"/api/conversations/{public_id}/votes",
                json={"statement": 1, "vote": "agree"},
                headers={"X-Participant-Token": token},
            ).status_code
            == 201
        )
    live = app.state.concord.live
    live.analyse_now(conversation_id)

    slow = app.state.concord.sessions()
    with slow.begin():
        conversation = slow.get(Conversation, conversation_id)
        voter = participation.participant_for_token(slow, conversation, tokens[0])
        voting.record_vote(slow, conversation, voter, 2, "agree")
        slow.flush()  # its vote event has taken the next id and holds the log, but is not committed yet
        thread, outcome = in_thread(
            lambda: people[1].post(
                f"/api/conversations/{public_id}/votes",
                json={"statement": 2, "vote": "disagree"},
                headers={"X-Participant-Token": tokens[1]},
            )
        )
        wait_until_blocked_or_done(postgres_cluster, database_url, thread)
        assert thread.is_alive(), "a vote was appended to the log while another transaction held it"
    slow.close()
    assert finish(thread, outcome).status_code == 201
    live.analyse_now(conversation_id)

    with app.state.concord.sessions.begin() as session:
        current = session.scalar(select(func.count()).select_from(Vote))
        log_id = session.scalar(select(Log.id).where(Log.conversation_id == conversation_id))
        votes = [
            json.loads(body)
            for body in session.scalars(
                select(LogEntry.body).where(LogEntry.log_id == log_id, LogEntry.type == "vote").order_by(LogEntry.seq)
            )
        ]
    results = TestClient(app).get(f"/api/conversations/{public_id}/results").json()
    assert current == 5
    assert results["vote_count"] == current, "the analysis lost a vote"
    assert results["results"]["votes"] == current
    assert [(v["statement"], v["vote"]) for v in votes[-2:]] == [(2, 1), (2, -1)], "the log is not in commit order"
