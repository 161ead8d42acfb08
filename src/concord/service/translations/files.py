"""Translators working offline: a conversation's texts for one language as a PO file
(:mod:`concord.formats.po`), and the file back, translated. A PO file is all or nothing: a line that
cannot be stored refuses the whole file, naming that line, and nothing is stored."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from concord.formats.errors import InputFileError
from concord.formats.po import MEDIA_TYPE, PoEntry, read_po_file, write_po_file
from concord.languages import UnknownLanguage, canonical, language_name, reads
from concord.service.accounts.moderators import user_of
from concord.service.caller import Caller
from concord.service.conversations.exchange import Download
from concord.service.conversations.lifecycle import conversation_by_public_id
from concord.service.errors import Invalid, ServiceError
from concord.service.spaces import require_moderator, validate_language
from concord.service.translations.texts import (
    Original,
    accepted_translation,
    add_translation,
    stored_translations,
    translatable,
)
from concord.states import Translated, TranslationStatus
from concord.store.models import Conversation, User

if TYPE_CHECKING:
    from concord.service.runtime import Runtime

MAX_PO_BYTES = 4 * 1024 * 1024  # thousands of statements in two languages
STATEMENT_KEY = re.compile(r"^statement (\d{1,10})$")


def po_entries(session: Session, conversation: Conversation, language: str) -> list[PoEntry]:
    """Every text readers of ``language`` see, but for those written in it: each with the translation
    shown now ("" while there is none) and, for the translator, the language it was written in."""
    shown = {
        (t.subject, t.statement, t.original): t.text
        for t in stored_translations(session, conversation, language=language, status=TranslationStatus.ACCEPTED)
    }
    return [
        PoEntry(
            key=original.key,
            original=original.text,
            translation=shown.get((original.subject, original.number, original.text), ""),
            notes=[f"written in {language_name(original.language)} ({original.language})"],
        )
        for original in translatable(session, conversation)
        if not reads(language, original.language)
    ]


def po_file(session: Session, conversation: Conversation, language: str) -> bytes:
    language = validate_language(language)
    about = (
        f"{conversation.topic}\n"
        f"The texts of Concord conversation {conversation.public_id}, to translate into "
        f"{language_name(language)} ({language}).\n"
        "Leave msgctxt and msgid as they are; write each translation in msgstr."
    )
    return write_po_file(po_entries(session, conversation, language), language=language, project="Concord", about=about)


@dataclass
class PoImport:
    """What a PO file changed, and what it left out."""

    stored: int = 0  # new translations, now shown
    unchanged: int = 0  # the same as shown already
    untranslated: int = 0  # empty msgstr
    fuzzy: int = 0  # marked for checking by the translator's tool
    stale: list[int] = field(default_factory=list)  # lines whose original has changed since the export
    written_in_it: int = 0  # texts written in the file's language: nothing to translate


def import_po(
    session: Session, user: User | None, conversation: Conversation, language: str, data: bytes, name: str
) -> PoImport:
    """Store a translated PO file's translations as the moderator's own; or refuse the whole file."""
    moderator = require_moderator(session, user, conversation.space)
    language = validate_language(language)
    try:
        parsed = read_po_file(data, name)
    except InputFileError as error:
        raise Invalid("%(problem)s", "malformed_file", field="file", problem=str(error)) from None
    if parsed.language:
        try:
            declared = canonical(parsed.language)
        except UnknownLanguage:
            raise Invalid(
                "%(file)s: its header names the language %(declared)s, which Concord does not know",
                "unknown_language",
                field="file",
                file=name,
                declared=parsed.language,
            ) from None
        if declared != language:
            raise Invalid(
                "%(file)s is a translation into %(declared)s (its header says so), not %(language)s",
                "wrong_language",
                field="file",
                file=name,
                declared=declared,
                language=language,
            )
    originals = {original.key: original for original in translatable(session, conversation)}
    outcome = PoImport()
    for entry in parsed.entries:
        original = _original_named(entry, originals, conversation, name)
        if original.text != entry.original:
            outcome.stale.append(entry.line)
        elif reads(language, original.language):
            outcome.written_in_it += 1
        elif not entry.translation.strip():
            outcome.untranslated += 1
        elif entry.fuzzy:
            outcome.fuzzy += 1
        else:
            shown = accepted_translation(session, original, language)
            try:
                added = add_translation(
                    session, conversation, original, language, entry.translation, moderator=moderator
                )
            except ServiceError as error:
                raise Invalid(
                    "%(file)s, line %(line)s: %(problem)s",
                    error.reason,
                    field="file",
                    file=name,
                    line=entry.line,
                    problem=error.message,
                ) from None
            if shown is not None and added.id == shown.id:
                outcome.unchanged += 1
            else:
                outcome.stored += 1
    return outcome


def _original_named(entry: PoEntry, originals: dict[str, Original], conversation: Conversation, name: str) -> Original:
    found = originals.get(entry.key)
    if found is not None:
        return found
    number = STATEMENT_KEY.match(entry.key)
    if number is not None:
        problem = f"no shown statement {number.group(1)} in conversation {conversation.public_id}"
    elif entry.key == Translated.DESCRIPTION:
        problem = "this conversation has no description"
    else:
        problem = f"msgctxt {entry.key!r} names no text (use topic, description or statement N)"
    raise Invalid(
        "%(file)s, line %(line)s: %(problem)s",
        "unknown_text",
        field="file",
        file=name,
        line=entry.line,
        problem=problem,
    )


# --- use cases ------------------------------------------------------------------------------------


def po_download(runtime: Runtime, public_id: str, language: str) -> Download:
    """The texts to translate into ``language`` as a PO file: public texts only, so anyone may have it."""
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        data = po_file(session, conversation, language)
        tag = validate_language(language)
        return Download(f"{public_id}.{tag}.po", f"{MEDIA_TYPE}; charset=utf-8", data)


def check_upload_allowed(runtime: Runtime, caller: Caller, public_id: str) -> None:
    """Refuse a PO file before it is read, unless the caller moderates the conversation."""
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        require_moderator(session, user_of(session, caller), conversation.space)


def po_upload(runtime: Runtime, caller: Caller, public_id: str, language: str, data: bytes) -> PoImport:
    """A translated PO file from a moderator of the conversation."""
    if len(data) > MAX_PO_BYTES:
        raise Invalid("a PO file is limited to %(megabytes)s MB", field="file", megabytes=MAX_PO_BYTES // 2**20)
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        if not data.strip():
            raise Invalid("the upload is empty: attach the translated PO file", field="file")
        return import_po(session, user_of(session, caller), conversation, language, data, f"{language}.po")
