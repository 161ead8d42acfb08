"""A budget's outcome is stored with the log size it is of and read as stored, on SQLite and PostgreSQL:
a second read touches no ballot, a log grown by entries the outcome does not read changes nothing, a new
ballot gives a new outcome, and while another process computes it again readers get the stored one, of
the log size it says."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from api_helpers import ok
from concord.service.budgets import outcomes as budget_outcomes
from concord.service.budgets.outcomes import claim, release
from test_api_budgets import add_projects, new_budget, vote, voter

BALLOTS = [[1, 2], [1, 3], [2, 4], [4], [1, 2, 3], [3, 4]]


class Statements:
    """The SQL statements run while it listens."""

    def __init__(self, engine) -> None:
        self.engine, self.seen = engine, []

    def __enter__(self) -> list[str]:
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self.seen

    def __exit__(self, *_) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, _connection, _cursor, statement, *_) -> None:
        self.seen.append(statement)


def reads_ballots(statements: list[str]) -> bool:
    return any("log_entries.body" in sql or "budget_ballots" in sql or "participants.published" in sql
               for sql in statements)  # fmt: skip


@pytest.fixture
def no_ballot_read(monkeypatch):
    """Reading the ballots from the log fails the test, while it is on."""

    def refused(*_args, **_kwargs):
        raise AssertionError("the ballots were read")

    class Switch:
        def on(self) -> None:
            monkeypatch.setattr(budget_outcomes, "_logged", refused)

        def off(self) -> None:
            monkeypatch.undo()

    return Switch()


def test_the_outcome_is_read_as_stored_until_a_ballot_changes_it(site, no_ballot_read):
    runtime = site.app.state.concord
    engine = runtime.sessions.kw["bind"]
    budget = new_budget(site)
    add_projects(site, budget)
    for chosen in BALLOTS:
        ok(vote(voter(site), budget, chosen))
    reader = TestClient(site.app)
    first = ok(reader.get(f"/api/budgets/{budget}/outcome"))  # computed, and stored
    assert first["outcome"]["voters"] == len(BALLOTS)

    no_ballot_read.on()
    with Statements(engine) as statements:
        assert ok(reader.get(f"/api/budgets/{budget}/outcome")) == first
        assert "results" in reader.get(f"/b/{budget}/results").text
    assert not reads_ballots(statements), statements

    # The log grows by entries the outcome does not read (someone joins the discussion): still stored.
    conversation = ok(site.admin.get(f"/api/budgets/{budget}"))["conversation"]
    site.person(conversation)
    with Statements(engine) as statements:
        grown = ok(reader.get(f"/api/budgets/{budget}/outcome"))
    assert not reads_ballots(statements), statements
    assert grown["outcome"] == first["outcome"] and grown["as_of"]["log_size"] > first["as_of"]["log_size"]
    found = budget_outcomes.budget_results(runtime, budget).served
    assert found is not None and found.current

    # A new ballot: a new outcome, computed once.
    no_ballot_read.off()
    ok(vote(voter(site), budget, [4]))
    second = ok(reader.get(f"/api/budgets/{budget}/outcome"))
    assert second["outcome"]["voters"] == len(BALLOTS) + 1 and second != first
    no_ballot_read.on()
    assert ok(reader.get(f"/api/budgets/{budget}/outcome")) == second


def test_while_another_process_computes_it_readers_get_the_stored_outcome_of_its_log_size(site, no_ballot_read):
    runtime = site.app.state.concord
    budget = new_budget(site)
    add_projects(site, budget)
    for chosen in BALLOTS:
        ok(vote(voter(site), budget, chosen))
    reader = TestClient(site.app)
    stored = ok(reader.get(f"/api/budgets/{budget}/outcome"))
    found = budget_outcomes.budget_results(runtime, budget)
    before = found.served
    assert before is not None and before.current
    ok(vote(voter(site), budget, [1]))
    with runtime.transaction() as session:
        assert claim(session.connection(), found.budget.id, "another server")  # it computes, from now on
        assert not claim(session.connection(), found.budget.id, "a third one")  # one at a time

    no_ballot_read.on()
    again = ok(reader.get(f"/api/budgets/{budget}/outcome"))  # not recomputed here, and says of what
    assert again["outcome"] == stored["outcome"] and stored["as_of"]["current"] is True
    assert again["as_of"] == {**stored["as_of"], "current": False}
    stale = budget_outcomes.budget_results(runtime, budget).served
    assert stale is not None and not stale.current and stale.log_size == before.log_size
    page = reader.get(f"/b/{budget}/results").text
    assert "Ballots have come in since this outcome was computed" in page

    no_ballot_read.off()
    with runtime.transaction() as session:
        release(session.connection(), found.budget.id, "another server")  # it stopped without storing
    fresh = budget_outcomes.budget_results(runtime, budget)
    assert fresh.served is not None and fresh.served.current and fresh.served.log_size > before.log_size
    assert fresh.report is not None and fresh.report["voters"] == len(BALLOTS) + 1
    assert "Ballots have come in since" not in reader.get(f"/b/{budget}/results").text


def test_closing_logs_the_stored_outcome_and_its_record_verifies(site, tmp_path, no_ballot_read):
    from concord.verify.exports import verify_budget_export
    from test_public_records import download, unpacked

    budget = new_budget(site)
    add_projects(site, budget)
    for chosen in BALLOTS:
        ok(vote(voter(site), budget, chosen))
    reader = TestClient(site.app)
    served = ok(reader.get(f"/api/budgets/{budget}/outcome"))["outcome"]
    no_ballot_read.on()  # closing logs the outcome stored: the ballots were read once, above
    ok(site.admin.post(f"/api/budgets/{budget}/close", headers=site.headers))
    assert ok(reader.get(f"/api/budgets/{budget}/outcome"))["outcome"] == served
    no_ballot_read.off()
    folder = unpacked(download(reader, f"/api/budgets/{budget}/export", tmp_path / "b.zip"), tmp_path / "b")
    assert verify_budget_export(folder).outcome
