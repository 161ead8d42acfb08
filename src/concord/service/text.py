"""Text people give (names, topics, descriptions, reasons, codes), checked once where it enters a use
case: within its length limit, and free of what no database stores or no reader should get (NUL and
other control characters, lone surrogates). Statements have their own, stricter rule
(:func:`concord.service.conversations.statements.clean_text`)."""

from __future__ import annotations

import unicodedata

from concord.service.errors import Invalid, Label

KEPT_CONTROLS = {"\n", "\r", "\t"}  # line breaks and tabs are text in descriptions


def checked_text(value: object, what: Label, limit: int, *, multiline: bool = False, field: str | None = None) -> str:
    """``value`` unchanged, or :class:`Invalid` saying what is wrong with ``what`` (the form ``field``)."""
    if not isinstance(value, str):
        raise Invalid("%(what)s must be text", field=field, what=what)
    if len(value) > limit:
        raise Invalid(
            "%(what)s is limited to %(limit)s characters; this one has %(length)s",
            "text_too_long",
            field=field,
            what=what,
            limit=limit,
            length=len(value),
        )
    for character in value:
        if unicodedata.category(character) in ("Cc", "Cs") and not (multiline and character in KEPT_CONTROLS):
            raise Invalid(
                "%(what)s cannot contain control characters (such as NUL) or lone surrogates",
                "control_characters",
                field=field,
                what=what,
            )
    return value
