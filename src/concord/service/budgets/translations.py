"""Translations of a budget's name and description and of its projects' names and descriptions, so that
a Dari reader of a budget written in English reads it in Dari (marked as translated, the original a tap
away) on its page and its results.

They are kept as :class:`concord.store.models.BudgetTranslation` rows, not as the budget's
conversation's :class:`~concord.store.models.Translation` rows: those are the conversation's statements,
topic and description, and flow into its PO files, its exports' ``translations.csv``, its translation
queue and the API's subjects, none of which know budgets or projects. They are logged, as those are, in
the budget's conversation's log (``budget-translation`` entries, which ``concord verify`` replays). A
budget's texts are its space's moderators' to write, so theirs to translate: accepted at once, in the
place of the one shown before (kept as ``replaced``), as a moderator's translation of a statement is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from concord.service.accounts.moderators import user_of
from concord.service.budgets.lookups import budget_by_public_id, project_by_number
from concord.service.budgets.records import BudgetRecord
from concord.service.caller import Caller
from concord.service.conversations.lifecycle import lock_for_writing
from concord.service.conversations.wordings import BudgetTexts, budget_texts
from concord.service.errors import Invalid, NotFound
from concord.service.spaces import moderates, require_moderator, validate_language
from concord.service.translations.spaces import accept_in_place, cleaned, subject_of
from concord.states import TranslationStatus
from concord.store.models import Budget, BudgetProject, BudgetTranslation, User

if TYPE_CHECKING:
    from concord.service.runtime import Runtime


@dataclass(frozen=True)
class BudgetTranslationRecord:
    id: int
    budget: str  # its public id
    project: int | None  # the project's number; None: the budget's own text
    subject: str  # "name" or "description"
    language: str
    text: str
    original: str
    status: TranslationStatus


def _original(budget: Budget, project: BudgetProject | None, subject: str) -> str:
    text = getattr(project if project is not None else budget, subject) or ""
    if not text:
        raise NotFound("there is no description to translate")
    return text


def add_budget_translation(
    session: Session,
    user: User | None,
    budget: Budget,
    project: BudgetProject | None,
    subject: str,
    language: str,
    text: object,
) -> BudgetTranslation:
    """A moderator's translation of the budget's or a project's name or description, accepted at once in
    the place of the one shown before; repeating the shown one changes nothing."""
    moderator = require_moderator(session, user, budget.space)
    subject = subject_of(subject)
    language = validate_language(language)
    if language == budget.conversation.language:
        raise Invalid(
            "this text is written in that language already: choose another one", "same_language", field="language"
        )
    original = _original(budget, project, subject)
    text = cleaned(subject, text)
    lock_for_writing(session, budget.conversation)  # one accepted translation per text and language
    text_of = {
        "budget_id": budget.id,
        "project_id": project.id if project is not None else None,
        "subject": subject,
        "language": language,
    }
    return accept_in_place(session, BudgetTranslation, text_of, text, original, moderator)


# --- use cases ------------------------------------------------------------------------------------


def translate_budget(
    runtime: Runtime,
    caller: Caller,
    public_id: str,
    project: int | None,
    subject: str,
    language: str,
    text: str,
) -> BudgetTranslationRecord:
    """``project``: a project's number, or None for the budget's own name or description."""
    with runtime.transaction() as session:
        budget = budget_by_public_id(session, public_id)
        found = project_by_number(session, budget, project) if project is not None else None
        added = add_budget_translation(session, user_of(session, caller), budget, found, subject, language, text)
        return BudgetTranslationRecord(
            added.id, budget.public_id, project, added.subject, added.language, added.text, added.original, added.status
        )


@dataclass(frozen=True)
class BudgetTranslationPage:
    """The page for translating one of a budget's texts: the text, the budget's name as the reader sees
    it, and the translations readers see now by language."""

    budget: BudgetRecord
    texts: BudgetTexts
    project: int | None
    subject: str
    original: str
    shown: dict[str, str]
    is_moderator: bool


def budget_translation_page(
    runtime: Runtime, caller: Caller, public_id: str, project: int | None, subject: str, reader: str
) -> BudgetTranslationPage:
    subject = subject_of(subject)
    with runtime.transaction() as session:
        budget = budget_by_public_id(session, public_id)
        found = project_by_number(session, budget, project) if project is not None else None
        original = _original(budget, found, subject)
        accepted = session.scalars(
            select(BudgetTranslation).where(
                BudgetTranslation.budget_id == budget.id,
                BudgetTranslation.project_id.is_(None) if found is None else BudgetTranslation.project_id == found.id,
                BudgetTranslation.subject == subject,
                BudgetTranslation.original == original,
                BudgetTranslation.status == TranslationStatus.ACCEPTED,
            )
        )
        return BudgetTranslationPage(
            BudgetRecord.of(budget),
            budget_texts(session, budget, reader),
            project,
            subject,
            original,
            dict(sorted((t.language, t.text) for t in accepted)),
            moderates(session, user_of(session, caller), budget.space),
        )
