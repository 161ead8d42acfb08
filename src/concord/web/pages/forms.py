"""A refused form comes back as it was sent: the page is drawn again with what the person typed and the
reason, in their language, beside the field at fault (or above the form when no field is to blame),
never as a bare error page that loses their text."""

from __future__ import annotations

import dataclasses
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Request

from concord.service.conversations.settings import LIMITS, MAX_ATTRIBUTES, ConversationRecord, ConversationSettings
from concord.service.errors import Invalid, ServiceError
from concord.web.rendering import message_of, page_language


@dataclass(frozen=True)
class FormError:
    form: str  # which form of the page
    message: str
    field: str | None  # the field the message goes beside
    values: Mapping[str, str] = dataclasses.field(default_factory=dict)  # what was typed, shown again
    questions: Sequence[tuple[str, str]] = ()  # declared-attribute questions as typed: (question, answers)


def as_typed(value: object) -> str:
    """A value as a form's field holds it: a ticked box "true", an unticked one (or nothing) empty."""
    return "true" if value is True else "" if value is False or value is None else str(value)


def refused(
    request: Request,
    form: str,
    error: ServiceError,
    values: Mapping[str, object],
    questions: Sequence[tuple[str, str]] = (),
) -> FormError:
    shown = {name: as_typed(value) for name, value in values.items()}
    at = error.field if error.field in shown or (error.field == "attributes" and questions) else None
    return FormError(form, message_of(error, page_language(request)), at, shown, questions)


# Commas and semicolons of the scripts people type answers in: Latin, Arabic (،؛), CJK (、，；).
ANSWER_SEPARATORS = re.compile("[\n,;\u060c\u061b\u3001\uff0c\uff1b]")
# The settings a form asks in fields of their own (settings_fields.html.j2; the moderators' form adds
# "private"): a conversation's words, numbers and yes-or-no settings, as declared. Its texts are asked by
# each form as it needs them; its questions as a list (attribute_questions.html.j2).
SETTINGS_FIELDS = tuple(name for name, limits in LIMITS.items() if limits.kind in ("choice", "whole", "flag", "time"))
MOMENT = "%Y-%m-%dT%H:%M"  # a moment as an <input type="datetime-local"> holds it (read as UTC)
TICKED = {"1", "on", "t", "true", "y", "yes"}  # a ticked box, as a form sends it


def split_answers(text: str) -> list[str]:
    """The answers to a question, typed on one line with any script's commas, or one per line."""
    return [answer.strip() for answer in ANSWER_SEPARATORS.split(text) if answer.strip()]


def declared_questions(names: list[str], answers: list[str]) -> list[dict]:
    """The questions of a form's repeated (question, answers) fields; empty ones are left out."""
    return [
        {"name": name.strip(), "options": split_answers(options)}
        for name, options in zip(names, answers)
        if name.strip() or options.strip()
    ]


@dataclass(frozen=True)
class TypedSettings:
    """A form's settings fields and declared questions, as typed."""

    typed: dict[str, Any]  # by setting: the text typed, or whether the box is ticked (shown again if refused)
    questions: list[tuple[str, str]]  # (question, answers)

    def chosen(self, *, length_if_empty: int | None = ConversationSettings.max_statement_length) -> dict[str, Any]:
        """The settings as the use case takes them: the longest statement a number (``length_if_empty``
        when left empty), the questions a list."""
        raw = self.typed["max_statement_length"]
        length = typed_count(raw, "max_statement_length") if raw.strip() else length_if_empty
        attributes = declared_questions(
            [name for name, _ in self.questions], [answers for _, answers in self.questions]
        )
        moments = {
            name: typed_moment(self.typed[name], name) for name in SETTINGS_FIELDS if LIMITS[name].kind == "time"
        }
        return {**self.typed, "max_statement_length": length, "attributes": attributes, **moments}


async def typed_settings(request: Request) -> TypedSettings:
    """The settings fields of a form (:data:`SETTINGS_FIELDS`; a word left out is the setting's default,
    a box left out unticked) and its declared questions."""
    form = await request.form()
    typed: dict[str, Any] = {}
    for name in SETTINGS_FIELDS:
        if LIMITS[name].kind == "flag":
            typed[name] = str(form.get(name, "")).lower() in TICKED
        else:
            typed[name] = str(form.get(name, _default(name)))
    return TypedSettings(
        typed, list(zip(map(str, form.getlist("attribute_name")), map(str, form.getlist("attribute_options"))))
    )


def _default(name: str) -> str:
    """A word setting's default, as a form field holds it; a number's is left empty."""
    return "" if LIMITS[name].kind in ("whole", "time") else str(getattr(ConversationSettings, name))


def shown_settings(form: FormError | None, form_name: str, conversation: ConversationRecord | None) -> dict[str, str]:
    """What the settings fields show: what was typed when the form comes back, else the conversation's
    settings, else the defaults of a new conversation."""
    if form is not None and form.form == form_name:
        return {name: form.values.get(name, "") for name in SETTINGS_FIELDS}
    chosen = conversation if conversation is not None else ConversationSettings()
    return {name: _shown(name, getattr(chosen, name)) for name in SETTINGS_FIELDS}


def _shown(name: str, value: object) -> str:
    if LIMITS[name].kind == "time" and isinstance(value, int):
        return datetime.fromtimestamp(value / 1000, UTC).strftime(MOMENT)
    return as_typed(value)


def typed_moment(raw: str, field: str) -> int | None:
    """A moment as a datetime-local field sends it (``2026-12-10T18:00``, UTC), in ms since the epoch; none
    when left empty. Refused beside its field when it is not one."""
    if not raw.strip():
        return None
    try:
        moment = datetime.fromisoformat(raw.strip()).replace(tzinfo=UTC)
    except ValueError:
        raise Invalid("this is not a date and time: %(value)s", "not_a_moment", field=field, value=raw) from None
    return int(moment.timestamp() * 1000)


def shown_questions(form: FormError | None, form_name: str, conversation: ConversationRecord | None) -> list[dict]:
    """The declared-attribute questions the form shows (as typed, or the conversation's), and room for
    more, up to the limit."""
    if form is not None and form.form == form_name:
        questions = [{"name": name, "options": options} for name, options in form.questions]
    else:
        questions = [
            {"name": attribute["name"], "options": "، ".join(attribute["options"])
             if _arabic_script(attribute["options"]) else ", ".join(attribute["options"])}
            for attribute in (conversation.attributes or [] if conversation is not None else [])
        ]  # fmt: skip
    return questions + [{"name": "", "options": ""}] * (MAX_ATTRIBUTES - len(questions))


def _arabic_script(texts: list[str]) -> bool:
    return any("\u0600" <= character <= "\u06ff" for text in texts for character in text)


def typed_number(raw: str, field: str) -> float:
    """A number as typed, in any script's digits (۶۰, ٦٠ or 60), with a point or the Arabic decimal
    separator; refused beside its field when it is not one."""
    latin = "".join(str(unicodedata.digit(c)) if c.isdigit() else "." if c in ".\u066b" else c for c in raw.strip())
    try:
        number = float(latin)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise Invalid("this is not a number: %(value)s", "not_a_number", field=field, value=raw)
    return number


def typed_count(raw: str, field: str) -> int:
    """A whole number as typed (see typed_number)."""
    number = typed_number(raw, field)
    if number != int(number):
        raise Invalid("this is not a whole number: %(value)s", "not_a_number", field=field, value=raw)
    return int(number)
