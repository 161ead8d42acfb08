"""Translations of what people wrote: every statement, topic and description in its original language
and in any number of others, so that readers of different languages read the same conversation.

A reader sees a text in their own language when it was written in it or an accepted translation into
it exists, marked as translated, the original a tap away; otherwise the original, with an invitation to
translate it. Moderators' translations are accepted at once. A volunteer's is shown at once only where
a participant's statement would be (post-moderation, participants may write) and no translation is
shown yet; otherwise it waits for a moderator, whose decision and reason go to the public log. Votes
belong to the statement, not to its wording: nothing here touches the analysis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from concord.languages import reads
from concord.service.accounts.moderators import user_of
from concord.service.caller import Caller
from concord.service.clock import now_ms
from concord.service.conversations.lifecycle import conversation_by_public_id, lock_for_writing
from concord.service.conversations.moderation import published_reason
from concord.service.conversations.settings import ConversationRecord
from concord.service.conversations.statements import StatementRecord, clean_text, statement_by_number
from concord.service.conversations.wordings import Shown, wordings
from concord.service.errors import Conflict, Forbidden, Invalid, Label, NotFound
from concord.service.participation.joining import acting_participant
from concord.service.ratelimit import TRANSLATIONS
from concord.service.spaces import moderates, require_moderator, validate_language
from concord.service.text import checked_text
from concord.states import Moderation, StatementStatus, Translated, TranslationStatus
from concord.store.models import (
    MAX_ID,
    Conversation,
    Participant,
    Statement,
    Translation,
    TranslationDecision,
    User,
)

if TYPE_CHECKING:
    from concord.service.runtime import Runtime

# A translation may be longer than its original (Dari and Pashto often are).
LENGTHS = {Translated.STATEMENT: 2_000, Translated.TOPIC: 600, Translated.DESCRIPTION: 20_000}


# --- what is translated ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Original:
    """A text of a conversation that can be translated, as it is now."""

    subject: Translated
    text: str
    language: str
    # Whose topic or description it is: two conversations may have the same topic, each with its own
    # translations (a statement's are its own already).
    conversation_id: int | None = None
    number: int | None = None  # a statement's: its number in the conversation
    statement_id: int | None = None  # a statement's: what its translations are stored under
    shown: bool = True  # readers see it (a statement waiting for or removed by a moderator is not)

    @classmethod
    def of_statement(cls, statement: Statement) -> Original:
        shown = statement.status == StatementStatus.ACCEPTED
        return cls(
            Translated.STATEMENT, statement.text, statement.language, None, statement.number, statement.id, shown
        )

    @property
    def key(self) -> str:
        """How PO files and exports name it: "topic", "description", "statement 12"."""
        return f"statement {self.number}" if self.statement_id is not None else str(self.subject)


def subject_of(value: object) -> Translated:
    try:
        return Translated(str(value))
    except ValueError:
        raise Invalid("a translation is of a 'statement', the 'topic' or the 'description'", field="subject") from None


def original_of(session: Session, conversation: Conversation, subject: Translated, number: int | None) -> Original:
    if subject == Translated.STATEMENT:
        if number is None:
            raise Invalid("say which statement the translation is of", field="statement")
        return Original.of_statement(statement_by_number(session, conversation, number))
    if subject == Translated.DESCRIPTION and not conversation.description:
        raise NotFound("this conversation has no description to translate")
    text = conversation.topic if subject == Translated.TOPIC else conversation.description
    return Original(subject, text, conversation.language, conversation.id)


def translatable(session: Session, conversation: Conversation) -> list[Original]:
    """What readers see, so what is worth translating: the topic, the description, shown statements."""
    found = [Original(Translated.TOPIC, conversation.topic, conversation.language, conversation.id)]
    if conversation.description:
        found.append(Original(Translated.DESCRIPTION, conversation.description, conversation.language, conversation.id))
    statements = session.scalars(
        select(Statement)
        .where(Statement.conversation_id == conversation.id, Statement.status == StatementStatus.ACCEPTED)
        .order_by(Statement.number)
    )
    found += [Original.of_statement(s) for s in statements]
    return found


def accepted_translation(session: Session, original: Original, language: str) -> Translation | None:
    """The translation readers of ``language`` see now (of the text as it is now)."""
    return session.scalar(_same_text(original, language).where(Translation.status == TranslationStatus.ACCEPTED))


def _same_text(original: Original, language: str):
    query = select(Translation).where(
        Translation.subject == original.subject,
        Translation.language == language,
        Translation.original == original.text,
    )
    if original.statement_id is not None:
        return query.where(Translation.statement_id == original.statement_id)
    return _of_conversation(query.where(Translation.statement_id.is_(None)), original)


def _of_conversation(query, original: Original):
    if original.conversation_id is None:
        return query
    return query.where(Translation.conversation_id == original.conversation_id)


# --- writing and deciding -------------------------------------------------------------------------


def cleaned_translation(original: Original, text: object) -> str:
    """A translation's text under the rule of what it translates: statements and topics are one line
    (spacing tidied), a description may have several."""
    limit = LENGTHS[original.subject]
    if isinstance(text, str) and not text.strip():
        raise Invalid("write the translation first", "statement_empty", field="text")
    if original.subject == Translated.DESCRIPTION:
        return checked_text(text, Label("a translation"), limit, multiline=True, field="text").strip()
    if original.subject == Translated.TOPIC:
        return " ".join(checked_text(text, Label("a translation"), limit, field="text").split())
    return clean_text(text, limit)


def add_translation(
    session: Session,
    conversation: Conversation,
    original: Original,
    language: str,
    text: object,
    *,
    translator: Participant | None = None,
    moderator: User | None = None,
) -> Translation:
    """A moderator's translation (accepted at once, in the place of the one shown before) or a
    volunteer's (see the module's rule). Offering what is already shown is refused; a moderator
    repeating the shown text changes nothing."""
    language = validate_language(language)
    if language == original.language:
        raise Invalid(
            "this text is written in that language already: choose another one", "same_language", field="language"
        )
    text = cleaned_translation(original, text)
    lock_for_writing(session, conversation)  # one accepted translation per text and language
    shown = accepted_translation(session, original, language)
    if shown is not None and shown.text == text:
        if moderator is not None:
            return shown
        raise Conflict("this translation is shown already", "translation_shown", field="text")
    if moderator is None:
        if not original.shown:
            raise Forbidden("only shown statements can be translated", "statement_unavailable")
        waiting = session.scalar(
            _same_text(original, language).where(
                Translation.status == TranslationStatus.PENDING, Translation.text == text
            )
        )
        if waiting is not None:
            raise Conflict("this translation is waiting for a moderator already", "translation_waiting", field="text")
    at_once = moderator is not None or (
        shown is None and conversation.moderation == Moderation.POST and conversation.participants_can_write
    )
    if at_once and shown is not None:
        shown.status = TranslationStatus.REPLACED
        session.flush()
    translation = Translation(
        conversation_id=conversation.id,
        subject=original.subject,
        statement_id=original.statement_id,
        language=language,
        text=text,
        original=original.text,
        status=TranslationStatus.ACCEPTED if at_once else TranslationStatus.PENDING,
        translator_id=translator.id if translator is not None else None,
        moderator_id=moderator.id if moderator is not None else None,
        created_ms=now_ms(),
    )
    session.add(translation)
    session.flush()
    return translation


def decide_translation(
    session: Session,
    user: User | None,
    conversation: Conversation,
    translation: Translation,
    status: TranslationStatus | str,
    reason: str,
) -> TranslationDecision:
    """Accept a volunteer's translation (in the place of the one shown) or reject it with a reason
    (required, and published); taking back an accepted one is a rejection too."""
    moderator = require_moderator(session, user, conversation.space)
    if status not in (TranslationStatus.ACCEPTED, TranslationStatus.REJECTED):
        raise Invalid("a translation is 'accepted' or 'rejected'", field="status")
    status = TranslationStatus(status)
    missing = Invalid(
        "say why a translation is rejected: the reason is published in the moderation log",
        "reason_required",
        field="reason",
    )
    reason = published_reason(reason, missing if status == TranslationStatus.REJECTED else None)
    if status == TranslationStatus.ACCEPTED:
        if translation.status == TranslationStatus.REPLACED:
            raise Conflict("a newer translation of this text is shown: write a new one instead", "translation_replaced")
        lock_for_writing(session, conversation)
        session.execute(
            update(Translation)
            .where(
                Translation.conversation_id == conversation.id,
                Translation.subject == translation.subject,
                Translation.statement_id.is_(None)
                if translation.statement_id is None
                else Translation.statement_id == translation.statement_id,
                Translation.language == translation.language,
                Translation.status == TranslationStatus.ACCEPTED,
                Translation.id != translation.id,
            )
            .values(status=TranslationStatus.REPLACED)
        )
    translation.status = status
    decision = TranslationDecision(
        translation_id=translation.id, status=status, reason=reason, moderator_id=moderator.id, created_ms=now_ms()
    )
    session.add(decision)
    session.flush()
    return decision


def translation_by_id(session: Session, conversation: Conversation, translation_id: int) -> Translation:
    found = session.get(Translation, translation_id) if 0 <= translation_id <= MAX_ID else None
    if found is None or found.conversation_id != conversation.id:
        raise NotFound("no translation %(number)s in this conversation", number=translation_id)
    return found


def set_original_language(
    session: Session, user: User | None, conversation: Conversation, number: int, language: str
) -> Statement:
    """A moderator corrects the language a statement was written in (a guess from its script may be
    wrong). Translations into that language are then no longer needed, and stay stored."""
    require_moderator(session, user, conversation.space)
    statement = statement_by_number(session, conversation, number)
    statement.language = validate_language(language)
    return statement


# --- what is missing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """How much of a conversation readers of one language can read in it."""

    language: str
    statements: int  # shown statements readable in it (written in it, or translated)
    of: int  # shown statements
    topic: bool
    description: bool | None  # None: the conversation has no description
    pending: int  # volunteers' translations into it waiting for a moderator


@dataclass(frozen=True)
class TranslationView:
    """A stored translation with what it translates, as the API and the queue show it."""

    id: int
    subject: Translated
    statement: int | None
    language: str
    text: str
    original: str
    status: TranslationStatus
    by_volunteer: bool
    created_ms: int


def view_of(translation: Translation, number: int | None) -> TranslationView:
    return TranslationView(
        id=translation.id,
        subject=translation.subject,
        statement=number,
        language=translation.language,
        text=translation.text,
        original=translation.original,
        status=translation.status,
        by_volunteer=translation.translator_id is not None,
        created_ms=translation.created_ms,
    )


def stored_translations(
    session: Session, conversation: Conversation, *, language: str | None = None, status: TranslationStatus | None
) -> list[TranslationView]:
    query = (
        select(Translation, Statement.number)
        .outerjoin(Statement, Statement.id == Translation.statement_id)
        .where(Translation.conversation_id == conversation.id)
        .order_by(Translation.id)
    )
    if language is not None:
        query = query.where(Translation.language == language)
    if status is not None:
        query = query.where(Translation.status == status)
    return [view_of(translation, number) for translation, number in session.execute(query)]


def reading_languages(session: Session, conversation: Conversation, wanted: Sequence[str]) -> list[str]:
    """The languages a conversation is read in: those asked for (the interface's), those it was written
    in, and those it has translations into (accepted or waiting)."""
    written = session.scalars(select(Statement.language).where(Statement.conversation_id == conversation.id).distinct())
    translated = session.scalars(
        select(Translation.language)
        .where(
            Translation.conversation_id == conversation.id,
            Translation.status.in_([TranslationStatus.ACCEPTED, TranslationStatus.PENDING]),
        )
        .distinct()
    )
    found: list[str] = []
    for tag in [*wanted, conversation.language, *written, *translated]:
        if not any(reads(tag, known) and reads(known, tag) for known in found):
            found.append(tag)
    return found


def coverage(
    session: Session, conversation: Conversation, languages: Sequence[str], originals: list[Original]
) -> list[Coverage]:
    accepted = stored_translations(session, conversation, status=TranslationStatus.ACCEPTED)
    pending = stored_translations(session, conversation, status=TranslationStatus.PENDING)
    found = []
    for language in languages:
        readable = {(t.subject, t.statement, t.original) for t in accepted if reads(language, t.language)}

        def can_read(original: Original, language: str = language, readable: set = readable) -> bool:
            return reads(language, original.language) or (original.subject, original.number, original.text) in readable

        statements = [o for o in originals if o.subject == Translated.STATEMENT]
        description = next((o for o in originals if o.subject == Translated.DESCRIPTION), None)
        found.append(
            Coverage(
                language=language,
                statements=sum(can_read(o) for o in statements),
                of=len(statements),
                topic=can_read(originals[0]),
                description=can_read(description) if description is not None else None,
                pending=sum(1 for t in pending if t.language == language),
            )
        )
    return found


# --- use cases ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Offered:
    translation: TranslationView
    token: str | None  # the volunteer's participant token, for their client to keep (None for a moderator)


def translate(
    runtime: Runtime,
    caller: Caller,
    public_id: str,
    subject: Translated | str,
    number: int | None,
    language: str,
    text: str,
) -> Offered:
    """A moderator of the conversation translates (accepted at once); anyone else as a volunteer,
    joining as a participant where anyone with the link may, within the limit on translations."""
    subject = subject_of(subject)
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        original = original_of(session, conversation, subject, number)
        user = user_of(session, caller)
        if user is not None and moderates(session, user, conversation.space):
            added = add_translation(session, conversation, original, language, text, moderator=user)
            return Offered(view_of(added, original.number), None)
        if not conversation.is_open:
            raise Conflict("this conversation is closed", "conversation_closed")
        joined = acting_participant(session, conversation, caller, runtime.limiter)
        runtime.limiter.check(session.connection(), TRANSLATIONS, joined.participant.id)
        added = add_translation(session, conversation, original, language, text, translator=joined.participant)
        return Offered(view_of(added, original.number), joined.token)


def decide(
    runtime: Runtime, caller: Caller, public_id: str, translation_id: int, status: TranslationStatus | str, reason: str
) -> TranslationView:
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        translation = translation_by_id(session, conversation, translation_id)
        decide_translation(session, user_of(session, caller), conversation, translation, status, reason)
        number = session.scalar(select(Statement.number).where(Statement.id == translation.statement_id))
        return view_of(translation, number)


def list_translations(
    runtime: Runtime, caller: Caller, public_id: str, language: str | None, status: TranslationStatus | None
) -> list[TranslationView]:
    """Accepted translations for anyone; moderators may ask for those waiting, rejected or all (None)."""
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        if status != TranslationStatus.ACCEPTED:
            require_moderator(session, user_of(session, caller), conversation.space)
        tag = validate_language(language) if language else None
        return stored_translations(session, conversation, language=tag, status=status)


def conversation_coverage(runtime: Runtime, public_id: str, wanted: Sequence[str]) -> list[Coverage]:
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        languages = reading_languages(session, conversation, wanted)
        return coverage(session, conversation, languages, translatable(session, conversation))


def correct_language(runtime: Runtime, caller: Caller, public_id: str, number: int, language: str) -> StatementRecord:
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        corrected = set_original_language(session, user_of(session, caller), conversation, number, language)
        return StatementRecord.of(corrected)


@dataclass(frozen=True)
class TranslationPage:
    """What the page for translating one text shows: the text, the translations readers see now, and
    who is translating."""

    conversation: ConversationRecord
    topic: Shown  # as the reader sees it (the page's way back to the conversation)
    original: Original
    shown: dict[str, str]  # accepted translations by language
    is_moderator: bool


def translation_page(
    runtime: Runtime,
    caller: Caller,
    public_id: str,
    subject: Translated | str,
    number: int | None,
    reader: str | None = None,
) -> TranslationPage:
    """``reader``: the reader's language (None: the conversation's own)."""
    subject = subject_of(subject)
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        topic = wordings(session, conversation, reader, numbers=()).topic
        original = original_of(session, conversation, subject, number)
        is_moderator = moderates(session, user_of(session, caller), conversation.space)
        if not original.shown:
            if not is_moderator:
                raise NotFound("no statement %(number)s in this conversation", number=number)
        shown = {
            t.language: t.text
            for t in session.scalars(_any_language(original).where(Translation.status == TranslationStatus.ACCEPTED))
        }
        record = ConversationRecord.of(conversation)
        return TranslationPage(record, topic, original, dict(sorted(shown.items())), is_moderator)


def _any_language(original: Original):
    query = select(Translation).where(Translation.subject == original.subject, Translation.original == original.text)
    if original.statement_id is not None:
        return query.where(Translation.statement_id == original.statement_id)
    return _of_conversation(query.where(Translation.statement_id.is_(None)), original)


@dataclass(frozen=True)
class Queue:
    """A moderator's translation queue of one conversation, for one language."""

    conversation: ConversationRecord
    language: str
    coverage: list[Coverage]
    pending: list[tuple[Original, TranslationView]]  # volunteers' translations waiting, every language
    missing: list[Original]  # not readable in ``language`` yet
    translated: list[tuple[Original, str]]  # translated into ``language``: (original, its translation)


def translation_queue(runtime: Runtime, caller: Caller, public_id: str, language: str, wanted: Sequence[str]) -> Queue:
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        require_moderator(session, user_of(session, caller), conversation.space)
        language = validate_language(language)
        originals = translatable(session, conversation)
        languages = reading_languages(session, conversation, [*wanted, language])
        by_key = {(o.subject, o.number, o.text): o for o in originals}
        pending = [
            (by_key[t.subject, t.statement, t.original], t)
            for t in stored_translations(session, conversation, status=TranslationStatus.PENDING)
            if (t.subject, t.statement, t.original) in by_key
        ]
        accepted = {
            (t.subject, t.statement, t.original): t.text
            for t in stored_translations(session, conversation, status=TranslationStatus.ACCEPTED)
            if reads(language, t.language)
        }
        missing, translated = [], []
        for original in originals:
            if reads(language, original.language):
                continue
            text = accepted.get((original.subject, original.number, original.text))
            if text is None:
                missing.append(original)
            else:
                translated.append((original, text))
        return Queue(
            conversation=ConversationRecord.of(conversation),
            language=language,
            coverage=coverage(session, conversation, languages, originals),
            pending=pending,
            missing=missing,
            translated=translated,
        )
