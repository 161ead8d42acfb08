"""Points to share out (cumulative) and rankings (ordinal) through the JSON API: a budget made with
either ballot, ballots cast and changed within their rules, every wrong one refused with its reason and
nothing stored, and the outcome read from the points or the ranks: crafted budgets where they fund
another project than reading the same ballots as approvals does."""

from __future__ import annotations

from api_helpers import error_of, ok
from test_api_budgets import add_projects, everything, new_budget, pb_upload, voter

TWINS = [("Well in Injil", 60_000), ("Clinic beds", 60_000)]  # only one fits in 100,000


def put(person, budget: str, body: dict):
    return person.put(f"/api/budgets/{budget}/ballot", json=body)


def test_a_budget_of_points_needs_its_points_and_keeps_them_in_its_ballot(site):
    space = site.spaces["/a/b"]["id"]
    body = {"name": "Points", "amount": "100000", "ballot_type": "cumulative"}
    refused = error_of(site.admin.post(f"/api/spaces/{space}/budgets", json=body, headers=site.headers), 422)
    assert "points each voter shares out" in refused["message"]
    for most in (0, 1001, "5", True, 2.5):
        error_of(
            site.admin.post(f"/api/spaces/{space}/budgets", json={**body, "max_points": most}, headers=site.headers),
            422,
        )
    budget = new_budget(site, ballot_type="cumulative", max_points=10, max_projects=3)
    found = ok(site.admin.get(f"/api/budgets/{budget}"))
    assert found["ballot"] == {"type": "cumulative", "max_projects": 3, "max_cost": None, "max_points": 10}
    ranked = new_budget(site, ballot_type="ordinal", max_projects=2, max_points=10)  # points: only a points ballot's
    assert ok(site.admin.get(f"/api/budgets/{ranked}"))["ballot"] == {
        "type": "ordinal",
        "max_projects": 2,
        "max_cost": None,
        "max_points": None,
    }
    approval = new_budget(site)
    assert ok(site.admin.get(f"/api/budgets/{approval}"))["ballot"]["max_points"] is None
    renamed = ok(site.admin.patch(f"/api/budgets/{budget}", json={"name": "Points 2027"}, headers=site.headers))
    assert renamed["ballot"]["max_points"] == 10
    spec = site.admin.get("/openapi.json").json()["components"]["schemas"]
    assert "max_points" in spec["BudgetIn"]["properties"]
    assert {"projects", "points", "ranks"} <= set(spec["BallotIn"]["properties"])
    assert "points" in spec["BallotOut"]["properties"]


def test_points_are_cast_changed_and_read_back_by_project(site):
    budget = new_budget(site, ballot_type="cumulative", max_points=10)
    add_projects(site, budget)
    person = voter(site)
    cast = ok(put(person, budget, {"projects": [3, 1], "points": [6, 4]}))
    assert cast["projects"] == [1, 3] and cast["points"] == [4, 6]
    ok(put(person, budget, {"projects": [2], "points": [10]}))
    mine = ok(person.get(f"/api/budgets/{budget}/ballot"))
    assert mine["projects"] == [2] and mine["points"] == [10]
    assert ok(put(person, budget, {"projects": []}))["points"] == []  # a blank ballot
    assert ok(site.admin.get(f"/api/budgets/{budget}"))["ballots"] == 1


def test_wrong_points_are_refused_with_their_reason_and_nothing_is_stored(site):
    budget = new_budget(site, ballot_type="cumulative", max_points=10, max_projects=2)
    add_projects(site, budget)
    approval = new_budget(site, name="Approval")
    add_projects(site, approval)
    someone = voter(site)
    ok(put(someone, budget, {"projects": [1], "points": [3]}))
    before = everything(site.app)
    for body, reason in [
        ({"projects": [1, 2], "points": [6, 5]}, "over_points"),
        ({"projects": [1, 2], "points": [3, 0]}, "bad_points"),
        ({"projects": [1], "points": [-2]}, "bad_points"),
        ({"projects": [1, 2], "points": [3]}, "points_mismatch"),
        ({"projects": [1, 2]}, "points_mismatch"),
        ({"projects": [1, 1], "points": [2, 2]}, None),
        ({"projects": [9], "points": [2]}, "unknown_project"),
        ({"projects": [1, 2, 3], "points": [1, 1, 1]}, "too_many_projects"),
        ({"projects": [1], "points": [2], "ranks": [1]}, "no_ranks"),
    ]:
        error_of(put(someone, budget, body), 422, reason=reason)
    error_of(put(someone, approval, {"projects": [1], "points": [1]}), 422, reason="no_points")
    error_of(put(someone, budget, {"projects": [1], "points": [True]}), 422)
    error_of(put(someone, budget, {"projects": [1], "points": ["3"]}), 422)
    error_of(put(someone, budget, {"projects": [1], "points": [2.5]}), 422)
    assert everything(site.app) == before
    assert ok(someone.get(f"/api/budgets/{budget}/ballot"))["points"] == [3]


def test_a_ranking_is_cast_by_ranks_or_in_order_and_wrong_ones_are_refused(site):
    budget = new_budget(site, ballot_type="ordinal", max_projects=3)
    add_projects(site, budget)
    approval = new_budget(site, name="Approval")
    add_projects(site, approval)
    person = voter(site)
    assert ok(put(person, budget, {"projects": [1, 3, 4], "ranks": [2, 3, 1]}))["projects"] == [4, 1, 3]
    assert ok(put(person, budget, {"projects": [2, 1]}))["projects"] == [2, 1]  # the order is the ranking
    assert ok(person.get(f"/api/budgets/{budget}/ballot")) | {"updated_ms": 0} == {
        "projects": [2, 1],
        "points": None,
        "updated_ms": 0,
    }
    before = everything(site.app)
    for body, reason in [
        ({"projects": [1, 2], "ranks": [1, 1]}, "repeated_rank"),
        ({"projects": [1, 2], "ranks": [1, 3]}, "rank_gap"),
        ({"projects": [1, 2], "ranks": [2, 3]}, "rank_gap"),
        ({"projects": [1], "ranks": [0]}, "bad_rank"),
        ({"projects": [1, 2], "ranks": [1]}, "ranks_mismatch"),
        ({"projects": [1, 1], "ranks": [1, 2]}, None),
        ({"projects": [1, 9], "ranks": [1, 2]}, "unknown_project"),
        ({"projects": [1, 2, 3, 4], "ranks": [1, 2, 3, 4]}, "too_many_projects"),
        ({"projects": [1], "points": [1]}, "no_points"),
    ]:
        error_of(put(person, budget, body), 422, reason=reason)
    error_of(put(person, approval, {"projects": [1], "ranks": [1]}), 422, reason="no_ranks")
    assert everything(site.app) == before


def funded(site, budget: str) -> list[str]:
    return ok(site.admin.get(f"/api/budgets/{budget}/outcome"))["outcome"]["funded"]


def test_points_and_ranks_fund_what_their_voters_meant_not_what_approvals_would(site):
    """Two projects of the same cost, one fits: every voter chooses both. Read as approvals it is a tie,
    broken by project id (the first is funded); by points (4 to the second, 1 to the first) or by rank
    (the second first), the second is funded."""
    approval = new_budget(site, name="Approval")
    points = new_budget(site, name="Points", ballot_type="cumulative", max_points=5)
    ranks = new_budget(site, name="Ranks", ballot_type="ordinal")
    for budget in (approval, points, ranks):
        add_projects(site, budget, TWINS)
    for _ in range(4):
        ok(put(voter(site), approval, {"projects": [1, 2]}))
        ok(put(voter(site), points, {"projects": [1, 2], "points": [1, 4]}))
        ok(put(voter(site), ranks, {"projects": [1, 2], "ranks": [2, 1]}))
    assert funded(site, approval) == ["1"]
    assert funded(site, points) == ["2"]
    assert funded(site, ranks) == ["2"]
    # The points were logged with the ballots: the outcome follows them as the voters change them.
    for _ in range(5):
        ok(put(voter(site), points, {"projects": [1], "points": [5]}))
    assert funded(site, points) == ["1"]


def test_web_points_go_out_in_the_pabulib_file_come_back_in_it_and_verify(site, tmp_path):
    """A budget of points made on the web: its file says how many points each voter shares out and
    carries each ballot's points; imported again it keeps them and is decided the same; its record
    verifies (``concord verify`` reads the points from the log)."""
    from test_public_records import anyone, download, verified

    budget = new_budget(site, name="Points", ballot_type="cumulative", max_points=5)
    add_projects(site, budget, TWINS)
    for _ in range(4):
        ok(put(voter(site), budget, {"projects": [1, 2], "points": [1, 4]}))
    text = site.admin.get(f"/api/budgets/{budget}/export.pb").text
    assert "vote_type;cumulative" in text and "max_sum_points;5" in text
    assert "voter_id;vote;points" in text and ";1,2;1,4" in text
    again = ok(pb_upload(site, text.encode()), 201)
    assert again["ballot"]["type"] == "cumulative" and again["ballot"]["max_points"] == 5
    assert funded(site, again["id"]) == funded(site, budget) == ["2"]
    record = download(anyone(site), f"/api/budgets/{budget}/export", tmp_path / "points.zip")
    assert "its outcome recomputes from each voter's latest ballot" in verified(str(record))
