"""What every page router shares: CSRF protection of forms, pages left out of the API's documentation,
and the redirects of Post/Redirect/Get."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse

from concord.web.context import csrf_protect


def page_router() -> APIRouter:
    return APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def with_query(url: str, **query: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(query)}" if query else url


def local(target: str) -> str:
    """A redirect target from a form or link, kept on this site (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") else "/"
