"""What every API router shares: the /api prefix, CSRF protection of state-changing requests, and the
documented error responses."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from concord.web import schemas
from concord.web.context import csrf_protect

ERRORS: dict[int | str, dict] = {status: {"model": schemas.ErrorOut} for status in (400, 401, 403, 404, 409, 422, 429)}


def api_router(tag: str) -> APIRouter:
    return APIRouter(prefix="/api", tags=[tag], dependencies=[Depends(csrf_protect)], responses=ERRORS)
