"""Conversations out and in, in the Pol.is export format.

Through the JSON API on SQLite and on a real PostgreSQL server (each test gets a fresh database, see
``database_url`` in conftest.py); refused requests are checked to leave every table as it was.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile

from fastapi.testclient import TestClient

from api_helpers import EXPORT_FILES, SMALL_CONVERSATION, db_id, error_of, moderator_of, ok, snapshot, zip_folder

# --- export and import ----------------------------------------------------------------------------


def read_zip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def csv_rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def test_export_is_a_zip_of_the_polis_files(site):
    c = site.conversation
    water, schools, _, councils = site.seeds
    first, second = site.person(), site.person()
    ok(first.vote(water, "agree"), 201)
    ok(first.vote(water, "disagree"), 201)
    ok(first.vote(schools, "pass"), 201)
    ok(second.vote(water, "agree"), 201)
    written = ok(second.write("<script>alert(1)</script>"), 201)
    ok(site.moderate(c, councils, "rejected", f"repeats {water}"))
    site.app.state.concord.live.analyse_now(db_id(site.app, c))
    response = site.admin.get(f"/api/conversations/{c}/export")
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    assert f'filename="{c}.zip"' in response.headers["content-disposition"]
    files = read_zip(response.content)
    assert set(files) == {f"{c}/{name}" for name in EXPORT_FILES}
    votes = csv_rows(files[f"{c}/votes.csv"])
    assert [(int(v["voter-id"]), int(v["comment-id"]), int(v["vote"])) for v in votes] == [
        (first.number, water, 1),
        (first.number, water, -1),
        (first.number, schools, 0),
        (second.number, water, 1),
        (second.number, written["number"], 1),  # the writer's agreement with their statement, as Pol.is's
    ]
    comments = {int(row["comment-id"]): row for row in csv_rows(files[f"{c}/comments.csv"])}
    assert comments[written["number"]]["comment-body"] == "<script>alert(1)</script>"
    assert comments[written["number"]]["author-id"] == str(second.number)
    assert comments[councils]["moderated"] == "-1" and comments[water]["moderated"] == "1"
    assert (comments[water]["agrees"], comments[water]["disagrees"]) == ("2", "1")  # every vote event counts
    wide = {int(row["participant"]): row for row in csv_rows(files[f"{c}/participants-votes.csv"])}
    assert wide[first.number][str(water)] == "-1" and wide[first.number][str(schools)] == "0"
    assert wide[second.number][str(water)] == "1"
    summary = dict(csv.reader(io.StringIO(files[f"{c}/summary.csv"].decode())))
    assert summary["topic"] == "How should the district spend its budget?" and summary["voters"] == "2"
    meta = json.loads(files[f"{c}/conversation.json"])
    assert meta["space"] == "/a/b" and meta["settings"]["moderation"] == "post"
    assert meta["analysis"]["vote_count"] == 4  # the current votes, the writer's agreement among them
    # The export imports back as a new conversation with the same votes.
    imported = ok(
        site.admin.post(
            f"/api/spaces/{site.spaces['/x']['id']}/imports",
            files={"file": ("export.zip", response.content)},
            data={"topic": "Re-imported"},
            headers=site.headers,
        ),
        201,
    )
    assert (imported["topic"], imported["votes"], imported["participants"], imported["statements"]) == (
        "Re-imported",
        4,
        2,
        4,
    )
    again = read_zip(site.admin.get(f"/api/conversations/{imported['id']}/export").content)
    assert again[f"{imported['id']}/votes.csv"] == files[f"{c}/votes.csv"]


def test_a_conversation_without_votes_exports(site):
    """Found: exporting a conversation nobody has voted in yet failed with a 500 ("no votes to analyse")."""
    safe = TestClient(site.app, raise_server_exceptions=False)
    safe.cookies.update(site.admin.cookies)
    response = safe.get(f"/api/conversations/{site.conversation}/export")
    assert response.status_code == 200, response.text
    files = read_zip(response.content)
    assert f"{site.conversation}/comments.csv" in files
    assert len(csv_rows(files[f"{site.conversation}/comments.csv"])) == 4
    assert csv_rows(files[f"{site.conversation}/votes.csv"]) == []


def test_export_is_public_unless_the_conversation_is_private(site):
    """Anyone may download a conversation's record to verify it; a private one stays with the moderators
    of its space (and the spaces above), its log's entries too."""
    url = f"/api/conversations/{site.conversation}/export"
    ok(site.person().vote(1), 201)
    assert TestClient(site.app).get(url).status_code == 200
    changed = ok(site.admin.patch(f"/api/conversations/{site.conversation}", json={"private": True},
                                  headers=site.headers))  # fmt: skip
    assert changed["private"] is True
    outsider, _ = moderator_of(site, "/x")
    above, _ = moderator_of(site, "/a", "moderator.of.a")
    before = snapshot(site.app)
    error_of(TestClient(site.app).get(url), 403, "forbidden", "private_record")
    error_of(TestClient(site.app).get(f"/api/conversations/{site.conversation}/log/entries"), 403, "forbidden")
    error_of(outsider.get(url), 403, "forbidden")
    assert above.get(url).status_code == 200
    assert above.get(f"/api/conversations/{site.conversation}/log/entries").status_code == 200
    # Its checkpoint and consistency proofs stay public (a witness watches them); a proof leaves the entry out.
    assert TestClient(site.app).get(f"/api/conversations/{site.conversation}/log/checkpoint").status_code == 200
    proof = ok(TestClient(site.app).get(f"/api/conversations/{site.conversation}/log/proof?entry=1"))
    assert proof["body"] is None and proof["proof"]
    assert ok(above.get(f"/api/conversations/{site.conversation}/log/proof?entry=1"))["body"]
    assert snapshot(site.app) == before
    ok(site.admin.patch(f"/api/conversations/{site.conversation}", json={"private": False}, headers=site.headers))
    assert TestClient(site.app).get(url).status_code == 200


def small_conversation_counts() -> tuple[int, int, int]:
    votes = csv_rows((SMALL_CONVERSATION / "votes.csv").read_bytes())
    comments = csv_rows((SMALL_CONVERSATION / "comments.csv").read_bytes())
    participants = {int(v["voter-id"]) for v in votes} | {int(c["author-id"]) for c in comments}
    shown = {int(c["comment-id"]) for c in comments if c["moderated"] != "-1"}
    current = {(v["voter-id"], v["comment-id"]) for v in votes}
    return len(shown), len(participants), len(current)


def test_importing_an_uploaded_polis_zip(site):
    space = site.spaces["/a/b/c"]["id"]
    upload = zip_folder(SMALL_CONVERSATION, prefix="london.youth.policing/")
    # A plain HTML form sends the CSRF token as a field.
    response = site.admin.post(
        f"/api/spaces/{space}/imports",
        files={"file": ("london.zip", upload)},
        data={"csrf_token": site.headers["X-CSRF-Token"]},
    )
    imported = ok(response, 201)
    statements, participants, votes = small_conversation_counts()
    assert imported["topic"] == "What is the best way to engage more young people in local scrutiny of policing?"
    assert (imported["statements"], imported["participants"], imported["votes"]) == (statements, participants, votes)
    assert imported["space_path"] == "/a/b/c"
    assert [c["id"] for c in ok(site.admin.get(f"/api/spaces/{space}"))["conversations"]] == [imported["id"]]
    # The import is analysed at once.
    results = ok(TestClient(site.app).get(f"/api/conversations/{imported['id']}/results"))
    assert results["vote_count"] > 0 and len(results["results"]["groups"]) >= 2
    # Imported participants have no token: nobody can vote as them, and new participants get new numbers.
    newcomer = site.person(imported["id"])
    assert newcomer.number > max(int(v["voter-id"]) for v in csv_rows((SMALL_CONVERSATION / "votes.csv").read_bytes()))
    number = newcomer.next()["statement"]["number"]
    ok(newcomer.vote(number), 201)
    # The statements keep their Pol.is numbers, from 0 (a new conversation numbers from 1); the next one
    # written continues after the last.
    source = {int(c["comment-id"]) for c in csv_rows((SMALL_CONVERSATION / "comments.csv").read_bytes())}
    source |= {int(v["comment-id"]) for v in csv_rows((SMALL_CONVERSATION / "votes.csv").read_bytes())}
    assert min(source) == 0
    listed = ok(site.admin.get(f"/api/conversations/{imported['id']}/statements", params={"status": "all"}))
    assert [s["number"] for s in listed] == sorted(source)
    assert site.seed(imported["id"], "Written after the import") == [max(source) + 1]


def test_bad_uploads_are_422_and_store_nothing(site, tmp_path):
    space = site.spaces["/x"]["id"]
    bad_votes = io.BytesIO()
    with zipfile.ZipFile(bad_votes, "w") as archive:
        archive.writestr("votes.csv", "timestamp,comment-id,voter-id,vote\n1,2,3,seven\n")
        archive.writestr("comments.csv", (SMALL_CONVERSATION / "comments.csv").read_text())
    no_csv = io.BytesIO()
    with zipfile.ZipFile(no_csv, "w") as archive:
        archive.writestr("readme.txt", "nothing here")
    outsider, headers = moderator_of(site, "/a")
    before = snapshot(site.app)
    for name, data in [
        ("notes.txt", b"this is not a zip"),
        ("empty.zip", b""),
        ("bad.zip", bad_votes.getvalue()),
        ("nocsv.zip", no_csv.getvalue()),
    ]:
        detail = error_of(
            site.admin.post(f"/api/spaces/{space}/imports", files={"file": (name, data)}, headers=site.headers),
            422,
            "invalid",
        )
        assert "/tmp" not in detail["message"]  # no server paths in messages
    error_of(site.admin.post(f"/api/spaces/{space}/imports", headers=site.headers), 422, "invalid")
    error_of(
        outsider.post(
            f"/api/spaces/{space}/imports", files={"file": ("x.zip", zip_folder(SMALL_CONVERSATION))}, headers=headers
        ),
        403,
        "forbidden",
    )
    assert snapshot(site.app) == before
