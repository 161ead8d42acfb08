"""Tallies anyone can verify, on SQLite and on PostgreSQL: a conversation's, a budget's and a space's
record download anonymously and `concord verify` (the real command, run as a process) accepts them,
from files and from a live server's address; a private conversation's record stays with its moderators;
and every figure served is derived from the log, so a row changed in the database behind the log's back
is caught by `concord verify` or changes nothing served."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api_helpers import db_id, error_of, ok
from page_helpers import csrf, page
from test_api_budgets import add_projects, new_budget, vote, voter
from test_api_decisions import three_levels, vote_in_place
from test_log import concord

PROPOSAL = "Every district keeps a share of the budget"
BALLOTS = ([1, 2], [1, 3], [2, 4], [4], [1, 2, 3], [3, 4], [1], [2, 3])


def anyone(site) -> TestClient:
    """A reader with no login and no cookie."""
    return TestClient(site.app)


def conversation_with_votes(site) -> str:
    c = site.conversation
    people = [site.person() for _ in range(8)]
    for i, person in enumerate(people):
        for k, number in enumerate(site.seeds[:3]):
            ok(person.vote(number, ["agree", "disagree", "pass"][(i + k) % 3]), 201)
    ok(people[0].vote(site.seeds[1], "agree"), 201)  # a changed vote: both events stay
    site.app.state.concord.live.analyse_now(db_id(site.app, c))
    return c


def budget_with_ballots(site) -> str:
    budget = new_budget(site)
    add_projects(site, budget)
    for chosen in BALLOTS:
        ok(vote(voter(site), budget, chosen))
    return budget  # voting is still open


def space_with_rollup(site) -> tuple[dict[str, int], int]:
    """/a puts a proposal to its places (double majority across places): /a/b/c and /a/p/q vote in their
    conversations, /a/b/d reports a paper tally against it, so /a/b and the whole roll-up fail."""
    ids = three_levels(site)
    ok(site.admin.put(f"/api/spaces/{ids['/a']}/decision-rule", json={"rule": {"name": "majority"}},
                      headers=site.headers))  # fmt: skip
    made = ok(site.admin.post(f"/api/spaces/{ids['/a']}/proposals",
                              json={"text": PROPOSAL, "rule": {"name": "double-majority"}},
                              headers=site.headers), 201)  # fmt: skip
    vote_in_place(site, "/a/b/c", 40, 10)
    vote_in_place(site, "/a/p/q", 30, 5)
    vote_in_place(site, "/a/p/r", 25, 8)
    ok(site.admin.put(f"/api/spaces/{ids['/a/p/s']}/place", json={"weight": 0.5, "population": 12000},
                      headers=site.headers))  # fmt: skip
    paper = {
        "space_id": ids["/a/b/d"],
        "agree": 10,
        "disagree": 300,
        "note": "counted on paper at the district meeting",
    }
    ok(
        site.admin.post(f"/api/spaces/{ids['/a']}/proposals/{made['id']}/tallies", json=paper, headers=site.headers),
        204,
    )
    [rollup] = ok(anyone(site).get(f"/api/spaces/{ids['/a']}/proposals"))
    assert rollup["outcome"] == "fail" and {p["path"]: p["outcome"] for p in rollup["places"]}["/a/b"] == "fail"
    return ids, made["id"]


def download(client: TestClient, url: str, target: Path) -> Path:
    response = client.get(url)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "application/zip"
    target.write_bytes(response.content)
    return target


def verified(*args: str) -> str:
    run = concord("verify", *args)
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


def refused(*args: str) -> str:
    run = concord("verify", *args)
    assert run.returncode == 1, run.stdout + run.stderr
    assert run.stdout.startswith("concord: NOT VERIFIED: "), run.stdout
    return run.stdout


def unpacked(archive: Path, target: Path) -> Path:
    with zipfile.ZipFile(archive) as opened:
        for member in opened.infolist():
            relative = Path(*Path(member.filename).parts[1:])
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            (target / relative).write_bytes(opened.read(member))
    return target


def place_conversation(site, path: str) -> str:
    return ok(site.admin.get(f"/api/spaces/{site.spaces[path]['id']}"))["conversations"][0]["id"]


# --- done when: every record downloads anonymously and verifies ----------------------------------------


def test_every_record_downloads_anonymously_and_verifies(site, tmp_path):
    conversation = conversation_with_votes(site)
    budget = budget_with_ballots(site)
    ids, _ = space_with_rollup(site)
    reader = anyone(site)

    # Each is linked from its public page.
    assert f'href="/c/{conversation}/export.zip"' in page(reader.get(f"/c/{conversation}/results"))
    assert f'href="/api/budgets/{budget}/export"' in page(reader.get(f"/b/{budget}"))
    assert f'href="/api/budgets/{budget}/export"' in page(reader.get(f"/b/{budget}/results"))
    assert f'href="/api/spaces/{ids["/a"]}/export"' in page(reader.get("/s/a"))

    page_zip = download(reader, f"/c/{conversation}/export.zip", tmp_path / "page.zip")
    api_zip = download(reader, f"/api/conversations/{conversation}/export", tmp_path / "conversation.zip")
    assert "(25 votes)" in verified(str(page_zip)) and "(25 votes)" in verified(str(api_zip))

    budget_zip = download(reader, f"/api/budgets/{budget}/export", tmp_path / "budget.zip")
    said = verified(str(budget_zip))
    assert f"budget {budget}: its outcome recomputes from each voter's latest ballot" in said
    summary = json.loads(zipfile.ZipFile(budget_zip).read(f"{budget}/budget.json"))
    served = ok(reader.get(f"/api/budgets/{budget}/outcome"))["outcome"]
    assert summary["state"] == "open" and summary["outcome"] == served

    space_zip = download(reader, f"/api/spaces/{ids['/a']}/export", tmp_path / "space.zip")
    names = zipfile.ZipFile(space_zip).namelist()
    assert f"space-{ids['/a']}/space.json" in names and f"space-{ids['/a']}/places/{ids['/a/p/s']}/log.jsonl" in names
    record = json.loads(zipfile.ZipFile(space_zip).read(f"space-{ids['/a']}/space.json"))
    [tally] = record["tallies"]
    assert (tally["place"], tally["agree"], tally["disagree"]) == ("/a/b/d", 10, 300) and tally["reported_ms"] > 0
    alone = verified(str(space_zip))
    assert "1 roll-up(s) recompute" in alone and "1 reported tally" in alone
    trusted = f"the decision of its conversation {place_conversation(site, '/a/b/c')}"
    assert "taken on trust" in alone and trusted in alone

    # With the places' conversation exports given too, their decisions are recomputed from their logs.
    given = [
        str(download(reader, f"/api/conversations/{place_conversation(site, path)}/export", tmp_path / f"{i}.zip"))
        for i, path in enumerate(["/a/b/c", "/a/p/q", "/a/p/r"])
    ]
    complete = verified(str(space_zip), *given)
    for path in ("/a/b/c", "/a/p/q", "/a/p/r"):
        assert f"the decision of {place_conversation(site, path)} recomputes from its own log" in complete
    assert "the decision of its conversation" not in complete


def test_verify_by_the_address_of_a_live_server(site):
    from live_server import running

    conversation = conversation_with_votes(site)
    budget = budget_with_ballots(site)
    space_with_rollup(site)
    with running(site.app) as url:
        assert "(25 votes)" in verified(f"{url}/c/{conversation}/results")
        assert f"budget {budget}: its outcome recomputes" in verified(f"{url}/b/{budget}")
        said = verified(f"{url}/s/a")  # the places' conversations are downloaded from the same server
        assert said.count("recomputes from its own log") == 3 and "taken on trust" in said
        assert "(25 votes)" in verified(f"{url}/api/conversations/{conversation}/export")
        missing = concord("verify", f"{url}/c/no-such-conversation")
    assert missing.returncode == 2 and missing.stderr.startswith("concord: error:") and "404" in missing.stderr


def test_a_private_conversations_record_stays_with_its_moderators(site, tmp_path):
    conversation = conversation_with_votes(site)
    form = {"topic": "How should the district spend its budget?", "moderation": "post", "access": "link",
            "participants_can_write": "true", "max_statement_length": "140", "private": "true"}  # fmt: skip
    sent = site.admin.post(f"/c/{conversation}/settings", data={**form, "csrf_token": csrf(site.admin)},
                           follow_redirects=False)  # fmt: skip
    assert sent.status_code == 303
    assert ok(anyone(site).get(f"/api/conversations/{conversation}"))["private"] is True
    assert 'name="private" value="true" checked' in page(site.admin.get(f"/c/{conversation}/moderate"))
    error_of(anyone(site).get(f"/api/conversations/{conversation}/export"), 403, "forbidden", "private_record")
    page(anyone(site).get(f"/c/{conversation}/export.zip"), 403)
    results = page(anyone(site).get(f"/c/{conversation}/results"))
    assert "export.zip" not in results and "keeps this conversation's record for its moderators" in results
    assert "export.zip" in page(site.admin.get(f"/c/{conversation}/results"))
    moderators = download(site.admin, f"/api/conversations/{conversation}/export", tmp_path / "private.zip")
    assert "(25 votes)" in verified(str(moderators))
    # A budget in a private conversation is private too.
    budget = budget_with_ballots(site)
    budget_conversation = ok(site.admin.get(f"/api/budgets/{budget}"))["conversation"]
    ok(site.admin.patch(f"/api/conversations/{budget_conversation}", json={"private": True}, headers=site.headers))
    error_of(anyone(site).get(f"/api/budgets/{budget}/export"), 403, "forbidden", "private_record")
    assert site.admin.get(f"/api/budgets/{budget}/export").status_code == 200
    error_of(site.admin.patch(f"/api/conversations/{conversation}", json={"private": None}, headers=site.headers),
             422)  # fmt: skip


# --- changes behind the log's back --------------------------------------------------------------------


def sql(site, statement: str, **values) -> None:
    """What someone with the database (not the server's code) could do."""
    with site.app.state.concord.sessions.begin() as session:
        changed = session.execute(text(statement), values)
        assert changed.rowcount == 1


def test_a_changed_vote_event_is_caught_by_verify(site, tmp_path):
    conversation = conversation_with_votes(site)
    with site.app.state.concord.sessions.begin() as session:
        row, seq = session.execute(text("SELECT id, seq FROM vote_events WHERE value = -1 ORDER BY seq LIMIT 1")).one()
    sql(site, "UPDATE vote_events SET value = 1 WHERE id = :row", row=row)
    archive = download(anyone(site), f"/api/conversations/{conversation}/export", tmp_path / "changed.zip")
    assert re.match(rf"concord: NOT VERIFIED: entry {seq}: votes\.csv line \d+ is ", refused(str(archive)))


def test_a_changed_current_vote_changes_nothing_served(site):
    conversation = conversation_with_votes(site)
    person = site.person()
    first, _, third, _ = site.seeds
    ok(person.vote(first, "disagree"), 201)
    ok(person.vote(third, "agree"), 201)
    site.app.state.concord.live.analyse_now(db_id(site.app, conversation))

    def served() -> tuple:
        upcoming = person.next()
        return ok(person.me())["votes"], upcoming["remaining"], upcoming["voted"]

    before = served()
    assert before == ({str(first): -1, str(third): 1}, 2, 2)
    sql(site, "UPDATE votes SET value = 1 WHERE participant_id = (SELECT id FROM participants WHERE conversation_id "
              "= (SELECT id FROM conversations WHERE public_id = :c) AND number = :n) AND statement_id = (SELECT id "
              "FROM statements WHERE conversation_id = (SELECT id FROM conversations WHERE public_id = :c) AND "
              "number = :s)", c=conversation, n=person.number, s=first)  # fmt: skip
    assert served() == before


def test_a_changed_ballot_changes_nothing_served_while_voting_is_open(site, tmp_path):
    budget = budget_with_ballots(site)
    reader = anyone(site)

    def served() -> tuple:
        return (
            ok(reader.get(f"/api/budgets/{budget}/outcome")),
            page(reader.get(f"/b/{budget}/results")),
            ok(reader.get(f"/api/budgets/{budget}"))["ballots"],
        )

    before = served()
    assert before[0]["outcome"]["voters"] == len(BALLOTS)
    sql(site, "UPDATE budget_ballots SET projects = '[4]' WHERE id = (SELECT MIN(id) FROM budget_ballots)")
    assert served() == before
    record = download(reader, f"/api/budgets/{budget}/export", tmp_path / "b.zip")
    assert "its outcome recomputes" in verified(str(record))


def test_a_changed_reported_tally_changes_no_roll_up(site, tmp_path):
    """The tally that made the roll-up fail, raised to a billion in the database: the roll-up still fails,
    as the space's log says, on the API and the page, and a fresh record still verifies."""
    ids, proposal = space_with_rollup(site)
    reader = anyone(site)

    def served() -> tuple:
        return ok(reader.get(f"/api/spaces/{ids['/a']}/proposals")), page(reader.get("/s/a"))

    before = served()
    sql(site, "UPDATE reported_tallies SET agree = 1000000000 WHERE proposal_id = :p", p=proposal)
    assert served() == before and before[0][0]["outcome"] == "fail"
    said = verified(str(download(reader, f"/api/spaces/{ids['/a']}/export", tmp_path / "space.zip")))
    assert "1 roll-up(s) recompute" in said


# --- records changed after they were downloaded are refused ------------------------------------------


@pytest.fixture
def space_record(site, tmp_path):
    ids, proposal = space_with_rollup(site)
    archive = download(anyone(site), f"/api/spaces/{ids['/a']}/export", tmp_path / "space.zip")

    def copy(name: str) -> Path:
        folder = unpacked(archive, tmp_path / name)
        return folder

    return ids, proposal, copy


def edit(folder: Path, name: str, change) -> None:
    data = json.loads((folder / name).read_text(encoding="utf-8"))
    change(data)
    (folder / name).write_text(json.dumps(data), encoding="utf-8")


def test_a_space_record_changed_after_download_is_refused_with_its_entry(space_record):
    from concord.verify.exports import verify_space_export
    from concord.verify.replay import LogMismatch

    ids, proposal, copy = space_record
    untouched = verify_space_export(copy("untouched"))
    assert (untouched.proposals, untouched.tallies, untouched.places) == (1, 1, 7)

    folder = copy("tally")
    tally_entry = json.loads((folder / "space.json").read_text())["tallies"][0]["entry"]
    edit(folder, "space.json", lambda d: d["tallies"][0].update(agree=1_000_000_000))
    with pytest.raises(LogMismatch, match=rf"^entry {tally_entry}: space.json says /a/b/d reported 1000000000 for"):
        verify_space_export(folder)

    folder = copy("outcome")  # the roll-up said to pass: its proposal's entry is named
    logged = [json.loads(line) for line in (folder / "log.jsonl").read_text().splitlines()]
    proposal_entry = next(entry["seq"] for entry in logged if entry["type"] == "proposal")
    edit(folder, "space.json", lambda d: d["proposals"][0]["rollup"].update(outcome="pass"))
    with pytest.raises(LogMismatch, match=rf"^entry {proposal_entry}: space.json's roll-up of proposal {proposal} "):
        verify_space_export(folder)

    folder = copy("weight")  # a place made heavier than its own log says
    edit(folder, "space.json", lambda d: next(p for p in d["places"] if p["path"] == "/a/p/s").update(weight=3.0))
    with pytest.raises(LogMismatch, match=rf"places/{ids['/a/p/s']}/log.jsonl: entry \d+: space.json says its weight"):
        verify_space_export(folder)

    folder = copy("log")  # the paper tally rewritten in the space's log itself: the next entry's link breaks
    lines = (folder / "log.jsonl").read_text().splitlines(keepends=True)
    lines[tally_entry] = lines[tally_entry].replace('"agree":10,', '"agree":1000,')
    (folder / "log.jsonl").write_text("".join(lines))
    assert refused(str(folder)).startswith(f"concord: NOT VERIFIED: entry {tally_entry}: ")


def test_a_budget_record_whose_outcome_was_changed_is_refused(site, tmp_path):
    from concord.verify.exports import verify_budget_export
    from concord.verify.replay import LogMismatch

    budget = budget_with_ballots(site)
    folder = unpacked(download(anyone(site), f"/api/budgets/{budget}/export", tmp_path / "b.zip"), tmp_path / "b")
    assert verify_budget_export(folder).outcome
    changed = tmp_path / "changed"
    shutil.copytree(folder, changed)
    edit(changed, "budget.json", lambda d: d["outcome"]["funded"].reverse())
    size = len((changed / "log.jsonl").read_text().splitlines())
    with pytest.raises(LogMismatch, match=rf"^entry {size - 1}: budget.json's outcome is not what the ballots"):
        verify_budget_export(changed)


def test_bad_input_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "empty").mkdir()
    for args in ([str(tmp_path / "empty")], [str(tmp_path / "nothing.zip")], ["https://example.invalid/elsewhere"]):
        run = concord("verify", *args)
        assert run.returncode == 2 and run.stderr.startswith("concord: error:") and run.stderr.count("\n") == 1, (
            run.stderr
        )
