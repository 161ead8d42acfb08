"""A pabulib import written in batches, on SQLite and PostgreSQL: other writes commit between its
batches, nothing of it shows before its last one, and it is all or nothing: a bad line refused before
anything is written, a failure half-way deleted again, an import whose process died swept away later."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from api_helpers import error_of, ok
from budget_helpers import as_pabulib, pabutools_outcomes
from concord.engine.budgets.synthetic import planted_budget
from concord.formats.pabulib import write_pabulib
from concord.service.budgets import files as budget_files
from concord.store.models import Budget, Log, LogEntry
from test_api_budgets import everything, pb_upload

VOTERS, BATCH = 23, 5  # five batches of voters


def pb_text() -> str:
    planted = planted_budget(VOTERS, 6, seed=4, costs=(20_000, 60_000))
    districts = {"district": [f"district {1 + g}" for g in planted.group_of_voter]}
    return write_pabulib(as_pabulib(planted.election, districts))


def stored(app) -> dict:
    """Every table a refused or failed import must leave as it was, the logs included."""
    with app.state.concord.sessions.begin() as session:
        logs = {
            "logs": session.scalar(select(func.count()).select_from(Log)),
            "log_entries": session.scalar(select(func.count()).select_from(LogEntry)),
        }
    return {**everything(app), **logs}


@pytest.fixture
def batches(monkeypatch):
    """Imports in batches of BATCH voters, without the pause; ``after`` runs after each of the import's
    transactions commits, ``fail_at`` makes that one fail (counted from 1)."""

    class Steps:
        count = 0
        after = staticmethod(lambda: None)
        fail_at: int | None = None

    original = budget_files._Import.step

    @contextmanager
    def step(self):
        Steps.count += 1
        if Steps.count == Steps.fail_at:
            raise RuntimeError("the database went away")
        with original(self) as connection:
            yield connection
        Steps.after()

    monkeypatch.setattr(budget_files, "BATCH", BATCH)
    monkeypatch.setattr(budget_files, "PAUSE", 0.0)
    monkeypatch.setattr(budget_files._Import, "step", step)
    return Steps


def test_an_import_commits_in_batches_hidden_until_the_last_while_others_vote(site, batches, tmp_path):
    space = site.spaces["/a/b"]["id"]
    person = site.person()
    seen = []

    def between() -> None:  # another conversation's vote commits between two batches; nothing shows yet
        ok(person.vote(site.seeds[len(seen) % 4], "agree" if len(seen) % 2 else "disagree"), 201)
        listed = ok(site.admin.get(f"/api/spaces/{space}/budgets"))
        page = site.admin.get("/s/a/b").text
        seen.append((len(listed), "synthetic election" in page))

    batches.after = between
    imported = ok(pb_upload(site, pb_text().encode()), 201)
    assert batches.count >= VOTERS // BATCH + 2  # voters in batches, then the answers, then showing it
    assert all(shown == (0, False) for shown in seen[:-1])  # only the last step shows it
    assert imported["ballots"] == VOTERS
    outcome = ok(TestClient(site.app).get(f"/api/budgets/{imported['id']}/outcome"))["outcome"]
    planted = planted_budget(VOTERS, 6, seed=4, costs=(20_000, 60_000))
    assert outcome["funded"] == pabutools_outcomes(planted.election)["decided"]
    assert {row["attribute"] for row in outcome["fairness"]} >= {"opinion group"}
    assert site.admin.get(f"/api/budgets/{imported['id']}/export.pb").text == pb_text()  # lossless still

    from concord.verify.exports import verify_budget_export
    from test_public_records import download, unpacked

    record = download(TestClient(site.app), f"/api/budgets/{imported['id']}/export", tmp_path / "b.zip")
    assert verify_budget_export(unpacked(record, tmp_path / "b")).outcome  # its log replays to its outcome


def test_a_bad_line_half_way_is_refused_before_anything_is_written(site, batches):
    lines = pb_text().splitlines()
    bad = len(lines) - 5
    cells = lines[bad].split(";")
    lines[bad] = ";".join([cells[0], "99", *cells[2:]])  # a vote for a project not in PROJECTS
    before = stored(site.app)
    detail = error_of(pb_upload(site, ("\n".join(lines) + "\n").encode()), 422)
    assert f"line {bad + 1}: a vote for project 99" in detail["message"]
    assert batches.count == 0 and stored(site.app) == before


def test_an_import_that_fails_half_way_leaves_nothing(site, batches):
    before = stored(site.app)
    batches.fail_at = 3
    with pytest.raises(RuntimeError, match="went away"):
        pb_upload(site, pb_text().encode())
    assert stored(site.app) == before


def test_an_import_whose_process_died_stays_hidden_and_is_swept_away(site, batches, monkeypatch):
    runtime = site.app.state.concord
    before = stored(site.app)
    monkeypatch.setattr(budget_files._Import, "abandon", lambda self: None)  # it died: nobody deletes
    batches.fail_at = 3
    with pytest.raises(RuntimeError):
        pb_upload(site, pb_text().encode())
    with runtime.transaction() as session:
        hidden = session.scalars(select(Budget).where(Budget.importing_until.is_not(None))).one()
        public_id, conversation = hidden.public_id, hidden.conversation.public_id
    error_of(TestClient(site.app).get(f"/api/budgets/{public_id}"), 404)
    error_of(TestClient(site.app).get(f"/api/conversations/{conversation}"), 404)
    assert ok(site.admin.get(f"/api/spaces/{site.spaces['/a/b']['id']}/budgets")) == []
    assert conversation not in site.admin.get("/s/a/b").text
    assert not any(conversation in log["origin"] for log in ok(TestClient(site.app).get("/api/logs"))["logs"])
    assert budget_files.sweep_abandoned_imports(runtime) == 0  # its hold has not run out
    with runtime.transaction() as session:
        session.execute(update(Budget).where(Budget.public_id == public_id).values(importing_until=1))
    assert budget_files.sweep_abandoned_imports(runtime) == 1
    assert stored(site.app) == before


def test_the_ballots_read_again_for_writing_are_those_that_were_checked():
    """An import checks the file in one reading and writes its ballots from a second one: they must be
    the same ballots, in the same order, with the same project ids (quoted cells, CRLF lines)."""
    from concord.formats.pabulib import PabulibStream

    lines = pb_text().splitlines()
    text = "\r\n".join([*lines[:-1], '"' + '";"'.join(lines[-1].split(";")) + '"']) + "\r\n"
    checked: list[tuple[list[str], list[str]]] = []
    stream = PabulibStream(text.encode(), "f.pb")
    stream.check(lambda cells, chosen: checked.append((cells, chosen)))
    assert len(checked) == VOTERS and list(stream.votes()) == checked


CUMULATIVE = (
    """META
key;value
description;two playgrounds, one fits
country;Afghanistan
unit;Herat
instance;2027
num_projects;2
num_votes;10
budget;100
vote_type;cumulative
rule;equal-shares
PROJECTS
project_id;cost;name
A;60;Playground A
B;60;Playground B
VOTES
voter_id;vote;points
"""
    + "".join(f"v{i};A,B;1,2\n" for i in range(6))
    + "".join(f"v{i};A,B;2,1\n" for i in range(6, 10))
)


def test_an_imported_cumulative_budget_is_decided_by_its_points_on_the_server_and_by_verify(site, tmp_path):
    """Read as approvals the two playgrounds tie and "A" wins on its id; by points "B" has 16 to "A"'s
    14 and is funded. The server, ``concord budget`` and ``concord verify`` of the budget's record all
    decide it by the points, each voter paying by their points."""
    from test_public_records import anyone, download, verified

    imported = ok(pb_upload(site, CUMULATIVE.encode()), 201)
    outcome = ok(TestClient(site.app).get(f"/api/budgets/{imported['id']}/outcome"))["outcome"]
    assert outcome["funded"] == ["B"]
    [paid] = [item for item in outcome["explanation"] if item["project"] == "B"]
    assert paid["per_point"] == 3.75 and paid["per_supporter"] is None
    assert paid["payments"] == [{"points": 2, "voters": 6, "each": 7.5}, {"points": 1, "voters": 4, "each": 3.75}]

    record = download(anyone(site), f"/api/budgets/{imported['id']}/export", tmp_path / "budget.zip")
    assert "its outcome recomputes from each voter's latest ballot" in verified(str(record))
