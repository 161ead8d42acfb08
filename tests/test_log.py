"""The tamper-evident log end to end: every change has its entry, an untouched export verifies with
`concord verify`, and each way of tampering with it is refused with the entry named; receipts prove
votes are included; a witness catches a server that rewrites its history."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api_helpers import db_id, ok
from concord.ledger.checkpoints import Signer
from concord.ledger.entries import GENESIS_PREV, chain
from concord.ledger.merkle import Frontier
from concord.store.models import Log, LogEntry
from concord.verify.exports import verify_export
from concord.verify.replay import LogMismatch
from concord.verify.witness import witness

DARI = "آب پاک باید اول به هر قریه برسد"


def lively(site) -> str:
    """The seeded conversation after a life of its own: participants with declared answers, votes and a
    changed vote, a volunteer's statement rejected with a reason, a translation, a proposal, closed."""
    c = site.conversation

    def as_moderator(method: str, path: str, body: dict | None = None):
        return site.admin.request(method, f"/api/conversations/{c}{path}", json=body, headers=site.headers)

    ok(as_moderator("PATCH", "", {"attributes": [{"name": "region", "options": ["north", "south"]}]}))
    people = [site.person(attributes={"region": "north" if i % 3 else "south"}) for i in range(12)]
    for i, person in enumerate(people):
        for k, number in enumerate(site.seeds):
            ok(person.vote(number, ["agree", "disagree", "pass"][(i * (k + 1)) % 3]), 201)
    ok(people[0].vote(site.seeds[2], "agree"), 201)  # a changed vote: both events stay
    written = ok(people[1].write("Every district should publish its spending"), 201)["number"]
    ok(site.moderate(c, written, "rejected", "a duplicate of statement 3"))
    first, second, _, _ = site.seeds
    ok(as_moderator("POST", "/translations", {"statement": first, "language": "fa-AF", "text": DARI}), 201)
    ok(as_moderator("POST", f"/statements/{second}/proposal", {"proposal": True}))
    site.app.state.concord.live.analyse_now(db_id(site.app, c))
    ok(as_moderator("POST", "/close"))
    site.app.state.concord.live.analyse_now(db_id(site.app, c))  # the closed conversation's outcome is logged
    return c


def export(site, conversation: str, folder: Path) -> Path:
    response = site.admin.get(f"/api/conversations/{conversation}/export")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        for member in archive.infolist():
            (folder / Path(member.filename).name).write_bytes(archive.read(member))
    return folder


def concord(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "concord", *args], capture_output=True, text=True, timeout=300)


def entries(folder: Path) -> list[str]:
    return (folder / "log.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)


def set_entries(folder: Path, lines: list[str]) -> None:
    (folder / "log.jsonl").write_text("".join(lines), encoding="utf-8")


def test_every_change_has_its_entry_and_an_untouched_export_verifies(site, tmp_path):
    conversation = lively(site)
    folder = export(site, conversation, tmp_path)
    logged = [json.loads(line) for line in entries(folder)]
    kinds = [entry["type"] for entry in logged]
    assert kinds[0] == "log" and kinds[1] == "conversation"
    # 48 votes, a changed one, and the writer's agreement with their own statement (as Pol.is records it)
    assert kinds.count("participant") == 12 and kinds.count("vote") == 50
    assert kinds.count("statement") >= 5 and "moderation" in kinds and "translation" in kinds
    assert kinds[-1] == "outcome"
    [rejected] = [e for e in logged if e["type"] == "moderation"]
    assert rejected["reason"] == "a duplicate of statement 3" and rejected["status"] == "rejected"
    for entry in logged:  # no token, external id or moderator is ever logged
        assert not {"token", "token_hash", "xid", "moderator_id", "user"} & set(entry)

    checked = verify_export(folder)
    assert checked.entries == len(logged) and checked.votes == 50 and checked.outcomes == 1
    assert checked.analysis == len(logged) - 1  # the analysis of everything before the outcome
    assert checked.files == ["votes.csv", "comments.csv", "participants-votes.csv", "summary.csv", "translations.csv"]

    run = concord("verify", str(folder))
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"{len(logged):,} entries (50 votes)" in run.stdout and "recompute" in run.stdout


def tampered(folder: Path, what) -> str:
    """Tamper with a copy of the export, verify it, return the one-line refusal."""
    what(folder)
    with pytest.raises(LogMismatch) as refused:
        verify_export(folder)
    return str(refused.value)


@pytest.fixture
def exported(site, tmp_path_factory):
    conversation = lively(site)
    original = export(site, conversation, tmp_path_factory.mktemp("export"))

    def copy() -> Path:
        target = tmp_path_factory.mktemp("tampered")
        for path in original.iterdir():
            (target / path.name).write_bytes(path.read_bytes())
        return target

    return copy


def vote_lines(folder: Path) -> list[str]:
    return (folder / "votes.csv").read_text().splitlines(keepends=True)


def vote_entry_of_row(folder: Path, row: int) -> int:
    return [json.loads(line)["seq"] for line in entries(folder) if '"type":"vote"' in line][row]


def test_a_flipped_vote_is_refused_with_its_entry(exported):
    folder = exported()
    lines = vote_lines(folder)
    cells = lines[5].rstrip("\n").split(",")
    cells[-1] = "1" if cells[-1] != "1" else "-1"
    lines[5] = ",".join(cells) + "\n"
    (folder / "votes.csv").write_text("".join(lines))
    message = tampered(folder, lambda f: None)
    assert message.startswith(f"entry {vote_entry_of_row(folder, 4)}: votes.csv line 6 is ")


def test_a_dropped_and_two_swapped_vote_rows_are_refused_with_their_entries(exported):
    dropped, swapped = exported(), exported()
    lines = vote_lines(dropped)
    (dropped / "votes.csv").write_text("".join(lines[:10] + lines[11:]))
    assert tampered(dropped, lambda f: None).startswith(f"entry {vote_entry_of_row(dropped, 9)}: votes.csv line 11")
    lines = vote_lines(swapped)
    lines[3], lines[20] = lines[20], lines[3]
    (swapped / "votes.csv").write_text("".join(lines))
    assert tampered(swapped, lambda f: None).startswith(f"entry {vote_entry_of_row(swapped, 2)}: votes.csv line 4")


def test_a_changed_moderation_reason_or_byte_is_caught_by_the_next_entrys_link(exported):
    folder = exported()
    lines = entries(folder)
    [at] = [i for i, line in enumerate(lines) if '"type":"moderation"' in line]
    lines[at] = lines[at].replace("a duplicate of statement 3", "spam")
    set_entries(folder, lines)
    assert tampered(folder, lambda f: None).startswith(f"entry {at}: its hash is ")

    folder = exported()
    lines = entries(folder)
    lines[7] = lines[7].replace('"time":', '"time":1', 1)  # one byte more in entry 7
    set_entries(folder, lines)
    assert tampered(folder, lambda f: None).startswith("entry 7: its hash is ")

    folder = exported()
    lines = entries(folder)
    last = len(lines) - 1
    digest = json.loads(lines[last])["digest"]
    lines[last] = lines[last].replace(digest, ("0" if digest[0] != "0" else "1") + digest[1:])  # the last entry
    set_entries(folder, lines)
    assert tampered(folder, lambda f: None).startswith(f"entry {last}: the entries do not hash to the signed")


def test_a_truncated_log_is_refused(exported):
    folder = exported()
    lines = entries(folder)
    set_entries(folder, lines[:-3])
    message = tampered(folder, lambda f: None)
    assert message.startswith(f"entry {len(lines) - 3}: missing: the log ends after {len(lines) - 3} entries")


def test_a_log_signed_with_another_key_is_refused(exported):
    folder = exported()
    checkpoint = (folder / "checkpoint.txt").read_text()
    origin, size, root = checkpoint.splitlines()[:3]
    forger = Signer(json.loads(entries(folder)[0])["key"].split("+")[0], bytes(32))
    (folder / "checkpoint.txt").write_text(forger.sign(origin, int(size), base64.b64decode(root)))
    assert "checkpoint.txt: the checkpoint is not signed by the log's key" in tampered(folder, lambda f: None)

    folder = exported()  # the forger also puts their key in entry 0: its link to entry 1 breaks
    lines = entries(folder)
    genesis = json.loads(lines[0])
    genesis["key"] = str(forger.key)
    lines[0] = json.dumps(genesis, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"
    set_entries(folder, lines)
    assert tampered(folder, lambda f: None).startswith("entry 0: its hash is ")

    run = concord("verify", str(exported()), "--key", str(forger.key))
    assert run.returncode == 1 and "entry 0: it commits the key" in run.stdout


def test_a_changed_analysis_is_refused(exported):
    folder = exported()
    summary = json.loads((folder / "conversation.json").read_text())
    summary["analysis"]["results"]["votes"] += 1
    (folder / "conversation.json").write_text(json.dumps(summary))
    assert "conversation.json's analysis (of the first" in tampered(folder, lambda f: None)


def test_receipts_prove_a_vote_is_included(site, tmp_path):
    person = site.person()
    answer = ok(person.vote(1, "agree"), 201)
    receipt = answer["receipt"]
    ok(site.person().vote(2, "disagree"), 201)  # the log grows after the vote
    mine = ok(person.client.get(f"/api/conversations/{site.conversation}/receipts", headers=person.headers))
    assert [r["entry"] for r in mine["receipts"]] == [receipt["entry"]]
    assert mine["receipts"][0]["leaf"] == receipt["leaf"]
    from concord.verify.receipts import check_receipts

    def fetch(path: str):
        return ok(TestClient(site.app).get(path))

    [check] = check_receipts(mine, fetch)
    assert check.included and check.size > receipt["entry"] + 1  # a later checkpoint still holds it
    forged = {**mine, "receipts": [{**mine["receipts"][0], "leaf": "00" * 32}]}
    [refused] = check_receipts(forged, fetch)
    assert not refused.included and "another entry" in refused.problem


def test_a_witness_catches_a_server_that_forks_its_history(site, tmp_path):
    state = tmp_path / "witness.json"

    def fetch(path: str):
        return ok(TestClient(site.app).get(path))

    first = witness(fetch, state)
    assert first.alarms == [] and first.new == first.seen >= 5  # 4 spaces and a conversation
    ok(site.person().vote(1, "agree"), 201)
    again = witness(fetch, state)
    assert again.alarms == [] and again.grew == 1

    # The server rewrites one old vote and rebuilds its log (hashes, links and tree) consistently,
    # signing it with its own key: only a witness that saw the earlier checkpoint can tell.
    with site.app.state.concord.sessions.begin() as session:
        log = session.scalars(select(Log).join(LogEntry).where(LogEntry.type == "vote")).first()
        rows = session.scalars(select(LogEntry).where(LogEntry.log_id == log.id).order_by(LogEntry.seq)).all()
        bodies = [json.loads(row.body) for row in rows]
        [vote] = [b for b in bodies if b["type"] == "vote"][:1]
        vote["vote"] = -vote["vote"] if vote["vote"] else 1
        frontier = Frontier()
        unlinked = [{k: v for k, v in body.items() if k not in ("seq", "prev")} for body in bodies]
        for row, (_, data, leaf) in zip(rows, chain(0, GENESIS_PREV, unlinked)):
            row.body, row.leaf = data.decode(), leaf
            frontier.append(leaf)
        log.root, log.last = frontier.root().hex(), rows[-1].leaf.hex()
    forked = witness(fetch, state)
    assert len(forked.alarms) == 1 and "two different logs" in forked.alarms[0]


def test_a_closed_budgets_outcome_is_logged_and_recomputes_from_its_ballots(site, tmp_path):
    from test_api_budgets import add_projects, new_budget, vote, voter

    budget = new_budget(site)
    add_projects(site, budget)
    for chosen in ([1, 2], [1, 3], [2, 4], [4], [1, 2, 3], [3, 4], [1], [2, 3]):
        ok(vote(voter(site), budget, chosen))
    ok(site.admin.post(f"/api/budgets/{budget}/close", headers=site.headers))
    conversation = ok(site.admin.get(f"/api/budgets/{budget}"))["conversation"]
    folder = export(site, conversation, tmp_path)
    logged = [json.loads(line) for line in entries(folder)]
    assert [e["type"] for e in logged].count("ballot") == 8 and logged[-1]["of"] == "budget"
    checked = verify_export(folder)
    assert checked.outcomes == 1

    # The server itself changes a ballot and re-signs the rewritten log with its own key: the signature
    # holds, but the published outcome no longer follows from the ballots.
    bodies = [json.loads(line) for line in entries(folder)]
    [first] = [b for b in bodies if b["type"] == "ballot"][:1]
    first["projects"] = [4]
    resign(site, folder, bodies)
    with pytest.raises(LogMismatch, match=rf"entry {len(bodies) - 1}: the outcome it publishes \(budget of"):
        verify_export(folder)


def resign(site, folder: Path, bodies: list[dict]) -> None:
    """What only the server could do: write these entries as its log, linked and signed with its key."""
    from concord.service.log.appending import signer

    unlinked = [{k: v for k, v in body.items() if k not in ("seq", "prev")} for body in bodies]
    linked = chain(0, GENESIS_PREV, unlinked)
    set_entries(folder, [data.decode() + "\n" for _, data, _ in linked])
    frontier = Frontier()
    for _, _, leaf in linked:
        frontier.append(leaf)
    with site.app.state.concord.sessions.begin() as session:
        (folder / "checkpoint.txt").write_text(signer(session).sign(bodies[0]["origin"], len(linked), frontier.root()))


def test_a_server_that_rewrites_a_vote_and_signs_again_is_caught_by_its_own_published_outcome(site, tmp_path):
    folder = export(site, lively(site), tmp_path)
    bodies = [json.loads(line) for line in entries(folder)]
    votes = [b for b in bodies if b["type"] == "vote" and b["statement"] == site.seeds[0]]
    for vote in votes[:6]:
        vote["vote"] = 1
    resign(site, folder, bodies)
    with pytest.raises(LogMismatch, match=rf"entry {len(bodies) - 1}: the outcome it publishes \(analysis of"):
        verify_export(folder)


def test_the_witness_and_receipt_commands_work_against_a_live_server(site, tmp_path):
    from live_server import running

    person = site.person()
    ok(person.vote(1, "agree"), 201)
    receipts = tmp_path / "receipts.json"
    receipts.write_text(
        person.client.get(f"/api/conversations/{site.conversation}/receipts", headers=person.headers).text
    )
    with running(site.app) as url:
        state = tmp_path / "witness.json"
        first = concord("witness", url, "--state", str(state))
        assert first.returncode == 0 and "0 inconsistent" in first.stdout, first.stdout + first.stderr
        checked = concord("verify", "--receipt", str(receipts), "--server", url)
        assert checked.returncode == 0 and "included in the signed checkpoint" in checked.stdout, checked.stdout
        seen = json.loads(state.read_text())
        origin = next(o for o in seen if "/c/" in o)
        seen[origin]["root"] = "00" * 32  # as if the server had shown this witness another history before
        state.write_text(json.dumps(seen))
        alarmed = concord("witness", url, "--state", str(state))
        assert alarmed.returncode == 1 and "ALARM" in alarmed.stdout and "a fork" in alarmed.stdout
    unreachable = concord("witness", url, "--state", str(state))
    assert unreachable.returncode == 2 and unreachable.stderr.startswith("concord: error:")


def test_an_imported_polis_conversation_enters_the_log_and_verifies(site, tmp_path):
    from api_helpers import SMALL_CONVERSATION, zip_folder

    imported = ok(
        site.admin.post(
            f"/api/spaces/{site.spaces['/x']['id']}/imports",
            files={"file": ("export.zip", zip_folder(SMALL_CONVERSATION))},
            headers=site.headers,
        ),
        201,
    )
    folder = export(site, imported["id"], tmp_path)
    logged = [json.loads(line) for line in entries(folder)]
    [entry] = [e for e in logged if e["type"] == "import"]
    assert entry["source"] == "polis" and set(entry["files"]) >= {"votes.csv", "comments.csv"}
    # Every vote event of the source is an entry (a changed vote too), in the source's order.
    source_events = (SMALL_CONVERSATION / "votes.csv").read_text().count("\n") - 1
    assert entry["votes"] == sum(e["type"] == "vote" for e in logged) == source_events
    assert entry["participants"] == imported["participants"] and imported["votes"] <= source_events
    checked = verify_export(folder)
    assert checked.votes == source_events and checked.analysis is not None  # analysed on import


def test_a_spaces_new_rule_is_logged_in_every_conversation_that_follows_it(site, tmp_path):
    """A conversation made without a rule of its own stores JSON null; its space's new rule is its rule
    in force, so the change is an entry of its log and the export still recomputes (it once was not)."""
    c = site.conversation
    people = [site.person() for _ in range(6)]
    for i, person in enumerate(people):
        ok(person.vote(2, "agree" if i else "disagree"), 201)
    ok(site.admin.post(f"/api/conversations/{c}/statements/2/proposal", json={"proposal": True}, headers=site.headers))
    ok(site.admin.put(f"/api/spaces/{site.spaces['/a']['id']}/decision-rule", json={"rule": {"name": "consensus"}},
                      headers=site.headers))  # fmt: skip
    site.app.state.concord.live.analyse_now(db_id(site.app, c))
    folder = export(site, c, tmp_path)
    logged = [json.loads(line) for line in entries(folder)]
    assert [e for e in logged if e["type"] == "conversation"][-1]["rule"]["name"] == "consensus"
    assert verify_export(folder).analysis
