"""Turning a page template into a response: the language and direction, translations, the CSRF token
for forms and localised numbers (the security headers are added to every response by
:mod:`concord.web.guards`)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

from babel.dates import format_datetime, format_timedelta
from babel.numbers import format_decimal, format_percent
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from concord.languages import language_name
from concord.report.bidi import isolate_direction
from concord.service.clock import now_ms
from concord.service.errors import Label, ServiceError
from concord.web.context import CSRF_FIELD, csrf_token, masked_csrf, remember_csrf
from concord.web.i18n import (
    DEFAULT,
    LANGUAGE_COOKIE,
    LANGUAGES,
    Language,
    find_language,
    from_accept_language,
    translations,
)
from concord.web.money import cost_filter, currency_label

TEMPLATES = Path(__file__).resolve().parent / "templates"


def stated_language(request: Request) -> Language | None:
    """The language the reader asked for (``?lang=``, the picker's cookie, the browser's languages), if
    it is one of Concord's."""
    return (
        find_language(request.query_params.get("lang"))
        or find_language(request.cookies.get(LANGUAGE_COOKIE))
        or from_accept_language(request.headers.get("accept-language"))
    )


def reader_tag(request: Request) -> str | None:
    """The stated language's tag for a use case; ``None`` lets a conversation be read in its own."""
    stated = stated_language(request)
    return stated.tag if stated is not None else None


def page_language(request: Request, fallback: str | None = None) -> Language:
    """The reader's language, else ``fallback`` (the language of what they read: a conversation's own)."""
    return stated_language(request) or find_language(fallback) or DEFAULT


@cache
def environment(code: str) -> Environment:
    """One Jinja environment per language, with that language's catalogue installed."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=isolate_direction,
    )
    env.install_gettext_translations(translations(code), newstyle=True)  # type: ignore[attr-defined]  # i18n ext
    digits = localised_digits(code)
    env.filters["num"] = lambda value: digits(format_decimal(value, locale=code, numbering_system="default"))
    env.filters["pct"] = lambda value: digits(format_percent(value, locale=code, numbering_system="default"))
    # Money is exact decimal text ("2500000.5"): grouped in the reader's way, every decimal kept.
    env.filters["money"] = lambda value: digits(
        format_decimal(Decimal(str(value)), format="#,##0.######", locale=code, numbering_system="default")
    )
    env.filters["cost"] = cost_filter(code, env.filters["money"])  # an amount with its currency
    env.filters["currency"] = lambda currency: currency_label(currency, code)
    env.filters["ago"] = lambda ms: digits(format_timedelta((ms - now_ms()) / 1000, add_direction=True, locale=code))
    env.filters["duration"] = lambda ms: digits(format_timedelta(ms / 1000, threshold=1.5, locale=code))
    env.filters["iso"] = lambda ms: datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")
    env.filters["date"] = lambda ms: digits(
        format_datetime(datetime.fromtimestamp(ms / 1000, UTC), "medium", tzinfo=UTC, locale=code)
    )
    reader = LANGUAGES[code].tag if code in LANGUAGES else code
    env.globals["language_name"] = lambda tag: language_name(tag, reader)  # "انگلیسی" for a Dari reader
    return env


# Dari and Pashto are written with Extended Arabic-Indic digits (۰–۹) and the Arabic percent sign;
# Babel formats the separators for the locale but leaves the digits Latin.
EASTERN_DIGITS = str.maketrans("0123456789%", "۰۱۲۳۴۵۶۷۸۹٪")
EASTERN_DIGIT_LOCALES = ("fa_AF", "ps")


def localised_digits(code: str):
    if code in EASTERN_DIGIT_LOCALES:
        return lambda text: text.translate(EASTERN_DIGITS)
    return lambda text: text


def render(
    request: Request, template: str, *, status_code: int = 200, language: Language | None = None, **context
) -> HTMLResponse:
    """``language``: the page's, when it depends on what is read (else the reader's, :func:`page_language`)."""
    language = language or page_language(request)
    token = csrf_token(request)
    html = (
        environment(language.code)
        .get_template(template)
        .render(
            language=language,
            languages=list(LANGUAGES.values()),
            csrf_field=CSRF_FIELD,
            csrf_token=masked_csrf(token),
            static=request.app.state.assets.url,
            digits="0123456789".translate(EASTERN_DIGITS) if language.code in EASTERN_DIGIT_LOCALES else "0123456789",
            # Beside Eastern Arabic digits a middle dot reads as zero (۰): right-to-left pages separate
            # items with the Arabic comma, and their breadcrumbs point left (an arrow no browser mirrors).
            sep="، " if language.direction == "rtl" else " · ",
            trail_arrow="←" if language.direction == "rtl" else "›",
            path=request.url.path,
            # The language links carry the address back without ``lang``: a choice there must win.
            query=urlencode([(key, value) for key, value in request.query_params.multi_items() if key != "lang"]),
            **context,
        )
    )
    response = HTMLResponse(html, status_code=status_code)
    remember_csrf(request, response)
    return response


def message_of(error: ServiceError, language: Language) -> str:
    """A use case's refusal in the reader's language: its template translated, interface words among
    its values translated too, numbers in the reader's digits (people's own text left as it is)."""
    gettext = translations(language.code).gettext
    number = environment(language.code).filters["num"]
    values = {
        name: gettext(value) if isinstance(value, Label) else number(value) if isinstance(value, int) else value
        for name, value in error.params.items()
    }
    text = gettext(error.template)
    text = text % values if values else text
    if not error.template.startswith("%("):  # a sentence on a page (English API messages start in lower case),
        text = text[:1].upper() + text[1:]  # but not a file's name ("herat.pb, line 3: …")
    return text
