"""Amounts of money as a reader reads them: the number grouped their way, and the currency named in their
language where a Latin code would break their sentence.

A budget's currency is what its moderator typed, usually an ISO 4217 code ("AFN"). In a right-to-left
sentence a Latin code is a left-to-right run that pulls the digits after it into its own order:
"۲۵۰٬۰۰۰ AFN، ۲۵ رأی" shows the vote count on the wrong side. So a Dari or Pashto reader gets the
currency's name as CLDR gives it in their language (AFN: "افغانی افغانستان", "افغانۍ"), placed by
CLDR's own pattern, and the whole amount is a bidirectional isolate in the page's direction, so that
whatever the currency (a code CLDR does not know stays as typed) nothing outside it is reordered.
Left-to-right pages keep the code as typed, which reads in order there, isolated the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from babel import Locale
from babel.numbers import get_currency_name, get_currency_unit_pattern, is_currency
from markupsafe import Markup, escape

LEFT_TO_RIGHT_ISOLATE, RIGHT_TO_LEFT_ISOLATE, POP_DIRECTIONAL_ISOLATE = "\u2066", "\u2067", "\u2069"


def is_right_to_left(code: str) -> bool:
    return Locale.parse(code).character_order == "right-to-left"


def currency_label(currency: str, code: str, count: Decimal | None = None) -> str:
    """The currency as the reader of locale ``code`` reads it: CLDR's name in a right-to-left language
    (plural form for ``count``), else what was typed."""
    known = currency.strip().upper()
    if is_right_to_left(code) and is_currency(known):
        return get_currency_name(known, count=count, locale=code)
    return currency


def cost_filter(code: str, number: Callable[[Any], str]) -> Callable[[Any, str], Markup]:
    """A Jinja filter ``amount | cost(currency)``: the amount written by ``number`` (the page's ``money``
    filter) and the currency, in CLDR's order for the locale, isolated in the page's direction (escaped
    markup: the isolate already holds any direction control typed into the currency)."""
    isolate = RIGHT_TO_LEFT_ISOLATE if is_right_to_left(code) else LEFT_TO_RIGHT_ISOLATE

    def cost(value: Any, currency: str) -> Markup:
        if not currency:
            return escape(number(value))
        count = Decimal(str(value))
        pattern = get_currency_unit_pattern(currency.strip().upper(), count=count, locale=code)
        text = pattern.format(number(value), currency_label(currency, code, count))
        return escape(f"{isolate}{text}{POP_DIRECTIONAL_ISOLATE}")

    return cost
