"""The home page, the language switch, and moderators' login."""

from __future__ import annotations

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response

from concord.service import spaces
from concord.service.accounts import moderators as accounts
from concord.service.errors import Invalid, Unauthorized
from concord.web.context import SESSION_COOKIE, caller, runtime, set_cookie
from concord.web.i18n import LANGUAGE_COOKIE, find_language
from concord.web.pages.forms import FormError
from concord.web.pages.routing import local, page_router, see_other
from concord.web.rendering import page_language, render

router = page_router()


@router.get("/lang")
def choose_language(request: Request, to: str, next: str = "/") -> Response:
    response = see_other(local(next))
    language = find_language(to)
    if language is not None:
        set_cookie(request, response, LANGUAGE_COOKIE, language.code, http_only=False)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    return render_home(request)


def render_home(request: Request, form: FormError | None = None, status: int = 200) -> Response:
    found = spaces.home(runtime(request), caller(request), page_language(request).tag)
    return render(
        request,
        "home.html.j2",
        status_code=status,
        roots=found.spaces,
        user=found.user,
        open_conversations=found.open_conversations,
        topics=found.topics,
        space_texts=found.texts,
        form=form,
    )


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "login.html.j2", next=next)


@router.post("/login")
async def log_in(
    request: Request, username: str = Form(...), password: str = Form(...), next: str = Form("/")
) -> Response:
    try:
        login = await accounts.start_session(runtime(request), caller(request), username, password)
    except (Unauthorized, Invalid) as error:
        return render(request, "login.html.j2", next=next, error=error, status_code=error.status)
    # With nowhere in particular to go back to, a moderator lands on what waits for them.
    response = see_other(local(next) if next not in ("", "/") else "/moderation")
    set_cookie(request, response, SESSION_COOKIE, login.token, max_age=accounts.SESSION_LIFETIME_MS // 1000)
    return response


@router.post("/logout")
def log_out(request: Request) -> Response:
    accounts.end_session(runtime(request), caller(request))
    response = see_other("/")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
