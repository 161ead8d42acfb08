"""Translations of a space's name and description, so that a Dari reader of a space in English reads it
in Dari (marked as translated, the original a tap away), on its page, in the lists of spaces and on
the home page.

Why a table of their own (:class:`concord.store.models.SpaceTranslation`) and not
:class:`~concord.store.models.Translation` rows: those belong to a conversation (its participants
volunteer them, its log records them, its queue and PO files list them), and a space has none. A space's
texts are its moderators' to translate, as they are theirs to write: a moderator's translation is accepted
at once, in the place of the one shown before (kept as ``replaced``), as a moderator's translation of a
statement is; each goes to the space's own log, which ``concord verify`` replays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from concord.service.accounts.moderators import user_of
from concord.service.caller import Caller
from concord.service.clock import now_ms
from concord.service.conversations.wordings import SpaceTexts, space_texts
from concord.service.errors import Invalid, Label, NotFound
from concord.service.spaces import (
    DESCRIPTION_LENGTH,
    NAME_LENGTH,
    SpaceRecord,
    moderates,
    require_moderator,
    space_by_id,
    validate_language,
)
from concord.service.text import checked_text
from concord.states import TranslationStatus
from concord.store.models import Base, Space, SpaceTranslation, User

Row = TypeVar("Row", bound=Base)

if TYPE_CHECKING:
    from concord.service.runtime import Runtime

SUBJECTS = ("name", "description")
# A translation may be longer than its original (Dari and Pashto often are).
LENGTHS = {"name": NAME_LENGTH * 2, "description": DESCRIPTION_LENGTH * 2}


@dataclass(frozen=True)
class SpaceTranslationRecord:
    id: int
    space_id: int
    space_path: str  # where the space's page is
    subject: str
    language: str
    text: str
    original: str
    status: TranslationStatus
    created_ms: int

    @classmethod
    def of(cls, row: SpaceTranslation, path: str) -> SpaceTranslationRecord:
        return cls(
            row.id, row.space_id, path, row.subject, row.language, row.text, row.original, row.status, row.created_ms
        )


def subject_of(value: object) -> str:
    if value not in SUBJECTS:
        raise Invalid("a space's 'name' or its 'description' can be translated", field="subject")
    return str(value)


def original_text(space: Space, subject: str) -> str:
    text = space.name if subject == "name" else space.description
    if not text:
        raise NotFound("this space has no description to translate")
    return text


def cleaned(subject: str, text: object) -> str:
    if isinstance(text, str) and not text.strip():
        raise Invalid("write the translation first", "statement_empty", field="text")
    if subject == "name":
        return " ".join(checked_text(text, Label("a translation"), LENGTHS[subject], field="text").split())
    return checked_text(text, Label("a translation"), LENGTHS[subject], multiline=True, field="text").strip()


def add_space_translation(
    session: Session, user: User | None, space: Space, subject: str, language: str, text: object
) -> SpaceTranslation:
    """A moderator's translation of the space's name or description, accepted at once in the place of
    the one shown before; repeating the shown one changes nothing."""
    moderator = require_moderator(session, user, space)
    subject = subject_of(subject)
    language = validate_language(language)
    if language == space.language:
        raise Invalid(
            "this text is written in that language already: choose another one", "same_language", field="language"
        )
    original = original_text(space, subject)
    text = cleaned(subject, text)
    session.execute(select(Space.id).where(Space.id == space.id).with_for_update())  # one accepted per language
    return accept_in_place(
        session,
        SpaceTranslation,
        {"space_id": space.id, "subject": subject, "language": language},
        text,
        original,
        moderator,
    )


def accept_in_place(
    session: Session, model: type[Row], text_of: dict[str, Any], text: str, original: str, moderator: User
) -> Row:
    """A moderator's translation of one text (``text_of``: the columns that name the text and the
    language), accepted in the place of the one shown before, which is kept as replaced; repeating the
    shown one changes nothing. The caller holds the lock that keeps one accepted per text."""
    columns: Any = model
    same_text = [
        getattr(columns, name).is_(None) if value is None else getattr(columns, name) == value
        for name, value in text_of.items()
    ]
    same_text.append(columns.status == TranslationStatus.ACCEPTED)
    shown = session.scalar(select(model).where(*same_text))
    if shown is not None and shown.text == text and shown.original == original:  # type: ignore[attr-defined]
        return shown
    session.execute(
        update(model)
        .where(*same_text)
        .values(status=TranslationStatus.REPLACED)
        .execution_options(synchronize_session="fetch")
    )
    translation = model(
        **text_of,
        text=text,
        original=original,
        status=TranslationStatus.ACCEPTED,
        moderator_id=moderator.id,
        created_ms=now_ms(),
    )
    session.add(translation)
    session.flush()
    return translation


# --- use cases ------------------------------------------------------------------------------------


def translate_space(
    runtime: Runtime, caller: Caller, space_id: int, subject: str, language: str, text: str
) -> SpaceTranslationRecord:
    with runtime.transaction() as session:
        space = space_by_id(session, space_id)
        added = add_space_translation(session, user_of(session, caller), space, subject, language, text)
        return SpaceTranslationRecord.of(added, space.path)


@dataclass(frozen=True)
class SpaceTranslationPage:
    """The page for translating a space's name or description: the text, as the reader sees the space's
    name, and the translations readers see now by language."""

    space: SpaceRecord
    texts: SpaceTexts  # the space's name and description as the reader sees them
    subject: str
    original: str
    shown: dict[str, str]
    is_moderator: bool


def space_translation_page(
    runtime: Runtime, caller: Caller, space_id: int, subject: str, reader: str
) -> SpaceTranslationPage:
    subject = subject_of(subject)
    with runtime.transaction() as session:
        space = space_by_id(session, space_id)
        original = original_text(space, subject)
        accepted = session.scalars(
            select(SpaceTranslation).where(
                SpaceTranslation.space_id == space.id,
                SpaceTranslation.subject == subject,
                SpaceTranslation.original == original,
                SpaceTranslation.status == TranslationStatus.ACCEPTED,
            )
        )
        shown = dict(sorted((t.language, t.text) for t in accepted))
        return SpaceTranslationPage(
            SpaceRecord.of(space),
            space_texts(session, [space], reader)[space.id],
            subject,
            original,
            shown,
            moderates(session, user_of(session, caller), space),
        )


def space_translations(runtime: Runtime, space_id: int) -> list[SpaceTranslationRecord]:
    """Every translation of a space's texts, accepted or replaced (all of them are public: moderators'
    own)."""
    with runtime.transaction() as session:
        space = space_by_id(session, space_id)
        rows = session.scalars(
            select(SpaceTranslation).where(SpaceTranslation.space_id == space.id).order_by(SpaceTranslation.id)
        )
        return [SpaceTranslationRecord.of(row, space.path) for row in rows]
