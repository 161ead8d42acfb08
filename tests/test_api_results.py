"""The analysis of a conversation through the API: before any vote, live as votes arrive, with groups,
consensus and declared groups.

Through the JSON API on SQLite and on a real PostgreSQL server (each test gets a fresh database, see
``database_url`` in conftest.py); refused requests are checked to leave every table as it was.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
import zipfile

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
# Their numbers: a new conversation numbers its statements from 1.
TWO_CAMPS_NUMBERS = list(range(1, len(TWO_CAMPS) + 1))
PROPERTY_TAX, CLEAN_WATER = TWO_CAMPS_NUMBERS[7], TWO_CAMPS_NUMBERS[8]


def two_camps(site: Site, attributes: bool = False) -> tuple[str, list[int], list[int]]:
    """A conversation with two opposed camps of 10 and one statement everyone agrees with."""
    settings = {"attributes": [{"name": "region", "options": ["north", "south"]}]} if attributes else {}
    conversation = site.new_conversation(**settings)
    assert site.seed(conversation, *TWO_CAMPS) == TWO_CAMPS_NUMBERS
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
        "log_size": 0,
        "results": None,
    }


@pytest.mark.parametrize("analysis_process", [False, True], ids=["thread", "process"])
def test_live_analysis_follows_votes_as_they_arrive(make_app, analysis_process):
    """Votes through the API, no explicit analysis: the background analysis (in a thread, or in its own
    process as `concord serve` runs it) catches up with every vote and never blocks one."""
    app = make_app(live_analysis=True, analysis_process=analysis_process, debounce=0.1)
    with TestClient(app) as admin:
        site = small_site(app, admin)
        numbers = site.seed(site.conversation, *TWO_CAMPS)
        people = []

        def newcomers_vote(count: int) -> dict:
            for _ in range(count):
                people.append(person := site.person())
                for position, statement in enumerate(numbers):
                    vote = "agree" if (position < 4) == (len(people) % 2 == 0) else "disagree"
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
    ok(site.moderate(conversation, PROPERTY_TAX, "rejected", "off topic"))
    started = int(time.time() * 1000)
    record = site.app.state.concord.live.analyse_now(db_id(site.app, conversation))
    assert record is not None
    finished = int(time.time() * 1000)
    results = ok(TestClient(site.app).get(f"/api/conversations/{conversation}/results"))
    assert started <= results["computed_ms"] <= finished
    assert results["vote_count"] == 179 == table_count(site.app, Vote)
    assert results["last_event_id"] > 0 and results["seconds"] >= 0
    checkpoint = TestClient(site.app).get(f"/api/conversations/{conversation}/log/checkpoint").text
    assert results["log_size"] == int(checkpoint.splitlines()[1]) > 179  # of the whole log: every vote is an entry
    body = results["results"]
    assert (body["participants"], body["votes"], body["statements"], body["statements_moderated_out"]) == (
        20,
        179,
        8,
        1,
    )
    assert "participants" not in body["groups"][0]  # the export lists every participant's group
    placed = export_placements(site, conversation)
    groups = [sorted(p for p, g in zip(placed["participants"], placed["group"]) if g == k) for k in (0, 1)]
    groups = sorted(groups, key=lambda g: g[0])
    assert groups == [sorted(camp_a), sorted(camp_b)]
    assert [g["label"] for g in body["groups"]] == ["A", "B"]
    consensus = body["consensus"]
    assert consensus[0]["statement"] == CLEAN_WATER and consensus[0]["direction"] == "agree"
    assert consensus[0]["text"] == TWO_CAMPS[8]
    assert PROPERTY_TAX not in {entry["statement"] for entry in consensus}
    assert [entry["score"] for entry in consensus] == sorted((entry["score"] for entry in consensus), reverse=True)
    assert {entry["statement"] for entry in body["bridging"]} == set(TWO_CAMPS_NUMBERS) - {PROPERTY_TAX}
    assert body["map"]["placed"] == sum(body["map"]["count"]) == 20 and body["map"]["grid"] == 0  # exact points
    placed_at = dict(zip(placed["participants"], zip(placed["x"], placed["y"], placed["group"])))
    assert sorted(zip(body["map"]["x"], body["map"]["y"], body["map"]["group"])) == sorted(set(placed_at.values()))


def export_placements(site: Site, conversation: str) -> dict:
    """The export's every participant's place and group, checked against participants-votes.csv."""
    with zipfile.ZipFile(io.BytesIO(site.admin.get(f"/api/conversations/{conversation}/export").content)) as archive:
        meta = json.loads(archive.read(f"{conversation}/conversation.json"))
        wide = list(csv.DictReader(io.StringIO(archive.read(f"{conversation}/participants-votes.csv").decode())))
    placed = meta["analysis"]["placements"]
    group = dict(zip(placed["participants"], placed["group"]))
    assert {int(row["participant"]): row["group-id"] for row in wide} == {
        number: str(g) if g >= 0 else "" for number, g in group.items()
    }
    return placed


def test_results_show_declared_groups(site):
    conversation, _, _ = two_camps(site, attributes=True)
    site.app.state.concord.live.analyse_now(db_id(site.app, conversation))
    declared = ok(TestClient(site.app).get(f"/api/conversations/{conversation}/results"))["results"]["declared"]
    assert [(g["name"], g["size"]) for g in declared["region"]["groups"]] == [("north", 10), ("south", 10)]
    assert declared["region"]["consensus"][0]["statement"] == CLEAN_WATER


# --- a consensus claim must be true ---------------------------------------------------------------

EIGHTY_TWENTY = [
    "Build the new road through the valley",  # 0-4: the large group agrees, the small one disagrees
    "Spend the reserve on the road",
    "Close the old market",
    "Move the council to the town",
    "Let the town choose the teachers",
    "Keep the old market open",  # 5: the reverse
    "Repair the village wells before the rains",  # 6: everyone agrees: the only common ground
    "Pave the square in the town",  # 7: 84 % of the large group agree, all of the small one disagree
    "Nobody has voted on this one",  # 8: no votes at all
]
WELLS, SQUARE = 7, 8  # the numbers of EIGHTY_TWENTY[6] and [7]: a new conversation numbers from 1


def eighty_twenty(site: Site, *, common_ground: bool) -> str:
    """A planted 80/20 conversation: 16 participants against 4 on most statements."""
    conversation = site.new_conversation()
    numbers = site.seed(conversation, *EIGHTY_TWENTY)
    assert (numbers[6], numbers[7]) == (WELLS, SQUARE)
    wells = 1 if common_ground else None
    large = [[1, 1, 1, 1, 1, -1, wells, 1 if i < 13 else -1, None] for i in range(16)]
    small = [[-1, -1, -1, -1, -1, 1, wells if common_ground else -1, -1, None] for _ in range(4)]
    bulk_votes(site.app, conversation, large + small)
    site.app.state.concord.live.analyse_now(db_id(site.app, conversation))
    return conversation


def section(html: str, heading_id: str) -> str:
    found = re.search(rf'<section aria-labelledby="{heading_id}">(.*?)</section>', html, re.S)
    assert found, heading_id
    return found.group(1)


def test_only_statements_every_group_takes_are_presented_as_every_groups(site):
    conversation = eighty_twenty(site, common_ground=True)
    results = ok(TestClient(site.app).get(f"/api/conversations/{conversation}/results"))["results"]
    assert [g["size"] for g in results["groups"]] == [16, 4]
    assert [(c["statement"], c["direction"]) for c in results["consensus"] if c["every_group"]] == [(WELLS, "agree")]
    # Group-informed consensus still ranks the majority's statements high: the verdict is what differs.
    ranked = [c["statement"] for c in results["consensus"]]
    assert (
        ranked.index(SQUARE) < len(ranked) - 1
        and not next(c for c in results["consensus"] if c["statement"] == SQUARE)["every_group"]
    )

    html = TestClient(site.app).get(f"/c/{conversation}/results").text
    claimed = section(html, "consensus-heading")
    assert EIGHTY_TWENTY[6] in claimed
    for majority_only in (*EIGHTY_TWENTY[:6], EIGHTY_TWENTY[7], EIGHTY_TWENTY[8]):
        assert majority_only not in claimed
    assert claimed.count("Every group mostly agrees") == 1
    assert "at least 3 people voted on it and more than half of them took the same side" in claimed
    bridging = section(html, "bridging-heading") if "bridging-heading" in html else ""
    for rejected_by_a_group in (*EIGHTY_TWENTY[:6], EIGHTY_TWENTY[7]):
        assert rejected_by_a_group not in bridging


def test_without_common_ground_the_page_says_so_and_labels_the_closest(site):
    conversation = eighty_twenty(site, common_ground=False)
    results = ok(TestClient(site.app).get(f"/api/conversations/{conversation}/results"))["results"]
    assert not any(c["every_group"] for c in results["consensus"])

    claimed = section(TestClient(site.app).get(f"/c/{conversation}/results").text, "consensus-heading")
    assert "No statement has every group's support yet." in claimed
    assert "Every group mostly" not in claimed
    assert claimed.count("Not every group agrees") == 3  # the closest, labelled as what they are
    assert EIGHTY_TWENTY[8] not in claimed  # nobody voted on it: not even close

    dari = section(TestClient(site.app).get(f"/c/{conversation}/results?lang=fa-AF").text, "consensus-heading")
    assert "هنوز هیچ نظری حمایت همهٔ گروه‌ها را ندارد." in dari
