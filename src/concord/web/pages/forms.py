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

from fastapi import Request

from concord.service.conversations.lifecycle import MAX_ATTRIBUTES
from concord.service.errors import Invalid, ServiceError
from concord.store.models import Conversation
from concord.web.rendering import message_of, page_language


@dataclass(frozen=True)
class FormError:
    form: str  # which form of the page
    message: str
    field: str | None  # the field the message goes beside
    values: Mapping[str, str] = dataclasses.field(default_factory=dict)  # what was typed, shown again
    questions: Sequence[tuple[str, str]] = ()  # declared-attribute questions as typed: (question, answers)


def refused(
    request: Request,
    form: str,
    error: ServiceError,
    values: Mapping[str, object],
    questions: Sequence[tuple[str, str]] = (),
) -> FormError:
    shown = {name: "" if value is None or value is False else "true" if value is True else str(value)
             for name, value in values.items()}  # fmt: skip
    at = error.field if error.field in shown or (error.field == "attributes" and questions) else None
    return FormError(form, message_of(error, page_language(request)), at, shown, questions)


# Commas and semicolons of the scripts people type answers in: Latin, Arabic (،؛), CJK (、，；).
ANSWER_SEPARATORS = re.compile("[\n,;\u060c\u061b\u3001\uff0c\uff1b]")
SETTINGS_FIELDS = ("moderation", "access", "allow_unsigned_xid", "participants_can_write", "max_statement_length")


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


def shown_settings(form: FormError | None, form_name: str, conversation: Conversation | None) -> dict[str, str]:
    """What the settings fields show: what was typed when the form comes back, else the conversation's
    settings, else the defaults of a new conversation."""
    if form is not None and form.form == form_name:
        return {name: form.values.get(name, "") for name in SETTINGS_FIELDS}
    if conversation is None:
        return {"moderation": "post", "access": "link", "participants_can_write": "true", "max_statement_length": "140"}
    return {
        "moderation": conversation.moderation,
        "access": conversation.access,
        "allow_unsigned_xid": "true" if conversation.allow_unsigned_xid else "",
        "participants_can_write": "true" if conversation.participants_can_write else "",
        "max_statement_length": str(conversation.max_statement_length),
    }


def shown_questions(form: FormError | None, form_name: str, conversation: Conversation | None) -> list[dict]:
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


def typed_length(raw: str) -> int:
    """A conversation's longest statement as typed; 140 when left empty."""
    return typed_count(raw, "max_statement_length") if raw.strip() else 140
