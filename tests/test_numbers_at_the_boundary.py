"""Numbers are checked where they come in: NaN, Infinity and -Infinity (which Python's json reads from a
body, and 1e999, which it reads as infinity) are refused everywhere a number is taken — every decision
rule's and every rule across places' parameters, a place's weight and population, a budget's amounts,
every other number of a request body — with 422 and the field's limits in the message, and nothing is
stored; the pages' forms refuse "nan", "inf" and "1e999" beside the field; the CLI ends with exit code 2
and one line. (NaN compares false with everything, so it once passed every range check: stored with 200
on SQLite, 500 on PostgreSQL, and a bare NaN in the results JSON.)

API tests on SQLite and on PostgreSQL; page tests on SQLite (as the other page tests)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import dataclass
from types import UnionType
from typing import Annotated, Union, get_args, get_origin

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from api_helpers import error_of, ok, snapshot
from concord.engine.decisions import PLACE_RULES, RULES, Param
from concord.store.models import (
    Budget,
    BudgetProject,
    Conversation,
    Invitation,
    LogEntry,
    ReportedTally,
    Space,
    SpaceProposal,
)
from concord.web import schemas
from conftest import ROOT
from page_helpers import Site as PageSite
from page_helpers import page, post, redirected

# A JSON literal, and how the refusal names the value (json reads 1e999 as infinity).
LITERALS = {"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf", "1e999": "inf"}
DEMO = ROOT / "src" / "concord" / "demo" / "scoop-hivemind.taxes"


@dataclass(frozen=True)
class Case:
    """One number of one request: ``body`` is its JSON with ``%s`` where the number goes; ``says`` what
    the refusal must say, with ``{value}`` for how it names the number."""

    name: str
    method: str
    path: str
    body: str
    says: str
    reason: str = "invalid"


def rule_cases(rules: dict, method: str, path: str, body: str, refusal: str) -> list[Case]:
    """Every parameter of every rule, with the limits the engine declares for it."""
    cases = []
    for rule, made in rules.items():
        for name, param in made.parameters.items():
            spec = json.dumps({"name": rule, "parameters": {name: 0}}).replace(": 0}}", ": %s}}")
            cases.append(Case(f"{rule}.{name}", method, path, body.replace("RULE", spec),
                              f"{refusal}: {rule}: {name} must be {expected(param)}", "rule_invalid"))  # fmt: skip
    return cases


def expected(param: Param) -> str:
    if param.kind in (int, float):
        low = f"{param.low:g}" if param.low is not None else "-inf"
        high = f"{param.high:g}" if param.high is not None else "inf"
        return f"a number between {low} and {high}, not {{value}}"
    if param.choices:
        return f"one of {', '.join(param.choices)}"
    return "a text, not {value}" if param.kind is str else "a list of texts, not {value}"


AMOUNT = 'an amount is a whole number or a decimal text such as "1250.50", more than 0 and at most '
AMOUNT += "1,000,000,000,000,000, not {value}"
CONVERSATION_RULE = "this decision rule cannot be used so"


def cases() -> list[Case]:
    rule_body = '{"rule": RULE}'
    found = rule_cases(RULES, "PUT", "/api/spaces/{a}/decision-rule", rule_body, CONVERSATION_RULE)
    found += rule_cases(RULES, "PATCH", "/api/conversations/{c}", '{"decision_rule": RULE}', CONVERSATION_RULE)
    found += rule_cases(RULES, "POST", "/api/spaces/{b}/conversations", '{"topic": "Roads", "decision_rule": RULE}',
                        CONVERSATION_RULE)  # fmt: skip
    found += rule_cases(PLACE_RULES, "POST", "/api/spaces/{a}/proposals", '{"text": "Open the dam", "rule": RULE}',
                        "this rule across places cannot be used so")  # fmt: skip
    each_place = '{"text": "Open the dam", "rule": {"name": "all-places"}, "decision_rule": RULE}'  # its own rule
    found += rule_cases(RULES, "POST", "/api/spaces/{a}/proposals", each_place, CONVERSATION_RULE)
    found += [
        Case("weight", "PUT", "/api/spaces/{b}/place", '{"weight": %s}',
             "weight: must be a number from 0 to 1,000, not {value}"),
        Case("population", "PUT", "/api/spaces/{b}/place", '{"weight": 1, "population": %s}',
             "population: must be a number of at least 0, not {value}"),
        Case("budget amount", "POST", "/api/spaces/{b}/budgets", '{"name": "Wells", "amount": %s}',
             f"amount: {AMOUNT}"),
        Case("budget max_cost", "POST", "/api/spaces/{b}/budgets", '{"name": "Wells", "amount": 10, "max_cost": %s}',
             f"max_cost: {AMOUNT}"),
        Case("budget max_projects", "POST", "/api/spaces/{b}/budgets",
             '{"name": "Wells", "amount": 10, "max_projects": %s}', "max_projects: must be a number from 1 to 500"),
        Case("budget opens_ms", "POST", "/api/spaces/{b}/budgets", '{"name": "Wells", "amount": 10, "opens_ms": %s}',
             "opens_ms: must be a number of at least 0, not {value}"),
        Case("changed amount", "PATCH", "/api/budgets/{budget}", '{"amount": %s}', f"amount: {AMOUNT}"),
        Case("project cost", "POST", "/api/budgets/{budget}/projects", '{"name": "Well", "cost": %s}',
             f"cost: {AMOUNT}"),
        Case("project latitude", "POST", "/api/budgets/{budget}/projects",
             '{"name": "Well", "cost": 5, "latitude": %s}', "latitude: must be a number from -90 to 90, not {value}"),
        Case("changed longitude", "PATCH", "/api/budgets/{budget}/projects/1", '{"longitude": %s}',
             "longitude: must be a number from -180 to 180, not {value}"),
        Case("changed cost", "PATCH", "/api/budgets/{budget}/projects/1", '{"cost": %s}', f"cost: {AMOUNT}"),
        Case("split part", "POST", "/api/budgets/{budget}/split", '{"mode": "formula", "parts": {"equal": %s}}',
             "parts.equal: must be a number from 0 to 1, not {value}"),
        Case("ballot project", "PUT", "/api/budgets/{budget}/ballot", '{"projects": [1, %s]}',
             "projects.1: must be a number from 0 to 2,147,483,647, not {value}"),
        Case("tally", "POST", "/api/spaces/{a}/proposals/1/tallies", '{"space_id": PLACE, "agree": %s, "disagree": 1}',
             "agree: must be a number from 0 to 1,000,000,000, not {value}"),
        Case("vote", "POST", "/api/conversations/{c}/votes", '{"statement": %s, "vote": "agree"}',
             "statement: must be a number from 0 to 2,147,483,647, not {value}"),
        Case("invitations", "POST", "/api/conversations/{c}/invitations", '{"count": %s}',
             "count: must be a number from 1 to 1,000, not {value}"),
        Case("statement length", "PATCH", "/api/conversations/{c}", '{"max_statement_length": %s}',
             "max_statement_length: must be a number from 20 to 1,000, not {value}"),
        Case("parent space", "POST", "/api/spaces", '{"slug": "new", "name": "New", "parent_id": %s}',
             "parent_id: must be a number from 0 to 2,147,483,647, not {value}"),
    ]  # fmt: skip
    return found


def everything(app) -> dict:
    """What a refused request must leave as it was: every table's rows, the rules, weights and
    populations of the spaces, the budgets' amounts, and the length of every log (every change is an
    entry)."""
    with app.state.concord.sessions.begin() as session:
        counted = (Budget, BudgetProject, SpaceProposal, ReportedTally, Invitation, LogEntry)
        return {
            **snapshot(app),
            **{model.__tablename__: session.scalar(select(func.count()).select_from(model)) for model in counted},
            "spaces": [
                (space.path, json.dumps(space.decision_rule, sort_keys=True), space.weight, space.population)
                for space in session.scalars(select(Space).order_by(Space.id))
            ],
            "rules": [json.dumps(rule, sort_keys=True) for rule in session.scalars(select(Conversation.decision_rule))],
            "budgets": session.execute(select(Budget.amount, Budget.ballot).order_by(Budget.id)).all(),
            "projects": session.execute(
                select(BudgetProject.cost, BudgetProject.latitude, BudgetProject.longitude).order_by(BudgetProject.id)
            ).all(),
        }


@pytest.mark.parametrize("literal", list(LITERALS))
def test_every_number_of_the_api_refuses_nan_and_infinity_with_its_limits_and_stores_nothing(site, literal):
    made = site.admin.post(f"/api/spaces/{site.spaces['/a/b']['id']}/budgets",
                           json={"name": "Wells", "amount": "100000"}, headers=site.headers)  # fmt: skip
    budget = ok(made, 201)["id"]
    project = {"name": "Well", "cost": "500"}
    ok(site.admin.post(f"/api/budgets/{budget}/projects", json=project, headers=site.headers), 201)
    ids = {"a": site.spaces["/a"]["id"], "b": site.spaces["/a/b"]["id"], "c": site.conversation, "budget": budget}
    headers = {**site.headers, "content-type": "application/json"}
    before = everything(site.app)
    wrong = []
    for case in cases():
        body = case.body.replace("PLACE", str(ids["b"])) % literal
        response = site.admin.request(case.method, case.path.format(**ids), content=body, headers=headers)
        if response.status_code != 422:
            wrong.append(f"{case.name}: {response.status_code} {response.text[:200]}")
            continue
        detail = error_of(response, 422, "invalid", case.reason)
        if case.says.format(value=LITERALS[literal]) not in detail["message"]:
            wrong.append(
                f"{case.name}: {detail['message']!r} does not say {case.says.format(value=LITERALS[literal])!r}"
            )
    assert not wrong, "\n".join(wrong)
    assert everything(site.app) == before
    assert site.admin.get(f"/api/conversations/{site.conversation}").json()["effective_rule"]["name"] == "mutual-veto"


def test_an_amount_written_as_nan_or_infinity_is_refused_with_its_limits(site):
    before = everything(site.app)
    for text in ("NaN", "nan", "Infinity", "-Infinity", "inf", "1e999", "1e3"):
        refused = site.admin.post(f"/api/spaces/{site.spaces['/a/b']['id']}/budgets",
                                  json={"name": "Wells", "amount": text}, headers=site.headers)  # fmt: skip
        detail = error_of(refused, 422, "invalid", "not_money")
        assert "must be an amount more than 0 and at most 1000000000000000" in detail["message"], detail
    assert everything(site.app) == before


def numeric(annotation) -> bool:
    if get_origin(annotation) is Annotated:
        return numeric(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        return any(numeric(member) for member in get_args(annotation))
    return annotation in (int, float)


def request_bodies(model: type = schemas.Strict):
    for body in model.__subclasses__():
        yield body
        yield from request_bodies(body)


def test_every_number_field_of_every_request_body_refuses_nan_and_infinity_with_its_limits():
    """Any request body, those added later too, as long as it is a ``Strict`` one."""
    checked = set()
    for body in set(request_bodies()):
        for name, field in body.model_fields.items():
            if not numeric(field.annotation):
                continue
            for value in (math.nan, math.inf, -math.inf):
                with pytest.raises(ValidationError) as refused:
                    body.model_validate({name: value})
                said = [problem["msg"] for problem in refused.value.errors() if problem["loc"][:1] == (name,)]
                assert said and all(f"not {value}" in message for message in said), (body.__name__, name, said)
                assert any(limit in said[0] for limit in (" from ", " at least ", " at most ")), (body.__name__, said)
            checked.add(f"{body.__name__}.{name}")
    assert {"PlaceIn.weight", "PlaceIn.population", "BudgetIn.amount", "ProjectIn.latitude", "TallyIn.agree"} <= checked


# --- pages ----------------------------------------------------------------------------------------

TYPED = ("nan", "NaN", "inf", "-inf", "Infinity", "1e999")


def new_budget(site: PageSite) -> str:
    form = {"name": "Wells", "amount": "100000", "currency": "AFN", "ballot_type": "approval", "language": "en"}
    return redirected(post(site.admin, f"/spaces/{site.space_id}/budgets", access="link", **form), "/b/").split("/")[2]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_forms_refuse_nan_and_infinity_beside_the_field_and_store_nothing(app):
    site = PageSite(app)
    redirected(post(site.admin, "/spaces", parent_id=str(site.space_id), slug="west", name="West"), "/s/herat")
    west = site.admin.get("/api/spaces?path=/herat/west").json()[0]["id"]
    budget, shared = (new_budget(site) for _ in range(2))  # projects go to the first; the second is split
    redirected(post(site.admin, f"/b/{budget}/projects", name="Well", cost="500"), f"/b/{budget}/manage")
    before = everything(app)
    for typed in TYPED:
        forms = [
            (f"/c/{site.conversation}/rule", {"rule": "consensus", "consensus.threshold": typed},
             "consensus.threshold"),
            (f"/c/{site.conversation}/rule", {"rule": "concurrent-majority", "concurrent-majority.quota": typed},
             "concurrent-majority.quota"),
            (f"/spaces/{site.space_id}/rule", {"rule": "mutual-veto", "mutual-veto.veto": typed}, "mutual-veto.veto"),
            (f"/spaces/{site.space_id}/proposals", {"text": "Open the dam", "rule": "qualified-majority",
                                                    "qualified-majority.places": typed}, "qualified-majority.places"),
            (f"/spaces/{west}/place", {"weight": typed, "population": "", "above": str(site.space_id)}, "weight"),
            (f"/spaces/{west}/place", {"weight": "1", "population": typed, "above": str(site.space_id)}, "population"),
            (f"/spaces/{site.space_id}/budgets", {"name": "Roads", "amount": typed, "currency": "AFN",
                                                  "ballot_type": "approval", "language": "en", "access": "link"},
             "amount"),
            (f"/b/{budget}/projects", {"name": "School", "cost": typed}, "cost"),
            (f"/b/{shared}/split", {"mode": "formula", "equal": typed, "population": "0", "weight": "0"}, "equal"),
        ]  # fmt: skip
        for url, fields, field in forms:
            html = page(post(site.admin, url, **fields), 422)
            assert 'role="alert"' in html, (url, typed)
            assert f'-{field}-error"' in html, (url, typed)  # beside the field
            assert f"This is not a number: {typed}" in html or "must be an amount more than 0" in html, (url, typed)
    assert everything(app) == before


# --- the CLI --------------------------------------------------------------------------------------


def concord(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "concord", *args], capture_output=True, text=True, timeout=300)


def one_line_refusal(run: subprocess.CompletedProcess, says: str) -> None:
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 2 and run.stdout == "", run.stdout + run.stderr
    assert len(lines) == 1 and lines[0].startswith("concord: error: ") and says in lines[0], run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e999"])
def test_decide_refuses_a_parameter_that_is_no_number_with_one_line(tmp_path, value):
    shown = str(float(value))
    run = concord("decide", str(DEMO), "--rule", "majority", "--param", f"threshold={value}")
    one_line_refusal(run, f"majority: threshold must be a number between 0.5 and 1, not {shown}")
    tallies = tmp_path / "places.csv"
    tallies.write_text("space,weight,agree,disagree,population\nHerat,1,60,40,2000\nKabul,1,30,70,4000\n")
    run = concord("decide", "--tallies", str(tallies), "--rule", "qualified-majority", "--param", f"places={value}")
    one_line_refusal(run, f"qualified-majority: places must be a number between 0 and 1, not {shown}")


def test_a_budget_file_with_an_amount_too_large_to_compute_ends_with_one_line(tmp_path):
    path = tmp_path / "huge.pb"
    path.write_text("META\nkey;value\nbudget;1e999\nvote_type;approval\nPROJECTS\nproject_id;cost;name\n1;50;Well\n"
                    "2;30;School\nVOTES\nvoter_id;vote\nv1;1,2\nv2;2\n", encoding="utf-8")  # fmt: skip
    one_line_refusal(concord("budget", str(path)), "too large")
    path.write_text(path.read_text().replace("budget;1e999", "budget;nan"), encoding="utf-8")
    one_line_refusal(concord("budget", str(path)), "the budget must be a number, not 'nan'")
