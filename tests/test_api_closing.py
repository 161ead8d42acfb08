"""A conversation's scheduled closing time and its written outcome (issue 26): a conversation past its
closing time is closed and final exactly as a moderator's close makes it (votes, statements and joins
refused, the rule in force kept, the log saying so), and the outcome its moderators write once it is
closed is served, logged and read back by ``concord verify``. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time

from api_helpers import db_id, error_of, ok
from concord.service.limits import EXACT
from concord.store.models import Conversation
from concord.verify.exports import verify_export
from concord.verify.replay import LogMismatch
from test_log import entries, export


def now_ms() -> int:
    return int(time.time() * 1000)


def conversation_entries(folder) -> list[dict]:
    return [entry for entry in map(json.loads, entries(folder)) if entry["type"] == "conversation"]


def test_a_conversation_past_its_closing_time_is_closed_and_final(site, tmp_path):
    closes = now_ms() + 1500
    conversation = site.new_conversation(closes_ms=closes)
    [first, second] = site.seed(conversation, "Wells first", "Roads first")
    someone = site.person(conversation)
    ok(someone.vote(first, "agree"), 201)
    shown = ok(site.admin.get(f"/api/conversations/{conversation}"))
    assert shown["closes_ms"] == closes and shown["is_open"]
    time.sleep(max(0.0, (closes - now_ms()) / 1000) + 0.1)

    error_of(someone.vote(second, "agree"), 409, reason="conversation_closed")  # the vote path, before anyone reads it
    error_of(someone.write("Clinics in every district"), 409, reason="conversation_closed")
    error_of(site.person(conversation, join=False).join(), 409, reason="conversation_closed")
    closed = ok(site.admin.get(f"/api/conversations/{conversation}"))
    assert closed["is_open"] is False
    with site.app.state.concord.sessions.begin() as session:
        row = session.get(Conversation, db_id(site.app, conversation))
        assert row.closed_ms == closes  # closed at its time
        assert row.decision_rule["name"] == closed["effective_rule"]["name"]  # the rule in force, kept with it

    folder = export(site, conversation, tmp_path)
    logged = conversation_entries(folder)
    assert [entry["open"] for entry in logged].count(False) == 1  # closed once, by the first read after the time
    assert logged[-1]["open"] is False and logged[-1]["closes"] == closes
    assert verify_export(folder)
    summary = json.loads((folder / "conversation.json").read_text(encoding="utf-8"))
    assert summary["settings"]["closes_ms"] == closes and summary["settings"]["is_open"] is False


def test_the_closing_time_is_set_changed_and_cleared_within_its_limits(site):
    conversation = site.conversation
    patch = lambda body: site.admin.patch(f"/api/conversations/{conversation}", json=body, headers=site.headers)  # noqa: E731
    later = now_ms() + 86_400_000
    assert ok(patch({"closes_ms": later}))["closes_ms"] == later
    for wrong in (-1, EXACT + 1, "tomorrow", True, 1.5):
        error_of(patch({"closes_ms": wrong}), 422)
    assert ok(patch({"closes_ms": None}))["closes_ms"] is None
    assert ok(site.admin.get("/openapi.json")).get("components") is not None


def test_reopening_drops_a_closing_time_already_past(site):
    conversation = site.new_conversation(closes_ms=now_ms() + 300)
    time.sleep(0.4)
    assert ok(site.admin.get(f"/api/conversations/{conversation}"))["is_open"] is False
    reopened = ok(site.admin.post(f"/api/conversations/{conversation}/reopen", headers=site.headers))
    assert reopened["is_open"] is True and reopened["closes_ms"] is None
    assert ok(site.admin.get(f"/api/conversations/{conversation}"))["is_open"] is True


def test_the_outcome_is_written_once_closed_logged_and_verified(site, tmp_path):
    conversation = site.conversation
    put = lambda text, client=site.admin, headers=site.headers: client.put(  # noqa: E731
        f"/api/conversations/{conversation}/outcome", json={"text": text}, headers=headers
    )
    error_of(put("The wells come first."), 409, reason="conversation_open")
    ok(site.admin.post(f"/api/conversations/{conversation}/close", headers=site.headers))
    error_of(put("x", client=site.person(conversation, join=False).client, headers={}), 401)
    error_of(put("x" * 5001), 422)
    error_of(put("nul \x00 here"), 422)
    written = ok(put("  The council repairs the wells before the rains; roads are decided in spring.\n"))
    assert written["outcome"] == "The council repairs the wells before the rains; roads are decided in spring."
    assert ok(site.admin.get(f"/api/conversations/{conversation}"))["outcome"] == written["outcome"]

    folder = export(site, conversation, tmp_path)
    assert conversation_entries(folder)[-1]["outcome"] == written["outcome"]
    assert verify_export(folder)
    summary_file = folder / "conversation.json"
    summary = json.loads(summary_file.read_text(encoding="utf-8"))
    assert summary["outcome"] == written["outcome"]
    summary["outcome"] = "The council builds the road."
    summary_file.write_text(json.dumps(summary, ensure_ascii=False), encoding="utf-8")
    try:
        verify_export(folder)
    except LogMismatch as mismatch:
        assert "outcome" in str(mismatch)
    else:
        raise AssertionError("an export whose outcome is not its log's verified")

    assert ok(put(""))["outcome"] is None  # withdrawn
