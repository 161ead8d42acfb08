"""What a reader sees of a conversation's texts: each statement, its topic and its description in the
reader's language when it was written in it or an accepted translation into it exists (marked as
translated, with the original beside it), else the original, marked as one to translate. Writing and
moderating translations is :mod:`concord.service.translations.texts`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from concord.languages import primary, reads
from concord.states import Translated, TranslationStatus
from concord.store.models import (
    Budget,
    BudgetProject,
    BudgetTranslation,
    Conversation,
    Space,
    SpaceTranslation,
    Statement,
    Translation,
)

CHUNK = 1000  # statement ids per query (SQLite bounds the number of parameters)


@dataclass(frozen=True)
class Shown:
    """A text as one reader sees it."""

    text: str
    language: str  # of ``text``
    original: str
    original_language: str
    translated: bool  # ``text`` is a translation into the reader's language
    missing: bool  # not in the reader's language and not translated into it yet: an invitation


@dataclass(frozen=True)
class Wordings:
    """Every text of a conversation as one reader sees it, statements by number."""

    reader: str
    topic: Shown
    description: Shown
    statements: dict[int, Shown]

    def statement(self, number: int, text: str = "") -> Shown:
        """Statement ``number``; one unknown here (an analysis names it) is shown as the analysis wrote it."""
        found = self.statements.get(number)
        if found is not None:
            return found
        return Shown(text, self.topic.original_language, text, self.topic.original_language, False, False)


def shown_to(reader: str, original: str, language: str, translations: dict[str, str]) -> Shown:
    """``original`` (written in ``language``) for a reader of ``reader``, given its accepted
    translations by language: the reader's own tag first, then another tag of the same language."""
    if reads(reader, language):
        return Shown(original, language, original, language, False, False)
    for tag in sorted(translations, key=lambda tag: (tag != reader, tag)):
        if reads(reader, tag):
            return Shown(translations[tag], tag, original, language, True, False)
    return Shown(original, language, original, language, False, True)


def wordings(
    session: Session, conversation: Conversation, reader: str | None, numbers: Iterable[int] | None = None
) -> Wordings:
    """The conversation's statements (any state: a writer sees their own pending ones; only ``numbers``
    when given, e.g. the few a participant's page shows), its topic and description, in the reader's
    language where they can be. A reader who names no language Concord speaks (``None``) reads the
    conversation in its own: whoever opens a Dari conversation's link reads Dari."""
    reader = reader or conversation.language
    wanted = None if numbers is None else sorted(set(numbers))
    by_subject = _accepted_in(session, conversation, reader, wanted)
    query = select(Statement.number, Statement.text, Statement.language).where(
        Statement.conversation_id == conversation.id
    )
    if wanted is not None:
        query = query.where(Statement.number.in_(wanted))
    statements = {
        number: shown_to(reader, text, language, by_subject.get((Translated.STATEMENT, number, text), {}))
        for number, text, language in session.execute(query)
    }
    return Wordings(
        reader=reader,
        topic=_conversation_text(conversation, Translated.TOPIC, reader, by_subject),
        description=_conversation_text(conversation, Translated.DESCRIPTION, reader, by_subject),
        statements=statements,
    )


def _conversation_text(
    conversation: Conversation, subject: Translated, reader: str, by_subject: dict[tuple, dict[str, str]]
) -> Shown:
    original = conversation.topic if subject == Translated.TOPIC else conversation.description
    return shown_to(reader, original, conversation.language, by_subject.get((subject, None, original), {}))


def _accepted_in(
    session: Session, conversation: Conversation, reader: str, numbers: list[int] | None
) -> dict[tuple, dict[str, str]]:
    """Accepted translations into the reader's language (any tag of it), keyed by what they translate
    as it was: (subject, statement number, original text) → {tag: text}. Of the statements ``numbers``
    only, when given (the topic's and description's always)."""
    language = primary(reader)
    query = (
        select(Translation.subject, Statement.number, Translation.original, Translation.language, Translation.text)
        .outerjoin(Statement, Statement.id == Translation.statement_id)
        .where(
            Translation.conversation_id == conversation.id,
            Translation.status == TranslationStatus.ACCEPTED,
            or_(Translation.language == language, Translation.language.like(f"{language}-%")),
        )
    )
    if numbers is not None:
        query = query.where(or_(Translation.statement_id.is_(None), Statement.number.in_(numbers)))
    rows = session.execute(query)
    found: dict[tuple, dict[str, str]] = {}
    for subject, number, original, tag, text in rows:
        found.setdefault((subject, number, original), {})[tag] = text
    return found


def statement_translations(session: Session, statements: Iterable[Statement]) -> dict[int, dict[str, str]]:
    """The accepted translations of these statements, by statement id and language (API clients pick
    their reader's)."""
    ids = [statement.id for statement in statements]
    found: dict[int, dict[str, str]] = {statement_id: {} for statement_id in ids}
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(Translation.statement_id, Translation.language, Translation.text).where(
                Translation.statement_id.in_(ids[start : start + CHUNK]),
                Translation.status == TranslationStatus.ACCEPTED,
            )
        )
        for statement_id, language, text in rows:
            if statement_id is not None:
                found[statement_id][language] = text
    return found


def topics(session: Session, conversations: Iterable[Conversation], reader: str) -> dict[int, Shown]:
    """The topics of these conversations as a reader sees them (lists of conversations), by id."""
    listed = list(conversations)
    language = primary(reader)
    found: dict[tuple[int, str], dict[str, str]] = {}
    for start in range(0, len(listed), CHUNK):
        rows = session.execute(
            select(Translation.conversation_id, Translation.original, Translation.language, Translation.text).where(
                Translation.conversation_id.in_([c.id for c in listed[start : start + CHUNK]]),
                Translation.subject == Translated.TOPIC,
                Translation.status == TranslationStatus.ACCEPTED,
                or_(Translation.language == language, Translation.language.like(f"{language}-%")),
            )
        )
        for conversation_id, original, tag, text in rows:
            found.setdefault((conversation_id, original), {})[tag] = text
    return {c.id: shown_to(reader, c.topic, c.language, found.get((c.id, c.topic), {})) for c in listed}


@dataclass(frozen=True)
class SpaceTexts:
    """A name and a description (a space's, a budget project's) as one reader sees them."""

    name: Shown
    description: Shown


def space_texts(session: Session, spaces: Iterable[Space], reader: str) -> dict[int, SpaceTexts]:
    """Each space's name and description in the reader's language where it is written in it or an
    accepted translation of it as it is now exists (:class:`concord.store.models.SpaceTranslation`)."""
    by_id = {space.id: space for space in spaces}
    found: dict[tuple[int, str], dict[str, str]] = {}
    if by_id:
        accepted = session.scalars(
            select(SpaceTranslation).where(
                SpaceTranslation.space_id.in_(list(by_id)), SpaceTranslation.status == TranslationStatus.ACCEPTED
            )
        )
        for translation in accepted:
            space = by_id[translation.space_id]
            if translation.original == (space.name if translation.subject == "name" else space.description):
                found.setdefault((space.id, translation.subject), {})[translation.language] = translation.text
    return {
        space.id: SpaceTexts(
            shown_to(reader, space.name, space.language, found.get((space.id, "name"), {})),
            shown_to(reader, space.description, space.language, found.get((space.id, "description"), {})),
        )
        for space in by_id.values()
    }


@dataclass(frozen=True)
class BudgetTexts:
    """A budget's name and description, and its projects' by number, as one reader sees them."""

    name: Shown
    description: Shown
    projects: dict[int, SpaceTexts]  # each project's name and description

    def project_name(self, number: int, name: str, language: str) -> Shown:
        found = self.projects.get(number)
        return found.name if found is not None else Shown(name, language, name, language, False, False)


def budget_texts(session: Session, budget: Budget, reader: str | None) -> BudgetTexts:
    """A budget's texts in the reader's language where written in it (its conversation's) or an accepted
    translation of them as they are now exists (:class:`concord.store.models.BudgetTranslation`);
    ``reader`` None: as written."""
    language = budget.conversation.language
    reader = reader or language
    projects = {
        project.id: project
        for project in session.scalars(select(BudgetProject).where(BudgetProject.budget_id == budget.id))
    }
    found: dict[tuple[int | None, str], dict[str, str]] = {}
    accepted = session.scalars(
        select(BudgetTranslation).where(
            BudgetTranslation.budget_id == budget.id, BudgetTranslation.status == TranslationStatus.ACCEPTED
        )
    )
    for translation in accepted:
        owner: Budget | BudgetProject | None = (
            budget if translation.project_id is None else projects.get(translation.project_id)
        )
        if owner is not None and translation.original == getattr(owner, translation.subject, None):
            found.setdefault((translation.project_id, translation.subject), {})[translation.language] = translation.text

    def shown(owner: Budget | BudgetProject, project_id: int | None, subject: str) -> Shown:
        return shown_to(reader, getattr(owner, subject) or "", language, found.get((project_id, subject), {}))

    return BudgetTexts(
        shown(budget, None, "name"),
        shown(budget, None, "description"),
        {
            project.number: SpaceTexts(shown(project, project.id, "name"), shown(project, project.id, "description"))
            for project in projects.values()
        },
    )
