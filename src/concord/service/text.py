"""Text people give (names, topics, descriptions, reasons, codes), checked once where it enters a use
case: within its length limit, and free of what no database stores or no reader should get (NUL and
other control characters, lone surrogates). Statements have their own, stricter rule
(:func:`concord.service.statements.clean_text`)."""

from __future__ import annotations

import unicodedata

from concord.service.errors import Invalid

KEPT_CONTROLS = {"\n", "\r", "\t"}  # line breaks and tabs are text in descriptions


def checked_text(value: object, what: str, limit: int, *, multiline: bool = False) -> str:
    """``value`` unchanged, or :class:`Invalid` saying what is wrong with ``what``."""
    if not isinstance(value, str):
        raise Invalid(f"{what} must be text")
    if len(value) > limit:
        raise Invalid(f"{what} is limited to {limit:,} characters; this one has {len(value):,}")
    for character in value:
        if unicodedata.category(character) in ("Cc", "Cs") and not (multiline and character in KEPT_CONTROLS):
            raise Invalid(f"{what} cannot contain control characters (such as NUL) or lone surrogates")
    return value
