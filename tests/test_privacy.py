"""Nothing public ties a person to a rare answer, nothing stored ties a participant to who they are, and a
receipt does not betray its holder (README: "Who can learn what"), on SQLite and PostgreSQL.

The adversary reads everything public (the log, the export, the results), may seize the database, and
may take a participant's phone or receipt."""

from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, select, update

from api_helpers import SEEDS, Person, db_id, error_of, ok
from concord.ledger.merkle import leaf_hash
from concord.service.accounts.xids import xid_token
from concord.service.errors import Conflict
from concord.service.participation.declared import K
from concord.store.models import Invitation, Participant
from concord.verify.exports import verify_export
from concord.verify.receipts import check_receipts, receipts_from_log
from concord.verify.replay import LogMismatch
from test_log import concord, entries, resign

VILLAGE = "قریه"
A, B, C = "قریهٔ بالا", "قریهٔ پایین", "درهٔ کوچک"  # C: the village of two voters
QUESTION = [{"name": VILLAGE, "options": [A, B, C]}]


def test_k_is_the_smallest_group_that_can_hold_a_veto():
    from concord.engine.decisions.support import MIN_VOTERS

    assert K == MIN_VOTERS == 5


# --- what the public sees of answers -------------------------------------------------------------------


def traces(text: str, secret: str) -> list[str]:
    """The forms of ``secret`` (as text, JSON-escaped, hashed) found in ``text``."""
    forms = {
        "text": secret,
        "escaped": json.dumps(secret)[1:-1],
        "sha256": hashlib.sha256(secret.encode()).hexdigest(),
    }
    return [name for name, form in forms.items() if form in text]


def export_files(site, conversation: str) -> dict[str, bytes]:
    """Every file of the conversation's export (a moderator's download, for now)."""
    response = site.admin.get(f"/api/conversations/{conversation}/export")
    assert response.status_code == 200, response.text
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return {Path(member.filename).name: archive.read(member) for member in archive.infolist()}


def save(files: dict[str, bytes], folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def assert_untied(files: dict[str, bytes], public_log: str, secret: str) -> None:
    """``secret`` appears nowhere beside a participant: not in any entry but the conversation's settings
    (which list the question's answers), and in no file of the export but those settings."""
    logged = [json.loads(line) for line in public_log.splitlines()]
    for entry, line in zip(logged, public_log.splitlines()):
        if entry["type"] != "conversation":
            assert not traces(line, secret), f"entry {entry['seq']} ties {secret!r} to someone: {line}"
    assert files["log.jsonl"].decode() == public_log
    for name, data in files.items():
        text = data.decode("utf-8")
        if name == "conversation.json":
            summary = json.loads(text)
            summary.get("settings", {}).pop("attributes", None)  # the question, with every answer offered
            text = json.dumps(summary, ensure_ascii=False)
        elif name == "log.jsonl":
            text = "\n".join(line for e, line in zip(logged, text.splitlines()) if e["type"] != "conversation")
        assert not traces(text, secret), f"{name} holds {secret!r}"


def declared_entries(public_log: str) -> list[tuple[str, str | None, list[int]]]:
    return [
        (e["attribute"], e["value"], e["participants"])
        for e in map(json.loads, public_log.splitlines())
        if e["type"] == "declared"
    ]


def test_a_rare_answer_is_never_tied_to_a_participant_and_the_results_verify(site, tmp_path):
    """12 participants of village A, 12 of B, 2 of the small village C: A and B are published (all K in
    one entry when the K-th arrives, each one after at once), C never; one who leaves A for C is withdrawn;
    the results compare A and B only, and `concord verify` recomputes them from the log."""
    c = site.new_conversation(attributes=QUESTION)
    numbers = site.seed(c, *SEEDS)
    log_url = f"/api/conversations/{c}/log/entries"

    def public_log() -> str:
        return TestClient(site.app).get(log_url).text

    def joined(village: str) -> Person:
        return site.person(c, attributes={VILLAGE: village})

    first_a = [joined(A) for _ in range(K - 1)]
    assert declared_entries(public_log()) == []  # four share A: not yet published
    fifth = joined(A)
    assert declared_entries(public_log()) == [(VILLAGE, A, sorted(p.number for p in [*first_a, fifth]))]
    y = joined(C)
    b_side = [joined(B) for _ in range(12)]
    a_side = [*first_a, fifth, *(joined(A) for _ in range(7))]  # 12 joined with A
    x = a_side[0]
    url = f"/api/conversations/{c}/me/attributes"
    ok(x.client.put(url, json={"attributes": {VILLAGE: C}}, headers=x.headers))  # A → C: withdrawn
    ok(y.client.put(url, json={"attributes": {VILLAGE: A}}, headers=y.headers))  # C → A: published at once
    z = joined(C)
    published = declared_entries(public_log())
    assert (
        published
        == [
            (VILLAGE, A, [p.number for p in a_side[:K]]),
            (VILLAGE, B, [p.number for p in b_side[:K]]),  # the fifth of B publishes all five
            *((VILLAGE, B, [p.number]) for p in b_side[K:]),  # each one after, alone, at once
            *((VILLAGE, A, [p.number]) for p in a_side[K:]),
            (VILLAGE, None, [x.number]),  # x's A withdrawn: C is shared by fewer than five
            (VILLAGE, A, [y.number]),
        ]
    )  # and nothing of y's C, x's C or z's C

    everyone = [*a_side[1:], y], b_side, [x, z]
    for group, (agreed, refused) in zip(everyone, ((0, 2), (2, 0), (1, 3))):
        for person in group:
            for k, statement in enumerate(numbers):  # k: the seed's position
                choice = "agree" if k in (agreed, 3) else "disagree" if k == refused else "pass"
                ok(person.vote(statement, choice), 201)
    proposal = f"/api/conversations/{c}/statements/{numbers[3]}/proposal"  # everyone agrees with it
    ok(site.admin.post(proposal, json={"proposal": True}, headers=site.headers))
    site.app.state.concord.live.analyse_now(db_id(site.app, c))
    ok(site.admin.post(f"/api/conversations/{c}/close", headers=site.headers))
    site.app.state.concord.live.analyse_now(db_id(site.app, c))

    log = public_log()
    assert all("attributes" not in e for e in map(json.loads, log.splitlines()) if e["type"] == "participant")
    results = ok(TestClient(site.app).get(f"/api/conversations/{c}/results"))["results"]
    groups = results["declared"][VILLAGE]["groups"]
    assert sorted((g["name"], g["size"]) for g in groups) == sorted(
        [(A, 12), (B, 12)]
    )  # x and z count among everyone only
    assert results["participants"] == 26
    assert not traces(json.dumps(results, ensure_ascii=False), C)
    files = export_files(site, c)
    assert_untied(files, log, C)
    folder = save(files, tmp_path / "export")
    checked = verify_export(folder)
    assert checked.analysis and checked.outcomes == 1
    run = concord("verify", str(folder))
    assert run.returncode == 0, run.stdout + run.stderr


def test_two_answers_at_once_cannot_both_miss_being_the_fifth(site):
    """Three have answered A; a fourth answers A and, before their transaction commits, a fifth does.
    Writers of answers take the log's lock before they count, so the fifth waits for the fourth, then
    counts five and publishes all of them (counting without the lock, each would see four)."""
    import threading

    from concord.service.participation import joining as participation
    from concord.store.models import Conversation

    c = site.new_conversation(attributes=QUESTION)
    first = [site.person(c, attributes={VILLAGE: A}) for _ in range(3)]
    late = [site.person(c) for _ in range(2)]
    sessions = site.app.state.concord.sessions
    answered, errors = threading.Event(), []

    def answer(number: int, holds: bool) -> None:
        try:
            with sessions.begin() as session:
                conversation = session.scalar(select(Conversation).where(Conversation.public_id == c))
                person = session.scalar(
                    select(Participant).where(Participant.conversation_id == conversation.id,
                                              Participant.number == number)
                )  # fmt: skip
                if not holds:
                    answered.wait(timeout=10)
                participation.set_attributes(conversation, person, {VILLAGE: A})
                if holds:  # the fourth answer, not yet committed
                    answered.set()
                    time.sleep(0.5)
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=answer, args=(p.number, i == 0)) for i, p in enumerate(late)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    published = declared_entries(TestClient(site.app).get(f"/api/conversations/{c}/log/entries").text)
    assert published == [(VILLAGE, A, sorted(p.number for p in [*first, *late]))]


def small_village(site) -> tuple[str, list[Person], Person]:
    """Five of A, five of B and the one participant of C, each voting with their village."""
    c = site.new_conversation(attributes=QUESTION)
    numbers = site.seed(c, *SEEDS)
    people = [site.person(c, attributes={VILLAGE: village}) for village in [A] * 5 + [B] * 5]
    lonely = site.person(c, attributes={VILLAGE: C})
    for i, person in enumerate([*people, lonely]):
        for k, statement in enumerate(numbers):
            ok(person.vote(statement, "agree" if (k + (i >= 5)) % 2 else "disagree"), 201)
    site.app.state.concord.live.analyse_now(db_id(site.app, c))
    return c, people, lonely


def set_column(site, number: int, conversation: str, **values) -> None:
    """A change made straight in the database, past every use case and the log."""
    with site.app.state.concord.sessions.begin() as session:
        session.execute(
            update(Participant.__table__)
            .where(Participant.conversation_id == db_id(site.app, conversation), Participant.number == number)
            .values(**values)
        )


def test_an_answer_changed_in_the_database_changes_nothing_served_or_is_caught_by_verify(site, tmp_path):
    c, people, lonely = small_village(site)
    results_url = f"/api/conversations/{c}/results"

    def analysed() -> dict:
        site.app.state.concord.live.analyse_now(db_id(site.app, c))
        found = ok(TestClient(site.app).get(results_url))["results"]
        return {key: value for key, value in found.items() if key not in ("timings", "computed_ms")}

    before = analysed()
    assert {g["name"] for g in before["declared"][VILLAGE]["groups"]} == {A, B}
    size = len(entries(save(export_files(site, c), tmp_path / "untouched")))

    # The answers a participant gave (attributes): nothing served reads them but their own page.
    set_column(site, lonely.number, c, attributes={VILLAGE: A})
    set_column(site, people[0].number, c, attributes={VILLAGE: B})
    assert analysed()["declared"] == before["declared"]
    folder = save(export_files(site, c), tmp_path / "attributes")
    assert len(entries(folder)) == size and verify_export(folder).analysis

    # The answers published (published): the results change, and verify names the entry they are of.
    set_column(site, lonely.number, c, published={VILLAGE: C})
    changed = analysed()
    assert {g["name"] for g in changed["declared"][VILLAGE]["groups"]} == {A, B, C}
    folder = save(export_files(site, c), tmp_path / "published")
    with pytest.raises(LogMismatch, match=rf"^entry {len(entries(folder)) - 1}: conversation.json's analysis"):
        verify_export(folder)
    run = concord("verify", str(folder))
    assert run.returncode == 1 and "NOT VERIFIED: entry" in run.stdout


def test_a_log_that_publishes_a_rare_answer_does_not_verify(site, tmp_path):
    """A server that writes the lone participant's answer into its log (and signs it) is caught: an answer
    published beside fewer than K participants is refused with its entry."""
    c, _, lonely = small_village(site)
    folder = save(export_files(site, c), tmp_path / "export")
    bodies = [json.loads(line) for line in entries(folder)]
    leak = {
        "type": "declared",
        "time": bodies[-1]["time"],
        "attribute": VILLAGE,
        "value": C,
        "participants": [lonely.number],
    }
    resign(site, folder, [*bodies, leak])
    with pytest.raises(LogMismatch, match=rf"^entry {len(bodies)}: it publishes an answer to '{VILLAGE}' beside 1"):
        verify_export(folder)


# --- budgets ----------------------------------------------------------------------------------------


def test_a_budget_ballot_with_a_rare_answer_ties_it_to_nobody(site, tmp_path):
    from test_api_budgets import add_projects, new_budget

    budget = new_budget(site, attributes=QUESTION)
    add_projects(site, budget)
    conversation = ok(site.admin.get(f"/api/budgets/{budget}"))["conversation"]
    for i, village in enumerate([A] * 6 + [B] * 6 + [C]):
        person = site.person(conversation, attributes={VILLAGE: village})
        chosen = [1, 2] if village == A else [3, 4] if village == B else [i % 4 + 1]
        ok(person.client.put(f"/api/budgets/{budget}/ballot", json={"projects": chosen}, headers=person.headers))
    outcome = ok(TestClient(site.app).get(f"/api/budgets/{budget}/outcome"))["outcome"]
    assert sorted(row["group"] for row in outcome["fairness"] if row["attribute"] == VILLAGE) == sorted([A, B])
    ok(site.admin.post(f"/api/budgets/{budget}/close", headers=site.headers))
    log = TestClient(site.app).get(f"/api/conversations/{conversation}/log/entries").text
    ballots = [e for e in map(json.loads, log.splitlines()) if e["type"] == "ballot"]
    assert len(ballots) == 13 and all(e["voter"] is None and e["attributes"] == {} for e in ballots)
    files = export_files(site, conversation)
    assert_untied(files, log, C)
    assert verify_export(save(files, tmp_path / "export")).outcomes == 1  # the fairness report, as published


def test_an_imported_pabulib_file_publishes_neither_voter_ids_nor_rare_columns(site, tmp_path):
    """A city's file: its voter ids and a district two voters live in stay with the moderators (the
    .pb export gives the file back whole); the log publishes the districts at least K share."""
    from concord.formats.pabulib import PabulibFile, write_pabulib
    from test_api_budgets import pb_upload

    districts = ["Injil"] * 20 + ["Guzara"] * 20 + ["Kushk-e Kohna"] * 2
    votes = [
        [f"hrt-voter-{i:04d}", "1,2" if d == "Injil" else "2,3" if d == "Guzara" else "3", d, str(20 + i % 40)]
        for i, d in enumerate(districts)
    ]
    text = write_pabulib(
        PabulibFile(
            meta={
                "description": "Herat 2026",
                "unit": "Herat",
                "instance": "herat-2026",
                "num_projects": "3",
                "num_votes": str(len(votes)),
                "budget": "100",
                "vote_type": "approval",
                "rule": "equalshares/add1",
            },
            project_columns=["project_id", "cost", "name"],
            projects=[["1", "40", "Well"], ["2", "40", "School roof"], ["3", "40", "Clinic"]],
            vote_columns=["voter_id", "vote", "district", "age"],
            votes=votes,
        )
    )
    imported = ok(pb_upload(site, text.encode()), 201)
    budget, conversation = imported["id"], imported["conversation"]
    outcome = ok(TestClient(site.app).get(f"/api/budgets/{budget}/outcome"))["outcome"]
    assert {row["group"] for row in outcome["fairness"] if row["attribute"] == "district"} == {"Injil", "Guzara"}
    ok(site.admin.post(f"/api/budgets/{budget}/close", headers=site.headers))
    log = TestClient(site.app).get(f"/api/conversations/{conversation}/log/entries").text
    assert "hrt-voter-" not in log
    assert {value for attribute, value, _ in declared_entries(log) if attribute == "district"} == {"Injil", "Guzara"}
    files = export_files(site, conversation)
    assert_untied(files, log, "Kushk-e Kohna")
    assert not any(b"hrt-voter-" in data for data in files.values())
    assert verify_export(save(files, tmp_path / "export")).outcomes == 1
    assert site.admin.get(f"/api/budgets/{budget}/export.pb").text == text  # the moderators keep it whole


# --- what the database holds ------------------------------------------------------------------------


def stored_texts(app) -> list[tuple[str, str, str]]:
    """(table, column, value as text) of every value in every table of the database."""
    found = []
    with app.state.concord.sessions.begin() as session:
        connection = session.connection()
        meta = MetaData()
        meta.reflect(bind=connection)
        for table in meta.sorted_tables:
            for row in connection.execute(select(table)).mappings():
                for column, value in row.items():
                    if isinstance(value, bytes | memoryview):
                        text = bytes(value).hex() + bytes(value).decode("utf-8", "replace")
                    elif isinstance(value, dict | list):
                        text = json.dumps(value, ensure_ascii=False)
                    else:
                        text = str(value)
                    found.append((table.name, column, text))
    return found


def signed(site, conversation: str, xid: str) -> dict:
    secret = ok(site.admin.get(f"/api/conversations/{conversation}/embedding"))["xid_secret"]
    return {"xid": xid, "xid_token": xid_token(secret, conversation, xid, int(time.time()) + 3600)}


def test_a_signed_external_id_leaves_no_trace_in_the_database_and_its_member_finds_their_votes(site):
    c = site.new_conversation(access="xid")
    site.seed(c, *SEEDS)
    member = "member:farida.rahimi@herat-womens-council.example"
    phone = site.person(c, **signed(site, c, member))
    ok(phone.vote(1, "agree"), 201)
    ok(phone.vote(3, "disagree"), 201)
    site.app.state.concord.live.analyse_now(db_id(site.app, c))
    leaks = [(table, column) for table, column, text in stored_texts(site.app) if traces(text, member)]
    assert leaks == []
    laptop = site.person(c, **signed(site, c, member))  # the same member on a new device
    assert laptop.number == phone.number and ok(laptop.me())["votes"] == {"1": 1, "3": -1}


def test_a_used_invitation_code_is_linked_to_nobody_and_cannot_be_used_again(site):
    c = site.new_conversation(access="invite")
    site.seed(c, *SEEDS)
    issued = ok(site.admin.post(f"/api/conversations/{c}/invitations", json={"count": 3}, headers=site.headers), 201)
    code = issued[1]["code"]
    guest = site.person(c, invite_code=code)
    ok(guest.vote(2, "agree"), 201)
    code_hash = hashlib.sha256(code.encode()).hexdigest()
    with site.app.state.concord.sessions.begin() as session:
        [invitation] = session.scalars(select(Invitation).where(Invitation.code_hash == code_hash)).all()
        assert invitation.used is True
        row = {column.name: getattr(invitation, column.name) for column in Invitation.__table__.columns}
    assert set(row) == {"id", "conversation_id", "code_hash", "hint", "created_ms", "used"}  # no who, no when
    holding = {(table, column) for table, column, text in stored_texts(site.app) if code_hash in text or code in text}
    assert holding == {("invitations", "code_hash")}
    # No table refers to an invitation, and an invitation refers to no participant.
    assert not [
        fk for t in Invitation.metadata.sorted_tables for fk in t.foreign_keys if fk.column.table.name == "invitations"
    ] and {fk.column.table.name for fk in Invitation.__table__.foreign_keys} == {"conversations"}
    replayer = site.person(c, join=False)
    error_of(replayer.join(invite_code=code), 409, "conflict", "invitation_used")
    ok(site.person(c, join=False).join(invite_code=issued[2]["code"]), 201)


# --- receipts -----------------------------------------------------------------------------------------


def test_a_receipt_made_from_public_data_for_someone_elses_vote_is_indistinguishable_from_ones_own(site):
    """A voter's own receipts file names entries and leaf hashes only; anyone can make the same file for
    any entry from the public log, and it verifies exactly alike. So a receipt shows nobody who cast the
    vote it names, and a voter pressed to show how they voted can hand over another voter's."""
    c = site.conversation
    holder, other = site.person(), site.person()
    ok(holder.vote(1, "disagree"), 201)
    theirs = ok(other.vote(1, "agree"), 201)["receipt"]  # the vote the coercer wants to see
    url = f"/api/conversations/{c}/receipts"
    own = ok(holder.client.get(url, headers=holder.headers))
    public = TestClient(site.app)  # nobody: no cookie, no token
    state = ok(public.get(f"/api/conversations/{c}/log"))
    bodies = public.get(f"/api/conversations/{c}/log/entries").text.splitlines()
    made = receipts_from_log(state, {theirs["entry"]: bodies[theirs["entry"]]})
    assert made["receipts"][0]["leaf"] == leaf_hash(bodies[theirs["entry"]].encode()).hex() == theirs["leaf"]
    assert made == ok(public.get(url, params={"entry": theirs["entry"]}))  # the server makes the same for anyone

    # The same shape, the same log state: only the entry and its leaf differ.
    assert own["log"] == made["log"] and len(own["receipts"]) == len(made["receipts"]) == 1
    assert set(own["receipts"][0]) == set(made["receipts"][0]) == {"entry", "leaf"}
    assert own["receipts"][0]["entry"] != made["receipts"][0]["entry"]
    text = json.dumps(own)
    assert holder.token not in text and '"participant"' not in text and '"vote"' not in text

    def fetch(path: str):
        return ok(public.get(path))

    [mine] = check_receipts(own, fetch)
    [handed] = check_receipts(made, fetch)
    assert mine.included and handed.included and mine.size == handed.size
    # What the holder of the handed-over receipt learns: the public entry it names, someone else's vote.
    named = json.loads(bodies[made["receipts"][0]["entry"]])
    assert named["type"] == "vote" and named["participant"] == other.number and named["vote"] == 1
    error_of(public.get(url, params={"entry": 10_000}), 404)


# --- an older database ----------------------------------------------------------------------------------


def test_0011_hashes_the_stored_external_ids_keeps_every_vote_and_the_old_log_verifies(database_url, tmp_path):
    """A database of 0007 with members' external ids, used invitation codes and votes: after the
    migrations each id is stored as exactly the hash Concord computes, nothing of it is left, no vote is
    lost, the log 0008 built still verifies, and each member finds their participant again."""
    from concord.service.accounts.xids import xid_hash
    from concord.service.conversations.exchange import export_polis_folder
    from concord.service.live_analysis import LiveAnalysis
    from concord.service.participation import joining as participation
    from concord.service.participation import voting
    from concord.store.database import migrate, open_database, session_factory
    from concord.store.models import Conversation, VoteEvent

    engine = open_database(database_url)
    migrate(engine, "0007")
    meta = MetaData()
    meta.reflect(engine)
    t = meta.tables
    members = [f"member:{name}@herat.example" for name in ("farida", "bashir", "gul", "nasrin", "omid", "zarghuna")]
    conversation = {
        "space_id": 1,
        "topic": "آب",
        "description": "",
        "language": "fa-AF",
        "is_open": True,
        "moderation": "post",
        "participants_can_write": True,
        "max_statement_length": 140,
        "attributes": QUESTION,
        "xid_secret": "site-key",
        "allow_unsigned_xid": False,
        "next_statement_number": 2,
        "next_participant_number": 6,
        "created_ms": 2,
    }
    with engine.begin() as db:
        db.execute(
            t["spaces"].insert(),
            [
                {
                    "id": 1,
                    "slug": "herat",
                    "path": "/herat",
                    "name": "هرات",
                    "description": "",
                    "language": "fa-AF",
                    "created_ms": 1,
                    "weight": 1.0,
                }
            ],
        )
        db.execute(
            t["conversations"].insert(),
            [
                {**conversation, "id": 1, "public_id": "old1", "access": "xid"},
                {**conversation, "id": 2, "public_id": "old2", "access": "invite"},
            ],
        )
        db.execute(
            t["participants"].insert(),
            [
                {
                    "id": p + 1,
                    "conversation_id": 1,
                    "number": p,
                    "token_hash": f"t{p}",
                    "xid": xid,
                    "attributes": {VILLAGE: C if p == 0 else A},
                    "created_ms": 3,
                }
                for p, xid in enumerate(members)
            ]
            + [
                {
                    "id": 10,
                    "conversation_id": 2,
                    "number": 0,
                    "token_hash": "g",
                    "xid": None,
                    "attributes": {},
                    "created_ms": 3,
                }
            ],
        )
        db.execute(
            t["statements"].insert(),
            [
                {
                    "id": s + 1,
                    "conversation_id": 1,
                    "number": s,
                    "text": f"چاه {s}",
                    "language": "fa-AF",
                    "normalized": f"چاه {s}",
                    "author_id": None,
                    "is_seed": True,
                    "status": "accepted",
                    "created_ms": 4,
                    "is_proposal": False,
                }
                for s in range(2)
            ],
        )
        votes = [(p + 1, s + 1, 1 if (p + s) % 2 else -1) for p in range(6) for s in range(2)]
        db.execute(
            t["vote_events"].insert(),
            [
                {"conversation_id": 1, "participant_id": p, "statement_id": s, "value": v, "created_ms": 10 + i}
                for i, (p, s, v) in enumerate(votes)
            ],
        )
        db.execute(
            t["votes"].insert(),
            [
                {"participant_id": p, "statement_id": s, "conversation_id": 1, "value": v, "updated_ms": 50}
                for p, s, v in votes
            ],
        )
        db.execute(
            t["invitations"].insert(),
            [
                {
                    "conversation_id": 2,
                    "code_hash": hashlib.sha256(code.encode()).hexdigest(),
                    "hint": code[:3],
                    "created_ms": 1,
                    "used_ms": used,
                    "participant_id": who,
                }
                for code, used, who in (("USEDCODE42", 5, 10), ("FRESHCODE7", None, None))
            ],
        )
        if db.dialect.name == "postgresql":  # rows given their ids: the sequences go on after them
            for table in ("spaces", "conversations", "participants", "statements"):
                db.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )

    migrate(engine)

    sessions = session_factory(engine)
    with sessions.begin() as session:
        old = session.get(Conversation, 1)
        stored = dict(
            session.execute(select(Participant.number, Participant.xid).where(Participant.conversation_id == 1)).all()
        )
        assert stored == {p: xid_hash(session, old, xid) for p, xid in enumerate(members)}
        assert len(session.scalars(select(VoteEvent.id).where(VoteEvent.conversation_id == 1)).all()) == len(votes)
        used = dict(session.execute(select(Invitation.hint, Invitation.used)).all())
        assert used == {"USE": True, "FRE": False}
        assert {c.name for c in Invitation.__table__.columns} == {
            "id",
            "conversation_id",
            "code_hash",
            "hint",
            "created_ms",
            "used",
        }
    with engine.connect() as connection:
        everything = MetaData()
        everything.reflect(bind=connection)
        for table in everything.sorted_tables:
            for row in connection.execute(select(table)):
                assert not any(member in str(value) for value in row for member in members), table.name
    LiveAnalysis(sessions).analyse_now(1)
    folder = tmp_path / "old1"
    folder.mkdir()
    with sessions.begin() as session:
        export_polis_folder(session, session.get(Conversation, 1), folder)
    checked = verify_export(folder)  # its analysis reads the answers the old log published (C's too)
    assert checked.votes == len(votes) and checked.analysis

    with sessions.begin() as session:
        old = session.get(Conversation, 1)
        again = participation.join(
            session, old, xid=members[3], xid_token=xid_token("site-key", "old1", members[3], int(time.time()) + 60)
        )
        assert again.participant.number == 3 and participation.my_votes(session, again.participant) == {0: 1, 1: -1}
        newcomer = participation.join(
            session,
            old,
            xid="member:new@herat.example",
            xid_token=xid_token("site-key", "old1", "member:new@herat.example", int(time.time()) + 60),
            attributes={VILLAGE: B},
        )
        voting.record_vote(session, old, newcomer.participant, 0, "agree")
        invite = session.get(Conversation, 2)
        with pytest.raises(Conflict, match="used already"):
            participation.join(session, invite, invite_code="USEDCODE42")
    with sessions.begin() as session:
        assert participation.join(session, session.get(Conversation, 2), invite_code="FRESHCODE7").participant
    LiveAnalysis(sessions).analyse_now(1)
    folder = tmp_path / "again"
    folder.mkdir()
    with sessions.begin() as session:
        export_polis_folder(session, session.get(Conversation, 1), folder)
    logged = (folder / "log.jsonl").read_text(encoding="utf-8")
    assert [value for _, value, _ in declared_entries(logged)] == []  # the newcomer's B: shared by nobody
    checked = verify_export(folder)
    assert checked.votes == len(votes) + 1 and checked.analysis
    engine.dispose()
