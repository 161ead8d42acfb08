"""Statements (text kept as given, limits, duplicates, floods) and their moderation with a public log.

Through the JSON API on SQLite and on a real PostgreSQL server (each test gets a fresh database, see
``database_url`` in conftest.py); refused requests are checked to leave every table as it was.
"""

from __future__ import annotations

import re
import unicodedata

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from api_helpers import SEEDS, error_of, moderator_of, ok, small_site, snapshot, table_count
from concord.store.models import (
    ModerationEvent,
    User,
)

# --- statements ---------------------------------------------------------------------------------


def test_statement_text_is_stored_as_given(site):
    texts = [
        "<script>alert(1)</script>",
        'Tom &amp; Jerry\'s "quote" <b>bold</b>',
        "آب آشامیدنی باید اول به هر قریه برسد",
        "ښځې باید ښوونځي ته لاړې شي 😀",
    ]
    author = site.person()
    for text in texts:
        written = ok(author.write(text), 201)
        assert written["text"] == text and written["status"] == "accepted" and written["is_seed"] is False
    listed = ok(TestClient(site.app).get(f"/api/conversations/{site.conversation}/statements"))
    assert [s["text"] for s in listed][-4:] == texts
    raw = TestClient(site.app).get(f"/api/conversations/{site.conversation}/statements")
    assert raw.headers["content-type"].startswith("application/json")
    assert "<script>alert(1)</script>" in raw.text  # JSON, not HTML: nothing escaped, nothing changed
    number = listed[-4]["number"]
    ok(site.moderate(site.conversation, number, "accepted", "checked"))
    log = ok(TestClient(site.app).get(f"/api/conversations/{site.conversation}/moderation-log"))
    assert log[-1]["text"] == "<script>alert(1)</script>"
    # Spacing is tidied (trimmed, runs of white space made one), nothing else.
    assert ok(author.write("  Two   spaces\tand a tab  "), 201)["text"] == "Two spaces and a tab"


def test_a_new_conversations_statements_are_numbered_from_1(site):
    """Pol.is numbers statements from 0; a conversation begun in Concord numbers them from 1, as people
    count, on the API and on the pages (an imported Pol.is conversation keeps its source's numbers:
    test_api_exchange.py)."""
    conversation = site.new_conversation(moderation="pre")
    assert site.seed(conversation, "The first statement") == [1]
    waiting = ok(site.person(conversation).write("The second statement, waiting for a moderator"), 201)
    assert waiting["number"] == 2 and waiting["status"] == "pending"
    listed = ok(site.admin.get(f"/api/conversations/{conversation}/statements", params={"status": "all"}))
    assert [(s["number"], s["text"]) for s in listed] == [
        (1, "The first statement"),
        (2, "The second statement, waiting for a moderator"),
    ]
    desk = site.admin.get(f"/c/{conversation}/moderate").text
    numbers = re.findall(r'<span class="number">#(\d+)</span> <span[^>]*>([^<]*)</span>', desk)
    assert ("1", "The first statement") in numbers
    assert ("2", "The second statement, waiting for a moderator") in numbers
    assert not any(number == "0" for number, _ in numbers)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.lists(
        st.sampled_from([*list("<>&\"'/=;:()[]{}\\%#abcXYZ019 "), "سلام", "ښ", "é", "😀"]), min_size=1, max_size=30
    ).map("".join)
)
def test_any_markup_comes_back_verbatim(site, text):
    marked = " ".join(f"[{next(COUNTER)}] {text}".split())  # a unique prefix: never a duplicate
    written = ok(
        site.admin.post(
            f"/api/conversations/{site.conversation}/statements", json={"text": marked}, headers=site.headers
        ),
        201,
    )
    assert written["text"] == unicodedata.normalize("NFC", marked)


COUNTER = iter(range(10**9))


def test_statement_length_limits(site):
    conversation = site.new_conversation(max_statement_length=20)
    author = site.person(conversation)
    before = snapshot(site.app)
    for text, reason in [
        ("x" * 21, "statement_too_long"),
        ("one two three four five", "statement_too_long"),
        ("", "statement_empty"),
        ("   \t  ", "statement_empty"),
        ("!!! ... ???", "statement_empty"),
        ("bell\x07", None),
        ("nul\x00here", None),
    ]:
        error_of(author.write(text), 422, "invalid", reason)
    assert snapshot(site.app) == before
    assert ok(author.write("y" * 20), 201)["text"] == "y" * 20
    assert ok(author.write("  " + "z" * 20 + "  "), 201)["text"] == "z" * 20  # trimmed before counting
    assert ok(site.admin.get(f"/api/conversations/{conversation}"))["statements"] == 2


def test_text_that_cannot_be_stored_is_422(site):
    """A lone surrogate is valid JSON (\\ud800) but not text (found: a 500 from the database driver)."""
    safe = TestClient(site.app, raise_server_exceptions=False)
    author = site.person()
    before = snapshot(site.app)
    response = safe.post(
        f"/api/conversations/{site.conversation}/statements",
        content=b'{"text": "broken \\ud800 text"}',
        headers={**author.headers, "Content-Type": "application/json"},
    )
    assert response.status_code in (400, 422), f"{response.status_code} {response.text}"
    assert snapshot(site.app) == before


def test_duplicate_statements_are_409(site):
    author = site.person()
    ok(author.write("Roads must be repaired before winter"), 201)
    before = snapshot(site.app)
    for text in [
        "Roads must be repaired before winter",
        "roads MUST be repaired, before winter!",
        "  Roads must   be repaired before winter. ",
        "Clean water should reach every village first",
        "ROADS must be repaired before WINTER",
    ]:
        detail = error_of(author.write(text), 409, "conflict", "duplicate_statement")
        assert "statement" in detail["message"]
    error_of(
        site.admin.post(
            f"/api/conversations/{site.conversation}/statements",
            json={"text": "clean water should reach every village FIRST"},
            headers=site.headers,
        ),
        409,
        "conflict",
        "duplicate_statement",
    )
    assert snapshot(site.app) == before


def test_long_statements_that_differ_only_after_700_characters_are_not_duplicates(site):
    """Statements may have up to 1000 characters; two different ones must not be refused as copies of
    each other (found: duplicates are detected on the first 700 normalised characters only)."""
    conversation = site.new_conversation(max_statement_length=1000)
    author = site.person(conversation)
    common = "We should " + "really " * 100
    ok(author.write(common + "build schools"), 201)
    ok(author.write(common + "build clinics"), 201)
    assert len(ok(author.client.get(f"/api/conversations/{conversation}/statements"))) == 2


def test_pre_moderated_statements_wait_for_a_moderator(site):
    conversation = site.new_conversation(moderation="pre")
    author = site.person(conversation)
    waiting = ok(author.write("Evening hours for the clinics"), 201)
    assert waiting["status"] == "pending"
    seed = ok(
        site.admin.post(
            f"/api/conversations/{conversation}/statements",
            json={"text": "A seed from the moderator"},
            headers=site.headers,
        ),
        201,
    )
    assert seed["status"] == "accepted" and seed["is_seed"] is True
    public = TestClient(site.app)
    assert [s["number"] for s in ok(public.get(f"/api/conversations/{conversation}/statements"))] == [seed["number"]]
    assert ok(public.get(f"/api/conversations/{conversation}"))["statements"] == 1
    queue = ok(site.admin.get(f"/api/conversations/{conversation}/statements", params={"status": "pending"}))
    assert [s["text"] for s in queue] == ["Evening hours for the clinics"]
    assert author.next()["statement"]["number"] == seed["number"]
    before = snapshot(site.app)
    error_of(author.vote(waiting["number"]), 409, "conflict", "statement_unavailable")
    assert snapshot(site.app) == before
    accepted = ok(site.moderate(conversation, waiting["number"], "accepted"))
    assert accepted == {
        "kind": "statement",
        "statement": waiting["number"],
        "subject": "statement",
        "language": None,
        "status": "accepted",
        "reason": "",
        "time_ms": accepted["time_ms"],
        "text": "Evening hours for the clinics",
        "accounts": None,
    }
    assert ok(author.vote(waiting["number"]), 201)["vote"] == 1
    assert len(ok(site.admin.get(f"/api/conversations/{conversation}/statements", params={"status": "all"}))) == 2


def test_unknown_statement_status_filter_is_refused(site):
    """``?status=`` takes accepted, pending, rejected or all (found: anything else silently gives [])."""
    error_of(site.admin.get(f"/api/conversations/{site.conversation}/statements", params={"status": "bogus"}), 422)


def test_participants_cannot_write_when_writing_is_off(site):
    conversation = site.new_conversation(participants_can_write=False)
    author = site.person(conversation)
    before = snapshot(site.app)
    error_of(author.write("I want to say something"), 403, "forbidden", "writing_disabled")
    assert snapshot(site.app) == before
    site.seed(conversation, "Moderators still seed statements")


def test_statement_flood_is_refused_with_retry_after(make_app):
    app = make_app(rate_limits=True)
    site = small_site(app, TestClient(app))
    author = site.person()
    for i in range(3):
        ok(author.write(f"Statement number {i} from the same person"), 201)
    before = snapshot(app)
    refused = author.write("One statement too many")
    error_of(refused, 429, "rate_limited", "rate_limited")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert snapshot(app) == before
    assert ok(site.person().write("Somebody else may still write"), 201)
    # Seeds from moderators are not limited.
    site.seed(site.conversation, "Seed one", "Seed two", "Seed three", "Seed four")


# --- moderation -----------------------------------------------------------------------------------


def test_moderation_rules(site):
    c = site.conversation
    first, second, third, fourth = site.seeds
    before = snapshot(site.app)
    error_of(site.moderate(c, first, "rejected"), 422, "invalid")
    error_of(site.moderate(c, first, "rejected", "   "), 422, "invalid")
    error_of(site.moderate(c, first, "rejected", "r" * 501), 422, "invalid")
    error_of(site.moderate(c, first, "deleted", "gone"), 422, "invalid")
    error_of(site.moderate(c, 99, "accepted"), 404, "not_found")
    assert snapshot(site.app) == before
    rejected = ok(site.moderate(c, first, "rejected", "  Personal attack  "))
    assert (rejected["status"], rejected["reason"], rejected["text"]) == ("rejected", "Personal attack", None)
    statuses = {
        s["number"]: s["status"]
        for s in ok(site.admin.get(f"/api/conversations/{c}/statements", params={"status": "all"}))
    }
    assert statuses == {first: "rejected", second: "accepted", third: "accepted", fourth: "accepted"}
    assert [
        s["number"] for s in ok(site.admin.get(f"/api/conversations/{c}/statements", params={"status": "rejected"}))
    ] == [first]
    ok(site.moderate(c, first, "pending"))
    ok(site.moderate(c, first, "accepted", "on reflection, fine"))
    assert table_count(site.app, ModerationEvent) == 3


def test_votes_on_rejected_statements_are_409_and_next_skips_them(site):
    voter = site.person()
    first, _, third, _ = site.seeds
    ok(site.moderate(site.conversation, third, "rejected", f"duplicate of {first}"))
    before = snapshot(site.app)
    error_of(voter.vote(third), 409, "conflict", "statement_unavailable")
    assert snapshot(site.app) == before
    for _ in range(10):
        assert voter.next()["statement"]["number"] != third
    assert voter.next()["remaining"] == 3


def test_moderation_log_is_public_and_never_names_moderators(site):
    moderator, headers = moderator_of(site, "/a/b", "gulalai.rahimi")
    author = site.person()
    text = ok(author.write("The governor is a thief and a liar"), 201)
    c = site.conversation
    first, second, _, _ = site.seeds
    decisions = [
        (first, "accepted", "fits the topic"),
        (text["number"], "rejected", "personal attack"),
        (second, "pending", "checking a fact"),
        (second, "accepted", "fact checked"),
    ]
    for number, status, reason in decisions:
        ok(
            moderator.post(
                f"/api/conversations/{c}/statements/{number}/moderation",
                json={"status": status, "reason": reason},
                headers=headers,
            )
        )
    response = TestClient(site.app).get(f"/api/conversations/{c}/moderation-log")
    log = ok(response)
    assert [(e["statement"], e["status"], e["reason"]) for e in log] == decisions
    for entry in log:
        assert set(entry) == {"kind", "statement", "subject", "language", "status", "reason", "time_ms", "text",
                              "accounts"}  # fmt: skip
        assert entry["kind"] == "statement"
    assert log[0]["text"] == SEEDS[0] and log[1]["text"] is None  # rejected texts are not repeated
    with site.app.state.concord.sessions.begin() as session:
        moderator_id = session.scalar(select(User.id).where(User.username == "gulalai.rahimi"))
        assert session.scalars(select(ModerationEvent.moderator_id)).all() == [moderator_id] * 4
    assert "gulalai" not in response.text and "rahimi" not in response.text and "moderator" not in response.text
    assert "thief" not in response.text
