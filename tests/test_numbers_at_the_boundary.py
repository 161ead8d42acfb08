"""Numbers are checked where they come in: NaN, Infinity and -Infinity (which Python's json reads from a
body, and 1e999, which it reads as infinity) are refused everywhere a number is taken — every decision
rule's and every rule across places' parameters, a place's weight and population, a budget's amounts,
every other number of a request body — with 422 and the field's limits in the message, and nothing is
stored; the pages' forms refuse "nan", "inf" and "1e999" beside the field; the CLI ends with exit code 2
and one line. (NaN compares false with everything, so it once passed every range check: stored with 200
on SQLite, 500 on PostgreSQL, and a bare NaN in the results JSON.)

Whole numbers are checked against their range, which the OpenAPI spec states for every one the API
takes (in a body, a path or a query) and which fits the column that keeps it: a budget's opens_ms of
2**63 once gave a 500 on both databases (its BIGINT column overflowed), and so did a tally typed into
the page's form beyond its INTEGER column on PostgreSQL.

API tests on SQLite and on PostgreSQL; page tests on SQLite (as the other page tests), but for the
numbers beyond their columns, on both."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import dataclass
from types import UnionType
from typing import Annotated, Union, get_args, get_origin

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import JSON, BigInteger, Integer, SmallInteger, String, func, select

from api_helpers import error_of, ok, snapshot
from concord.engine.decisions import PLACE_RULES, RULES, Param
from concord.store.models import (
    Budget,
    BudgetBallot,
    BudgetProject,
    Conversation,
    Invitation,
    Log,
    LogEntry,
    Participant,
    ReportedTally,
    Space,
    SpaceProposal,
    Statement,
    Translation,
)
from concord.web import schemas
from conftest import ROOT
from page_helpers import Site as PageSite
from page_helpers import csrf, page, post, redirected

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
             "opens_ms: must be a number from 0 to 9,007,199,254,740,991, not {value}"),
        Case("changed closes_ms", "PATCH", "/api/budgets/{budget}", '{"closes_ms": %s}',
             "closes_ms: must be a number from 0 to 9,007,199,254,740,991, not {value}"),
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


# --- whole numbers beyond their range --------------------------------------------------------------

INTEGER = 2**31 - 1  # the largest value of an INTEGER column (PostgreSQL's; SQLite's hold 64 bits)
BIGINT = 2**63 - 1
EXACT = 2**53 - 1  # the largest whole number every JSON reader keeps exactly (JavaScript's too)
# A JSON literal beyond every range, and how the refusal names it.
BEYOND = {
    "2**63": (str(2**63), "not 9223372036854775808"),
    "2**64": (str(2**64), "not 18446744073709551616"),
    "-2**63-1": (str(-(2**63) - 1), "not -9223372036854775809"),
    "5000 digits": ("9" * 5000, "not a number of 5,000 digits"),
}


def admin_without_raising(site) -> TestClient:
    """The administrator's client, answering a server error with its status rather than raising it."""
    safe = TestClient(site.app, raise_server_exceptions=False)
    safe.cookies.update(site.admin.cookies)
    return safe


def budget_times(site, budget: str) -> tuple:
    shown = ok(site.admin.get(f"/api/budgets/{budget}"))
    return shown["opens_ms"], shown["closes_ms"], shown["state"]


@pytest.mark.parametrize("literal", list(BEYOND))
def test_a_budget_time_beyond_its_range_is_refused_with_422_and_stores_nothing(site, literal):
    """opens_ms of 2**63 once overflowed the BIGINT column: a 500 on SQLite and on PostgreSQL, when
    the budget was made and when it was changed."""
    b = site.spaces["/a/b"]["id"]
    budget = ok(site.admin.post(f"/api/spaces/{b}/budgets", json={"name": "Wells", "amount": "100000"},
                                headers=site.headers), 201)["id"]  # fmt: skip
    safe = admin_without_raising(site)
    headers = {**site.headers, "content-type": "application/json"}
    number, named = BEYOND[literal]
    before, times = everything(site.app), budget_times(site, budget)
    wrong = []
    for method, url, body, field in [
        ("POST", f"/api/spaces/{b}/budgets", '{"name": "Wells", "amount": 10, "opens_ms": %s}', "opens_ms"),
        ("POST", f"/api/spaces/{b}/budgets", '{"name": "Wells", "amount": 10, "closes_ms": %s}', "closes_ms"),
        ("PATCH", f"/api/budgets/{budget}", '{"closes_ms": %s}', "closes_ms"),
        ("PATCH", f"/api/budgets/{budget}", '{"opens_ms": 1000, "closes_ms": %s}', "closes_ms"),
        ("PATCH", f"/api/budgets/{budget}", '{"opens_ms": %s}', "opens_ms"),
    ]:
        response = safe.request(method, url, content=body % number, headers=headers)
        if response.status_code != 422:
            wrong.append(f"{method} {url} {field}={literal}: {response.status_code} {response.text[:200]}")
            continue
        message = error_of(response, 422, "invalid")["message"]
        if literal == "5000 digits":  # Python's json reads no integer of more than 4,300 digits
            expected = "a number in the request body has more than 4,300 digits"
        else:
            expected = f"{field}: must be a whole number from 0 to 9,007,199,254,740,991, {named}"
        if expected not in message:
            wrong.append(f"{method} {url} {field}={literal}: {message!r} does not say {expected!r}")
    assert not wrong, "\n".join(wrong)
    assert everything(site.app) == before
    assert budget_times(site, budget) == times


def test_budget_times_up_to_their_limit_are_kept_exactly(site):
    """The limit is exact in every JSON reader and fits the BIGINT column, on both databases."""
    b = site.spaces["/a/b"]["id"]
    body = {"name": "Wells", "amount": "100000", "opens_ms": EXACT - 1, "closes_ms": EXACT}
    made = ok(site.admin.post(f"/api/spaces/{b}/budgets", json=body, headers=site.headers), 201)
    assert (made["opens_ms"], made["closes_ms"]) == (EXACT - 1, EXACT)
    assert budget_times(site, made["id"]) == (EXACT - 1, EXACT, "not-yet")
    changed = {"opens_ms": 0, "closes_ms": EXACT}
    ok(site.admin.patch(f"/api/budgets/{made['id']}", json=changed, headers=site.headers))
    assert budget_times(site, made["id"]) == (0, EXACT, "open")
    past = site.admin.patch(f"/api/budgets/{made['id']}", json={"closes_ms": EXACT + 1}, headers=site.headers)
    message = error_of(past, 422, "invalid")["message"]
    assert message == "closes_ms: must be a whole number from 0 to 9,007,199,254,740,991, not 9007199254740992"
    assert budget_times(site, made["id"]) == (0, EXACT, "open")


def test_ids_and_log_positions_beyond_their_range_are_refused_with_422(site):
    """Ids and numbers in a path, and log positions in a query, arrive as text of any length: beyond
    the column that keeps them they are refused with their range (they were a 404 at best)."""
    b = site.spaces["/a/b"]["id"]
    budget = ok(site.admin.post(f"/api/spaces/{b}/budgets", json={"name": "Wells", "amount": "100000"},
                                headers=site.headers), 201)["id"]  # fmt: skip
    c = site.conversation
    ids = [
        ("GET", "/api/spaces/{n}", None, "space_id"),
        ("GET", "/api/spaces/{n}/log/entries", None, "space_id"),
        ("POST", "/api/spaces/{n}/conversations", {"topic": "Roads"}, "space_id"),
        ("POST", f"/api/spaces/{b}/proposals/{{n}}/tallies", {"space_id": b, "agree": 1, "disagree": 1},
         "proposal_id"),
        ("PATCH", f"/api/conversations/{c}/statements/{{n}}", {"language": "en"}, "number"),
        ("POST", f"/api/conversations/{c}/statements/{{n}}/moderation", {"status": "accepted"}, "number"),
        ("POST", f"/api/conversations/{c}/statements/{{n}}/proposal", {"proposal": True}, "number"),
        ("POST", f"/api/conversations/{c}/translations/{{n}}/moderation", {"status": "accepted"}, "translation_id"),
        ("PATCH", f"/api/budgets/{budget}/projects/{{n}}", {"name": "Well"}, "number"),
        ("DELETE", f"/api/budgets/{budget}/projects/{{n}}", None, "number"),
    ]  # fmt: skip
    positions = [
        ("GET", f"/api/conversations/{c}/receipts?entry=1&entry={{n}}", "entry.1"),
        ("GET", f"/api/conversations/{c}/log/entries?start={{n}}", "start"),
        ("GET", f"/api/conversations/{c}/log/proof?entry={{n}}", "entry"),
        ("GET", f"/api/conversations/{c}/log/proof?entry=0&size={{n}}", "size"),
        ("GET", f"/api/spaces/{b}/log/consistency?first={{n}}", "first"),
        ("GET", f"/api/spaces/{b}/log/entries?count={{n}}", "count"),
    ]
    safe = admin_without_raising(site)
    before = everything(site.app)
    wrong = []
    for literal, (number, named) in BEYOND.items():
        requests = [(method, url, body, field, "0 to 2,147,483,647") for method, url, body, field in ids]
        requests += [(method, url, None, field, "") for method, url, field in positions]
        for method, url, body, field, limits in requests:
            response = safe.request(method, url.format(n=number), json=body, headers=site.headers)
            shown = f"{method} {url.format(n=literal)}"
            if response.status_code != 422:
                wrong.append(f"{shown}: {response.status_code} {response.text[:200]}")
                continue
            message = error_of(response, 422, "invalid")["message"]
            if not message.startswith(f"{field}: must be a whole number from {limits}") or named not in message:
                wrong.append(f"{shown}: {message!r} does not give the range of {field} and {named!r}")
    for method, url, body, field in ids:  # one past an INTEGER column
        response = safe.request(method, url.format(n=INTEGER + 1), json=body, headers=site.headers)
        if (
            response.status_code != 422
            or f"{field}: must be a whole number from 0 to 2,147,483,647, not 2147483648" not in response.text
        ):
            wrong.append(f"{method} {url.format(n=INTEGER + 1)}: {response.status_code} {response.text[:200]}")
    assert not wrong, "\n".join(wrong)
    assert everything(site.app) == before
    error_of(site.admin.get(f"/api/spaces/{INTEGER}"), 404, "not_found")  # within the range: unknown


def integers(spec: dict, node, where: str, seen: frozenset = frozenset()):
    """(where, schema) of every integer in a schema: through $refs, unions, lists, maps and objects;
    ``where`` names the property (Schema.property) or the parameter it is part of."""
    if isinstance(node, list):
        for item in node:
            yield from integers(spec, item, where, seen)
        return
    if not isinstance(node, dict):
        return
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[1]
        if name not in seen:
            yield from integers(spec, spec["components"]["schemas"][name], name, seen | {name})
        return
    if node.get("type") == "integer" or "integer" in (node.get("type") or []):
        yield where, node
    for key in ("anyOf", "oneOf", "allOf", "items", "additionalProperties", "prefixItems"):
        yield from integers(spec, node.get(key), where, seen)
    for name, schema in (node.get("properties") or {}).items():
        yield from integers(spec, schema, f"{where.split('.')[0]}.{name}", seen)


def taken(spec: dict):
    """Every integer the API takes: in a request body, a path or a query."""
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                for _, schema in integers(spec, parameter["schema"], f"{parameter['in']} {parameter['name']}"):
                    yield f"{method.upper()} {path}", f"{parameter['in']} {parameter['name']}", schema
            for content in (operation.get("requestBody") or {}).get("content", {}).values():
                for where, schema in integers(spec, content.get("schema"), "body"):
                    yield f"{method.upper()} {path}", where, schema


NOT_STORED = "not stored"  # a count asked for, or a position in a log (whose size is a BIGINT)
# Where each integer the API takes is kept: a column (a number in a JSON column, or an amount's digits
# in a text column, count as kept in it).
KEPT_IN = {
    "path space_id": Space.id,
    "path proposal_id": SpaceProposal.id,
    "path translation_id": Translation.id,
    "path number": (Statement.number, BudgetProject.number),
    "query entry": LogEntry.seq,
    "query start": LogEntry.seq,
    "query size": Log.size,
    "query first": Log.size,
    "query count": NOT_STORED,
    "SpaceIn.parent_id": Space.parent_id,
    "TallyIn.space_id": ReportedTally.space_id,
    "TallyIn.agree": ReportedTally.agree,
    "TallyIn.disagree": ReportedTally.disagree,
    "ConversationIn.max_statement_length": Conversation.max_statement_length,
    "ConversationPatch.max_statement_length": Conversation.max_statement_length,
    "SpaceProposalIn.max_statement_length": Conversation.max_statement_length,
    "ConversationIn.closes_ms": Conversation.closes_ms,
    "ConversationPatch.closes_ms": Conversation.closes_ms,
    "SpaceProposalIn.closes_ms": Conversation.closes_ms,
    "DecisionRuleIn.parameters": Conversation.decision_rule,
    "PlaceRuleIn.parameters": SpaceProposal.place_rule,
    "TranslationIn.statement": Statement.number,
    "VoteIn.statement": Statement.number,
    "BlocDecisionIn.participants": Participant.number,
    "InvitationsIn.count": NOT_STORED,
    "BudgetIn.amount": Budget.amount,
    "BudgetIn.max_cost": Budget.ballot,
    "BudgetIn.max_projects": Budget.ballot,
    "BudgetIn.opens_ms": Budget.opens_ms,
    "BudgetIn.closes_ms": Budget.closes_ms,
    "BudgetPatch.amount": Budget.amount,
    "BudgetPatch.max_cost": Budget.ballot,
    "BudgetPatch.max_projects": Budget.ballot,
    "BudgetPatch.opens_ms": Budget.opens_ms,
    "BudgetPatch.closes_ms": Budget.closes_ms,
    "ProjectIn.cost": BudgetProject.cost,
    "ProjectPatch.cost": BudgetProject.cost,
    "BallotIn.projects": (BudgetProject.number, BudgetBallot.projects),
    "BudgetIn.max_points": Budget.ballot,
    "BudgetPatch.max_points": Budget.ballot,
    "BallotIn.points": BudgetBallot.points,
    "BallotIn.ranks": BudgetBallot.projects,  # kept as the order of the projects
}


def column_range(column) -> tuple[int, int]:
    """What a column keeps, on both databases."""
    kind = column.type
    if isinstance(kind, SmallInteger):
        return -(2**15), 2**15 - 1
    if isinstance(kind, BigInteger):
        return -(2**63), BIGINT
    if isinstance(kind, Integer):
        return -(2**31), INTEGER
    if isinstance(kind, String):  # an exact amount's digits, as text
        return -(10 ** (kind.length - 1) - 1), 10**kind.length - 1
    if isinstance(kind, JSON):
        return -EXACT, EXACT
    raise AssertionError(f"{column}: no whole number is kept in a {kind!r} column")


def test_every_integer_the_api_takes_states_its_range_and_fits_its_column(app):
    """Every integer of every request body, path and query, those added later too: its minimum and
    maximum are in the spec (exact whole numbers, as clients read them), and within the range of
    the column it is kept in (a new one must say where, in KEPT_IN)."""
    spec = TestClient(app).get("/openapi.json").json()
    wrong, found = [], set()
    for operation, where, schema in taken(spec):
        found.add(where)
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is None or high is None:
            wrong.append(f"{operation} {where}: no range stated: {schema}")
            continue
        if float(low) != int(low) or float(high) != int(high) or not -(2**63) <= low <= high <= BIGINT:
            wrong.append(f"{operation} {where}: {low} to {high} are no whole numbers a BIGINT keeps")
            continue
        if where not in KEPT_IN:
            wrong.append(f"{operation} {where}: {low} to {high}, kept where? (add it to KEPT_IN)")
            continue
        kept = KEPT_IN[where]
        for column in () if kept == NOT_STORED else kept if isinstance(kept, tuple) else (kept,):
            least, most = column_range(column)
            if not least <= low <= high <= most:
                wrong.append(f"{operation} {where}: {low} to {high} does not fit {column} ({least} to {most})")
    assert not wrong, "\n".join(wrong)
    assert {"BudgetIn.opens_ms", "BudgetPatch.closes_ms", "path space_id", "query entry", "VoteIn.statement"} <= found
    assert not set(KEPT_IN) - found, f"in KEPT_IN, but taken nowhere: {set(KEPT_IN) - found}"


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


def test_the_forms_refuse_numbers_beyond_their_columns_with_a_message_and_store_nothing(app):
    """On both databases: a tally of 2**40 votes typed into the page's form once overflowed its INTEGER
    column on PostgreSQL (and 2**63 on SQLite), and a statement "number" such as ² in the address of
    the translation form was a 500."""
    site = PageSite(app)
    safe = TestClient(app, raise_server_exceptions=False)
    safe.cookies.update(site.admin.cookies)
    herat = "/s/herat"
    redirected(post(site.admin, "/spaces", parent_id=str(site.space_id), slug="east", name="East"), herat)
    east = site.admin.get("/api/spaces?path=/herat/east").json()[0]["id"]
    put = post(site.admin, f"/spaces/{site.space_id}/proposals", text="Open the dam", rule="places-quota",
               **{"places-quota.quota": "1"})  # fmt: skip
    proposal = redirected(put, herat).split("-")[-1]
    budget = new_budget(site)
    redirected(post(site.admin, f"/b/{budget}/projects", name="Well", cost="500"), f"/b/{budget}/manage")
    made = post(site.admin, f"/spaces/{site.space_id}/conversations", topic="Codes", access="invite")
    invited = redirected(made, "/c/").split("/")[2]  # its desk has the form that makes invitation codes
    before = everything(app)
    c, wrong = site.conversation, []
    for number in (str(2**31), str(2**40), str(2**63), str(2**64), str(-(2**63) - 1), "9" * 5000):
        tally = f"/spaces/{site.space_id}/proposals/{proposal}/tallies"
        typed = [  # a number typed into a field: refused beside it
            (tally, {"place": str(east), "agree": number, "disagree": "1"}, "agree"),
            (tally, {"place": str(east), "agree": "1", "disagree": number}, "disagree"),
            (f"/c/{invited}/invitations", {"count": number}, "count"),
            (f"/c/{c}/settings", {"topic": "Water", "max_statement_length": number}, "max_statement_length"),
            (f"/spaces/{site.space_id}/conversations", {"topic": "Roads", "max_statement_length": number},
             "max_statement_length"),
            (f"/b/{budget}/settings", {"name": "Wells", "amount": "100000", "max_projects": number}, "max_projects"),
        ]  # fmt: skip
        for url, fields, field in typed:
            response = post(safe, url, **fields)
            if response.status_code != 422 or f'-{field}-error"' not in response.text:
                wrong.append(f"{url} {field}={number[:30]}: {response.status_code} {response.text[:200]}")
        others = [  # ids in addresses and hidden fields, and the statement in the address of a translation
            ("POST", f"/spaces/{site.space_id}/proposals/{number}/tallies", {"place": str(east), "agree": "1",
                                                                             "disagree": "1"}),
            ("POST", tally, {"place": number, "agree": "1", "disagree": "1"}),
            ("POST", "/spaces", {"parent_id": number, "slug": "west", "name": "West"}),
            ("POST", f"/c/{c}/vote", {"statement": number, "vote": "agree"}),
            ("POST", f"/c/{c}/moderation/{number}", {"status": "accepted"}),
            ("POST", f"/c/{c}/proposals/{number}", {"proposal": "true"}),
            ("GET", f"/c/{c}/translate/{number}", None),
            ("POST", f"/c/{c}/translate/{number}", {"language": "ps", "text": "Wells"}),
            ("POST", f"/c/{c}/statements/{number}/language", {"language": "ps"}),
            ("POST", f"/c/{c}/translations/{number}/decision", {"status": "accepted"}),
            ("POST", f"/b/{budget}/ballot", {"project": number}),
            ("POST", f"/b/{budget}/projects/{number}", {"name": "Well", "cost": "5"}),
            ("GET", f"/spaces/{number}/budgets/new", None),
        ]  # fmt: skip
        for what in ("²", "٣", "9999999999"):
            others.append(("GET", f"/c/{c}/translate/{what}", None))
        for method, url, fields in others:
            response = safe.request(method, url, data={**fields, "csrf_token": csrf(safe)} if fields else None,
                                    follow_redirects=False)  # fmt: skip
            shown = response.status_code == 303 or response.headers.get("content-type", "").startswith("text/html")
            if response.status_code >= 500 or not shown:  # a page, or back to one (with the reason)
                wrong.append(f"{method} {url[:90]}: {response.status_code} {response.text[:200]}")
    assert not wrong, "\n".join(wrong)
    assert everything(app) == before
    html = page(post(site.admin, f"/spaces/{site.space_id}/proposals/{proposal}/tallies", place=str(east),
                     agree=str(2**40), disagree="1"), 422)  # fmt: skip
    assert "-agree-error" in html and "A tally counts at most 1,000,000,000 votes" in html


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
    one_line_refusal(concord("budget", str(path)), "line 3: the budget must have an exponent from -40 to 40")
    path.write_text(path.read_text().replace("budget;1e999", "budget;nan"), encoding="utf-8")
    one_line_refusal(concord("budget", str(path)), "the budget must be a number, not 'nan'")
