"""Participatory budgets through the JSON API, on SQLite and PostgreSQL: making one, its projects,
anonymous ballots within the ballot's rules, the outcome (pabutools' own, explained, with greedy beside
it and the fairness report), pabulib files in and out, and the split among the spaces below."""

from __future__ import annotations

from fractions import Fraction

from fastapi.testclient import TestClient
from sqlalchemy import select

from api_helpers import error_of, moderator_of, ok, snapshot, table_count
from budget_helpers import as_pabulib, pabutools_outcomes
from concord.engine.budgets.election import Election, Project, ballots_from_lists
from concord.engine.budgets.synthetic import planted_budget
from concord.formats.pabulib import parse_pabulib, write_pabulib
from concord.service.budgets import ballots, lookups
from concord.store.models import Budget, BudgetBallot, BudgetProject, Conversation

WELLS = [("Well in Injil", 40_000), ("School roof", 30_000), ("Clinic beds", 50_000), ("Road to Karukh", 60_000)]


def everything(app) -> dict:
    return {
        **snapshot(app),
        **{model.__tablename__: table_count(app, model) for model in (Budget, BudgetProject, BudgetBallot)},
    }


def new_budget(site, path: str = "/a/b", **settings) -> str:
    body = {"name": "Herat district budget 2027", "amount": "100000", "currency": "AFN", **settings}
    return ok(site.admin.post(f"/api/spaces/{site.spaces[path]['id']}/budgets", json=body, headers=site.headers), 201)[
        "id"
    ]


def add_projects(site, budget: str, projects=WELLS) -> list[int]:
    return [
        ok(
            site.admin.post(
                f"/api/budgets/{budget}/projects",
                json={"name": name, "cost": cost, "category": "water"},
                headers=site.headers,
            ),
            201,
        )["number"]
        for name, cost in projects
    ]


class Voter:
    """An API client voting anonymously: the first ballot joins it (it keeps the token the answer's
    cookie carries, and sends it as X-Participant-Token, as API clients do)."""

    def __init__(self, site) -> None:
        self.client = TestClient(site.app)
        self.headers: dict[str, str] = {}

    def put(self, url: str, **kwargs):
        response = self.client.put(url, headers=self.headers, **kwargs)
        token = self.client.cookies.get("concord_participant")
        if token and not self.headers:
            self.headers = {"X-Participant-Token": token}
        self.client.cookies.clear()
        return response

    def get(self, url: str):
        return self.client.get(url, headers=self.headers)

    def post(self, url: str, **kwargs):
        return self.client.post(url, headers=self.headers, **kwargs)


def voter(site) -> Voter:
    return Voter(site)


def vote(person: Voter, budget: str, projects: list[int], headers: dict | None = None):
    if headers:
        person.headers = headers
    return person.put(f"/api/budgets/{budget}/ballot", json={"projects": projects})


def admin(site, method: str, url: str, body=None):
    return getattr(site.admin, method)(url, **({"json": body} if body is not None else {}), headers=site.headers)


def test_voters_cast_ballots_and_the_outcome_is_pabutools_own_with_its_explanation(site):
    budget = new_budget(site)
    numbers = add_projects(site, budget)
    ballots = [[1, 2], [1, 3], [2, 4], [4], [1, 2, 3], [3, 4], [1], [2, 3]]
    for chosen in ballots:
        cast = ok(vote(voter(site), budget, chosen))
        assert cast["projects"] == sorted(chosen)
    found = ok(site.admin.get(f"/api/budgets/{budget}"))
    assert found["ballots"] == len(ballots) and found["state"] == "open" and len(found["projects"]) == 4
    outcome = ok(TestClient(site.app).get(f"/api/budgets/{budget}/outcome"))["outcome"]
    election = Election(
        Fraction(100_000),
        tuple(Project(str(n), Fraction(cost)) for n, (_, cost) in zip(numbers, WELLS)),
        ballots_from_lists([[n - 1 for n in chosen] for chosen in ballots], 4),
    )
    expected = pabutools_outcomes(election)
    assert outcome["funded"] == expected["decided"] and outcome["greedy"] == expected["greedy"]
    assert outcome["budget"] == 100_000 and outcome["voters"] == len(ballots)
    assert outcome["spent"] == sum(cost for n, (_, cost) in zip(numbers, WELLS) if str(n) in outcome["funded"])
    explained = {item["project"]: item for item in outcome["explanation"]}
    assert {item["name"] for item in outcome["explanation"]} == {name for name, _ in WELLS}
    for project in outcome["funded"]:
        assert explained[project]["how"] in ("equal-shares", "completion")
    assert {row["attribute"] for row in outcome["fairness"]} == {"opinion group"}
    # A voter changes their mind: one ballot each.
    changer = voter(site)
    ok(vote(changer, budget, [1]))
    ok(vote(changer, budget, [4]))
    assert ok(changer.get(f"/api/budgets/{budget}/ballot"))["projects"] == [4]
    assert ok(site.admin.get(f"/api/budgets/{budget}"))["ballots"] == len(ballots) + 1


def test_ballots_outside_the_rules_are_refused_and_nothing_is_stored(site):
    limited = new_budget(site, max_projects=2, max_cost="80000")
    add_projects(site, limited)
    single = new_budget(site, name="One well", ballot_type="choose-1")
    add_projects(site, single)
    someone = voter(site)
    ok(vote(someone, limited, [1]))  # joins; the refusals below must change nothing
    before = everything(site.app)
    for budget, chosen, reason in [
        (limited, [1, 2, 3], "too_many_projects"),
        (limited, [3, 4], "over_cost_limit"),  # 50,000 + 60,000
        (limited, [9], "unknown_project"),
        (limited, [1, 1], None),
        (single, [1, 2], "choose_one"),
        (single, [], "choose_one"),
    ]:
        error_of(vote(someone, budget, chosen), 422, reason=reason)
    error_of(someone.put(f"/api/budgets/{limited}/ballot", json={"projects": ["1"]}), 422)
    error_of(someone.put(f"/api/budgets/{limited}/ballot", json={"projects": [True]}), 422)
    assert everything(site.app) == before


def test_voting_happens_in_its_period_and_stops_when_closed(site):
    later = new_budget(site, opens_ms=4_000_000_000_000)  # in 2096
    add_projects(site, later)
    error_of(vote(voter(site), later, [1]), 409, reason="voting_not_open")
    assert ok(site.admin.get(f"/api/budgets/{later}"))["state"] == "not-yet"
    budget = new_budget(site)
    add_projects(site, budget)
    ok(vote(voter(site), budget, [1]))
    ok(site.admin.post(f"/api/budgets/{budget}/close", headers=site.headers))
    before = everything(site.app)
    error_of(vote(voter(site), budget, [1]), 409, reason="voting_closed")
    assert everything(site.app) == before  # nobody joined on the way
    error_of(admin(site, "patch", f"/api/budgets/{later}", {"opens_ms": 10, "closes_ms": 5}), 422)


def test_once_ballots_are_cast_the_money_and_the_projects_costs_stay(site):
    budget = new_budget(site)
    add_projects(site, budget)
    ok(vote(voter(site), budget, [1, 2]))
    before = everything(site.app)
    headers = site.headers
    error_of(
        site.admin.patch(f"/api/budgets/{budget}", json={"amount": 200000}, headers=headers),
        409,
        "conflict",
        "ballots_cast",
    )
    error_of(site.admin.patch(f"/api/budgets/{budget}/projects/1", json={"cost": 1}, headers=headers), 409)
    error_of(site.admin.delete(f"/api/budgets/{budget}/projects/1", headers=headers), 409)
    error_of(site.admin.post(f"/api/budgets/{budget}/projects", json={"name": "Late", "cost": 5}, headers=headers), 409)
    assert everything(site.app) == before
    renamed = ok(site.admin.patch(f"/api/budgets/{budget}/projects/1", json={"name": "Deep well"}, headers=headers))
    assert renamed["name"] == "Deep well" and renamed["cost"] == "40000"


def test_amounts_in_any_script_and_bad_ones_refused(site):
    budget = new_budget(site, amount="۲٬۵۰۰٬۰۰۰٫۵")  # 2,500,000.5 typed in Dari
    assert ok(site.admin.get(f"/api/budgets/{budget}"))["amount"] == "2500000.5"
    before = everything(site.app)
    space = site.spaces["/a/b"]["id"]
    for amount in ["0", "-5", "lots", "1.1234567", "1e9", True]:
        error_of(
            site.admin.post(f"/api/spaces/{space}/budgets", json={"name": "X", "amount": amount}, headers=site.headers),
            422,
        )
    for cost in ["0", "-1", ""]:
        error_of(
            site.admin.post(f"/api/budgets/{budget}/projects", json={"name": "X", "cost": cost}, headers=site.headers),
            422,
        )
    stranger = voter(site)
    error_of(stranger.post(f"/api/budgets/{budget}/projects", json={"name": "X", "cost": 5}), 401)
    other, headers = moderator_of(site, "/x")
    before = everything(site.app)
    error_of(other.post(f"/api/budgets/{budget}/projects", json={"name": "X", "cost": 5}, headers=headers), 403)
    assert everything(site.app) == before


def test_an_invitation_only_budget_needs_a_code_first(site):
    budget = new_budget(site, access="invite")
    add_projects(site, budget)
    error_of(vote(voter(site), budget, [1]), 401, reason="join_first")
    conversation = ok(site.admin.get(f"/api/budgets/{budget}"))["conversation"]
    codes = ok(
        site.admin.post(f"/api/conversations/{conversation}/invitations", json={"count": 1}, headers=site.headers), 201
    )
    invited = voter(site)
    joined = ok(
        invited.post(f"/api/conversations/{conversation}/participants", json={"invite_code": codes[0]["code"]}), 201
    )
    ok(vote(invited, budget, [2], {"X-Participant-Token": joined["token"]}))


# --- the 80/20 population, through the service and the API ------------------------------------------


def test_with_communities_of_80_and_20_percent_equal_shares_gives_the_minority_its_fifth(site):
    """Declared communities: 400 voters of the majority approve only its ten projects, 100 of the
    minority only theirs. The fairness report says greedy would give the minority nothing, equal shares
    about a fifth."""
    attributes = [{"name": "community", "options": ["majority", "minority"]}]
    budget = new_budget(site, amount="1000000", attributes=attributes)
    add_projects(site, budget, [(f"Majority project {i}", 100_000) for i in range(10)])
    add_projects(site, budget, [(f"Minority project {i}", 100_000) for i in range(10)])
    with site.app.state.concord.sessions.begin() as session:
        found = lookups.budget_by_public_id(session, budget)
        conversation = session.get(Conversation, found.conversation_id)
        from concord.service.participation import joining as participation

        for index in range(500):
            community = "majority" if index < 400 else "minority"
            person = participation.join(session, conversation, attributes={"community": community}).participant
            own = list(range(1, 11)) if community == "majority" else list(range(11, 21))
            ballots.record_ballot(session, found, person, [n for n in own if (n + index) % 4])  # each skips some
    outcome = ok(TestClient(site.app).get(f"/api/budgets/{budget}/outcome"))["outcome"]
    rows = {(row["attribute"], row["group"]): row for row in outcome["fairness"]}
    minority = rows["community", "minority"]
    assert minority["voter_share"] == 0.2 and minority["greedy"] == 0.0
    assert 0.15 <= minority["equal_shares"] <= 0.25
    assert sorted(row["group"] for (attribute, _), row in rows.items() if attribute == "opinion group") == ["A", "B"]


# --- pabulib files ------------------------------------------------------------------------------------


def pb_upload(site, data: bytes, path: str = "/a/b", headers=None):
    space = site.spaces[path]["id"]
    return site.admin.post(
        f"/api/spaces/{space}/budget-imports",
        content=data,
        headers={**(headers or site.headers), "Content-Type": "text/plain"},
    )


def test_a_pabulib_file_comes_in_with_its_voters_and_goes_out_again_unchanged(site):
    planted = planted_budget(400, 12, seed=3, costs=(20_000, 90_000))
    text = write_pabulib(
        as_pabulib(planted.election, {"district": [f"district {g + 1}" for g in planted.group_of_voter]})
    )
    imported = ok(pb_upload(site, text.encode()), 201)
    assert (
        imported["ballots"] == 400
        and len(imported["projects"]) == 12
        and imported["amount"] == str(planted.election.budget)
    )
    outcome = ok(TestClient(site.app).get(f"/api/budgets/{imported['id']}/outcome"))["outcome"]
    expected = pabutools_outcomes(planted.election)
    assert outcome["funded"] == expected["decided"] and outcome["greedy"] == expected["greedy"]
    assert {row["attribute"] for row in outcome["fairness"]} == {"opinion group", "district"}
    exported = site.admin.get(f"/api/budgets/{imported['id']}/export.pb")
    assert exported.status_code == 200
    assert exported.text == text  # lossless: field for field
    assert parse_pabulib(exported.content, "again.pb") == parse_pabulib(text.encode(), "first.pb")
    error_of(TestClient(site.app).get(f"/api/budgets/{imported['id']}/export.pb"), 401)


HEAD = "META\nkey;value\nbudget;10\nvote_type;approval\n"
BAD_FILES = [
    (
        HEAD.replace("budget;10", "budget;0") + "PROJECTS\nproject_id;cost\n1;5\nVOTES\nvoter_id;vote\n1;1\n",
        "line 3: the budget must be more than 0",
    ),
    (HEAD + "PROJECTS\nproject_id;cost\n1;-5\nVOTES\nvoter_id;vote\n1;1\n", "line 7: project 1 must cost more than 0"),
    (HEAD + "PROJECTS\nproject_id;cost\n1;5\nVOTES\nvoter_id;vote\n1;2\n", "line 10: a vote for project 2"),
    (
        HEAD + "max_length;1\nPROJECTS\nproject_id;cost\n1;5\n2;5\nVOTES\nvoter_id;vote\n1;1,2\n",
        "line 12: the ballot lists 2 projects, more than max_length 1",
    ),
    ("PROJECTS\nproject_id;cost\n1;5\n", "line 1: the sections are META, PROJECTS and VOTES"),
    # numbers bounded by their text: converting these would tie a worker up for seconds to minutes
    (
        HEAD.replace("budget;10", "budget;1e1000000") + "PROJECTS\nproject_id;cost\n1;5\nVOTES\nvoter_id;vote\n1;1\n",
        "line 3: the budget must have an exponent from -40 to 40",
    ),
    (
        HEAD + "PROJECTS\nproject_id;cost\n1;1e3000000\nVOTES\nvoter_id;vote\n1;1\n",
        "line 7: cost must have an exponent from -40 to 40",
    ),
    (
        HEAD + "num_votes;" + "9" * 5000 + "\nPROJECTS\nproject_id;cost\n1;5\nVOTES\nvoter_id;vote\n1;1\n",
        "line 5: num_votes must be a whole number",
    ),
    ("META\nkey;value\nbudget;10\n", "no PROJECTS section"),
]


def test_a_bad_pabulib_file_is_refused_naming_its_line_and_nothing_is_stored(site):
    before = everything(site.app)
    for text, message in BAD_FILES:
        detail = error_of(pb_upload(site, text.encode()), 422)
        assert message in detail["message"], (message, detail)
    error_of(pb_upload(site, b"\xff\xfe"), 422)
    stranger = voter(site)
    error_of(stranger.post(f"/api/spaces/{site.spaces['/a/b']['id']}/budget-imports", content=b"META\n"), 401)
    assert everything(site.app) == before


# --- the roll-up: a budget split among the spaces below ---------------------------------------------


def test_a_province_splits_its_budget_by_population_and_each_district_decides_its_own(site):
    for slug, population in (("d1", 120_000), ("d2", 60_000), ("d3", 20_000)):
        made = site.space(slug, "/a")
        ok(
            site.admin.put(
                f"/api/spaces/{made['id']}/place", json={"weight": 1, "population": population}, headers=site.headers
            )
        )
    ok(admin(site, "put", f"/api/spaces/{site.spaces['/a/b']['id']}/place", {"weight": 1, "population": 0}))
    province = new_budget(site, path="/a", amount="1000000.01")
    parts = ok(
        site.admin.post(f"/api/budgets/{province}/split", json={"mode": "population"}, headers=site.headers), 201
    )
    amounts = {part["space_path"]: Fraction(part["amount"]) for part in parts}
    assert sum(amounts.values()) == Fraction("1000000.01")  # to the cent
    assert amounts["/a/d1"] == Fraction("600000.01") and amounts["/a/d3"] == Fraction("100000")
    assert "/a/b" not in amounts  # a population of 0: no budget
    assert all(part["parent"] == province for part in parts)
    found = ok(site.admin.get(f"/api/budgets/{province}"))
    assert found["state"] == "split" and found["split"] == {"mode": "population", "parts": {"population": 1.0}}
    error_of(vote(voter(site), province, []), 409, reason="voting_closed")
    district = next(part["id"] for part in parts if part["space_path"] == "/a/d2")
    add_projects(site, district, WELLS[:2])
    ok(vote(voter(site), district, [1]))
    results = ok(TestClient(site.app).get(f"/api/budgets/{province}/outcome"))
    assert results["outcome"] is None and results["parts"][district]["funded"][0] == "1"


def test_a_split_by_formula_and_the_refusals(site):
    for slug, population in (("n1", 300), ("n2", 100)):
        made = site.space(slug, "/x")
        ok(
            site.admin.put(
                f"/api/spaces/{made['id']}/place", json={"weight": 1, "population": population}, headers=site.headers
            )
        )
    budget = new_budget(site, path="/x", amount="1000")
    before = everything(site.app)
    for body in [
        {"mode": "formula", "parts": {"equal": 0.5, "population": 0.6}},
        {"mode": "formula"},
        {"mode": "lottery"},
    ]:
        error_of(site.admin.post(f"/api/budgets/{budget}/split", json=body, headers=site.headers), 422)
    assert everything(site.app) == before
    parts = ok(
        site.admin.post(
            f"/api/budgets/{budget}/split",
            json={"mode": "formula", "parts": {"equal": 0.2, "population": 0.8}},
            headers=site.headers,
        ),
        201,
    )
    assert sorted(Fraction(part["amount"]) for part in parts) == [300, 700]  # 100 + 200 and 100 + 600
    error_of(site.admin.post(f"/api/budgets/{budget}/split", json={"mode": "equal"}, headers=site.headers), 409)
    leaf = new_budget(site, path="/a/b/c")
    error_of(site.admin.post(f"/api/budgets/{leaf}/split", json={"mode": "equal"}, headers=site.headers), 422)
    with site.app.state.concord.sessions.begin() as session:
        assert session.scalar(select(Budget.split).where(Budget.public_id == leaf)) is None
