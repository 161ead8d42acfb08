"""Participatory budgets: a space's budgets, their projects, voters' ballots, the outcome (equal shares,
explained, with greedy beside it and the fairness report), the split among the spaces below, and
pabulib files in and out."""

from __future__ import annotations

import dataclasses

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from concord.service.budgets import ballots, budgets, projects, split
from concord.service.budgets import files as budget_files
from concord.service.budgets import outcomes as budget_outcomes
from concord.service.budgets.records import BudgetRecord, BudgetView, ProjectRecord
from concord.service.budgets.settings import BALLOT, BudgetSettings, ProjectFields
from concord.service.errors import NotFound
from concord.service.log import records
from concord.web import schemas
from concord.web.api.routing import api_router
from concord.web.context import caller, keep_participant_token, runtime
from concord.web.downloads import download_response

router = api_router("budgets")
PB_BODY = {
    "requestBody": {
        "required": True,
        "content": {"text/plain": {"schema": {"type": "string", "description": "A pabulib .pb file (at most 32 MB)"}}},
    }
}


def project_out(project: ProjectRecord) -> dict:
    return dataclasses.asdict(project)


def summary_out(budget: BudgetRecord) -> dict:
    return {
        "id": budget.public_id,
        "name": budget.name,
        "amount": budget.amount,
        "currency": budget.currency,
        "state": budget.state,
    }


def budget_out(view: BudgetView) -> dict:
    budget = view.budget
    return {
        **summary_out(budget),
        "space_id": budget.space.id,
        "space_path": budget.space.path,
        "description": budget.description,
        "ballot": {key: getattr(budget, name) for name, key in BALLOT.items()},
        "opens_ms": budget.opens_ms,
        "closes_ms": budget.closes_ms,
        "conversation": budget.conversation.public_id,
        "parent": view.parent,
        "split": budget.split,
        "ballots": view.ballots,
        "projects": [project_out(project) for project in view.projects],
    }


@router.post("/spaces/{space_id}/budgets", response_model=schemas.BudgetOut, status_code=201)
def create_budget(space_id: schemas.IdInPath, body: schemas.BudgetIn, request: Request) -> dict:
    """A budget of this space, with a conversation of its own for its voters (access, invitation codes
    and declared questions as for any conversation)."""
    settings = BudgetSettings(**body.model_dump())
    return budget_out(budgets.start_budget(runtime(request), caller(request), space_id, settings))


@router.get("/spaces/{space_id}/budgets", response_model=list[schemas.BudgetSummary])
def list_budgets(space_id: schemas.IdInPath, request: Request) -> list[dict]:
    return [summary_out(budget) for budget in budgets.space_budgets(runtime(request), space_id)]


@router.post(
    "/spaces/{space_id}/budget-imports",
    response_model=schemas.BudgetOut,
    status_code=201,
    openapi_extra=PB_BODY,
    responses={413: {"model": schemas.ErrorOut}},
)
async def import_budget(space_id: schemas.IdInPath, request: Request) -> dict:
    """A pabulib .pb file (the body) as a new budget of this space, with its voters and ballots; all or
    nothing, a bad file refused with its line. Who sends it is checked before it is read."""
    await run_in_threadpool(budget_files.check_import_allowed, runtime(request), caller(request), space_id)
    data = await request.body()
    view = await run_in_threadpool(
        budget_files.import_upload, runtime(request), caller(request), space_id, data, "the file"
    )
    return budget_out(view)


@router.get("/budgets/{budget_id}", response_model=schemas.BudgetOut)
def get_budget(budget_id: str, request: Request) -> dict:
    return budget_out(budgets.budget_view(runtime(request), caller(request), budget_id))


@router.patch("/budgets/{budget_id}", response_model=schemas.BudgetOut)
def change_budget(budget_id: str, body: schemas.BudgetPatch, request: Request) -> dict:
    """Change some settings; once ballots are cast, the amount and the ballot's rules stay."""
    changes = body.model_dump(exclude_unset=True)
    return budget_out(budgets.change_budget(runtime(request), caller(request), budget_id, changes))


@router.post("/budgets/{budget_id}/close", response_model=schemas.BudgetOut)
def close_budget(budget_id: str, request: Request) -> dict:
    return budget_out(budgets.open_or_close_budget(runtime(request), caller(request), budget_id, False))


@router.post("/budgets/{budget_id}/reopen", response_model=schemas.BudgetOut)
def reopen_budget(budget_id: str, request: Request) -> dict:
    return budget_out(budgets.open_or_close_budget(runtime(request), caller(request), budget_id, True))


@router.post("/budgets/{budget_id}/projects", response_model=schemas.ProjectOut, status_code=201)
def add_project(budget_id: str, body: schemas.ProjectIn, request: Request) -> dict:
    """A project, until the first ballot is cast."""
    fields = ProjectFields(**body.model_dump())
    return project_out(projects.new_project(runtime(request), caller(request), budget_id, fields))


@router.patch("/budgets/{budget_id}/projects/{number}", response_model=schemas.ProjectOut)
def change_project(budget_id: str, number: schemas.IdInPath, body: schemas.ProjectPatch, request: Request) -> dict:
    """Change a project; its cost only until the first ballot is cast."""
    changes = body.model_dump(exclude_unset=True)
    return project_out(projects.change_project(runtime(request), caller(request), budget_id, number, changes))


@router.delete("/budgets/{budget_id}/projects/{number}", status_code=204)
def remove_project(budget_id: str, number: schemas.IdInPath, request: Request) -> Response:
    projects.delete_project(runtime(request), caller(request), budget_id, number)
    return Response(status_code=204)


@router.put("/budgets/{budget_id}/ballot", response_model=schemas.BallotOut)
def cast_ballot(budget_id: str, body: schemas.BallotIn, request: Request, response: Response) -> dict:
    """The caller's ballot (replacing the one before), within the ballot's rules: choose-1, at most
    ``max_projects``, costing at most ``max_cost`` together; a cumulative ballot gives each project its
    ``points`` (at most ``max_points`` together), an ordinal one ranks them (``ranks``, or the order of
    ``projects``). A newcomer joins where anyone with the link may vote; otherwise join the budget's
    conversation first."""
    cast = ballots.cast_ballot(
        runtime(request), caller(request), budget_id, body.projects, points=body.points, ranks=body.ranks
    )
    keep_participant_token(request, response, cast.token)
    return dataclasses.asdict(cast.ballot)


@router.get("/budgets/{budget_id}/ballot", response_model=schemas.BallotOut)
def my_ballot(budget_id: str, request: Request) -> dict:
    view = budgets.budget_view(runtime(request), caller(request), budget_id)
    if view.mine is None:
        raise NotFound("you have not cast a ballot in this budget")
    return dataclasses.asdict(view.mine)


@router.get("/budgets/{budget_id}/outcome", response_model=schemas.BudgetResultsOut)
async def outcome(budget_id: str, request: Request) -> dict:
    """Equal shares' outcome of the ballots cast so far, every project explained, greedy by votes beside
    it, and the share of the money each group's approved projects got (see README)."""
    found = await run_in_threadpool(budget_outcomes.budget_results, runtime(request), budget_id)
    served = found.served
    as_of = None if served is None else {"log_size": served.log_size, "computed_ms": served.computed_ms,
                                         "current": served.current}  # fmt: skip
    return {"outcome": found.report, "as_of": as_of, "parts": {part.public_id: report for part, report in found.parts}}


@router.post("/budgets/{budget_id}/split", response_model=list[schemas.BudgetOut], status_code=201)
def split_budget(budget_id: str, body: schemas.SplitIn, request: Request) -> list[dict]:
    """Share the budget's money among the spaces directly below its space (equally, by population, by
    weight, or a formula of the three); each gets a budget of its own and decides it."""
    parts = {str(kind): share for kind, share in body.parts.items()} if body.parts is not None else None
    made = split.split(runtime(request), caller(request), budget_id, body.mode, parts)
    return [budget_out(budgets.budget_view(runtime(request), caller(request), part.public_id)) for part in made]


@router.get("/budgets/{budget_id}/export.pb", responses={200: {"content": {"text/plain": {}}}})
def export_budget(budget_id: str, request: Request) -> Response:
    """The budget as a pabulib file, with every ballot (moderators only)."""
    return download_response(budget_files.export_download(runtime(request), caller(request), budget_id))


@router.get("/budgets/{budget_id}/export", responses={200: {"content": {"application/zip": {}}}})
def export_record(budget_id: str, request: Request) -> Response:
    """The budget's record, as a .zip: its conversation's export (the log holds the budget, its projects
    and every ballot, with its signed checkpoint) and budget.json (the outcome as served now), what
    `concord verify` recomputes. Anyone may download it, unless its conversation is private."""
    return download_response(records.budget_record(runtime(request), caller(request), budget_id))
