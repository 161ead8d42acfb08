"""The analysis of a conversation through the API: before any vote, live as votes arrive, with groups,
consensus and declared groups.

Through the JSON API on SQLite and on a real PostgreSQL server (each test gets a fresh database, see
``database_url`` in conftest.py); refused requests are checked to leave every table as it was.
"""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from api_helpers import Site, bulk_votes, db_id, ok, small_site, table_count
from concord.store.models import (
    Vote,
)

# --- results --------------------------------------------------------------------------------------


TWO_CAMPS = [
    "Taxes should fund the schools",
    "The school budget should double",
    "Teachers deserve a raise",
    "Every child needs a free lunch",
    "Taxes are already too high",
    "Private schools do it better",
    "Cut the school board's spending",
    "Lower the property tax",
    "Clean water matters to everyone",
]


def two_camps(site: Site, attributes: bool = False) -> tuple[str, list[int], list[int]]:
    """A conversation with two opposed camps of 10 and one statement everyone agrees with."""
    settings = {"attributes": [{"name": "region", "options": ["north", "south"]}]} if attributes else {}
    conversation = site.new_conversation(**settings)
    site.seed(conversation, *TWO_CAMPS)
    camp_a = [1, 1, 1, 1, -1, -1, -1, -1, 1]
    camp_b = [-1, -1, -1, -1, 1, 1, 1, 1, 1]
    rows = [list(camp_a) for _ in range(10)] + [list(camp_b) for _ in range(10)]
    rows[0][3] = 0
    rows[11][5] = None
    declared = [{"region": "north"}] * 10 + [{"region": "south"}] * 10 if attributes else None
    numbers = bulk_votes(site.app, conversation, rows, declared)
    return conversation, numbers[:10], numbers[10:]


def test_results_are_empty_before_any_analysis(site):
    assert ok(TestClient(site.app).get(f"/api/conversations/{site.conversation}/results")) == {
        "computed_ms": None,
        "vote_count": 0,
        "last_event_id": 0,
        "seconds": None,
        "results": None,
    }


@pytest.mark.parametrize("analysis_process", [False, True], ids=["thread", "process"])
def test_live_analysis_follows_votes_as_they_arrive(make_app, analysis_process):
    """Votes through the API, no explicit analysis: the background analysis (in a thread, or in its own
    process as `concord serve` runs it) catches up with every vote and never blocks one."""
    app = make_app(live_analysis=True, analysis_process=analysis_process, debounce=0.1)
    with TestClient(app) as admin:
        site = small_site(app, admin)
        site.seed(site.conversation, *TWO_CAMPS)
        people = []

        def newcomers_vote(count: int) -> dict:
            for _ in range(count):
                people.append(person := site.person())
                for statement in range(len(TWO_CAMPS)):
                    vote = "agree" if (statement < 4) == (len(people) % 2 == 0) else "disagree"
                    ok(person.vote(statement, vote), 201)
            votes = len(people) * len(TWO_CAMPS)
            deadline = time.monotonic() + 60
            while (results := ok(admin.get(f"/api/conversations/{site.conversation}/results")))["vote_count"] < votes:
                assert time.monotonic() < deadline, f"the analysis stopped at {results['vote_count']} of {votes} votes"
                time.sleep(0.1)
            assert results["vote_count"] == votes == results["results"]["votes"]
            assert results["results"]["participants"] == len(people)
            return results

        newcomers_vote(8)
        if analysis_process:  # the analysis process dies (out of memory, say): the next votes start a new one
            app.state.concord.live._process.kill()
            app.state.concord.live._process.join()
        newcomers_vote(2)


def test_results_after_analysis_have_groups_consensus_and_provenance(site):
    conversation, camp_a, camp_b = two_camps(site)
    ok(site.moderate(conversation, 7, "rejected", "off topic"))
    started = int(time.time() * 1000)
    record = site.app.state.concord.live.analyse_now(db_id(site.app, conversation))
    assert record is not None
    finished = int(time.time() * 1000)
    results = ok(TestClient(site.app).get(f"/api/conversations/{conversation}/results"))
    assert started <= results["computed_ms"] <= finished
    assert results["vote_count"] == 179 == table_count(site.app, Vote)
    assert results["last_event_id"] > 0 and results["seconds"] >= 0
    body = results["results"]
    assert (body["participants"], body["votes"], body["statements"], body["statements_moderated_out"]) == (
        20,
        179,
        8,
        1,
    )
    groups = sorted((sorted(g["participants"]) for g in body["groups"]), key=lambda g: g[0])
    assert groups == [sorted(camp_a), sorted(camp_b)]
    assert [g["label"] for g in body["groups"]] == ["A", "B"]
    consensus = body["consensus"]
    assert consensus[0]["statement"] == 8 and consensus[0]["direction"] == "agree"
    assert consensus[0]["text"] == TWO_CAMPS[8]
    assert 7 not in {entry["statement"] for entry in consensus}
    assert [entry["score"] for entry in consensus] == sorted((entry["score"] for entry in consensus), reverse=True)
    assert {entry["statement"] for entry in body["bridging"]} == set(range(7)) | {8}
    assert len(body["map"]["participants"]) == 20


def test_results_show_declared_groups(site):
    conversation, _, _ = two_camps(site, attributes=True)
    site.app.state.concord.live.analyse_now(db_id(site.app, conversation))
    declared = ok(TestClient(site.app).get(f"/api/conversations/{conversation}/results"))["results"]["declared"]
    assert [(g["name"], g["size"]) for g in declared["region"]["groups"]] == [("north", 10), ("south", 10)]
    assert declared["region"]["consensus"][0]["statement"] == 8
