"""The SMS texts, in English, Dari and Pashto (the interface catalogues: ``python scripts/catalogs.py``
extracts them), written short: a Dari or Pashto message holds 70 characters. A reply is worded from
the dialogue's :class:`~concord.service.sms.dialogue.Reply` in the phone's language, numbers in its
digits, and fitted in at most three messages: a statement too long for them is cut at a word, with
its number, and ``#12`` fetches all of it a page at a time (``#12-2`` the second page); a question's
options too many for one reply come a page at a time (``+2``)."""

from __future__ import annotations

from collections.abc import Callable

from babel.support import NullTranslations

from concord.service.sms.dialogue import Card, Note, Page, Question, Reply, Say
from concord.sms.messages import cut, fits, longest_fitting

Catalogue = Callable[[str], NullTranslations]  # an interface locale (en, fa_AF, ps) → its translations
LOCALES = {"en": "en", "fa-AF": "fa_AF", "ps": "ps"}
TOPIC_LENGTH = 60  # characters of a topic named in a reply
NOTES_ROOM = "ـ" * 80  # room kept for the notes before a question's options (a UCS-2 letter: the most room)
_EASTERN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")  # Dari and Pashto write Extended Arabic-Indic digits


def _(message: str) -> str:
    """Marks an SMS text for the catalogues; it is translated when a reply is worded."""
    return message


SAYINGS = {
    Say.WELCOME: _("Welcome: %(topic)s"),
    Say.WELCOME_BACK: _("Welcome back."),
    Say.NOT_CONNECTED: _("This number takes part in no conversation now."),
    Say.CLOSED: _("This conversation is closed. Thank you."),
    Say.CANNOT_JOIN: _("Send your invitation code to join."),
    Say.STOPPED: _("You left. We will not text you. Write any time to come back."),
    Say.ALL_DONE: _("You answered every statement. Thank you! Write later for new ones."),
    Say.NOT_AN_OPTION: _("Please answer with one of the numbers."),
    Say.ANSWER_WITH: _("Please answer with a number."),
    Say.CONFIRM: _("Send 9 to submit your text as a statement."),
    Say.SUBMITTED: _("Thank you: statement #%(number)s waits for a moderator."),
    Say.PUBLISHED: _("Thank you: your statement is #%(number)s."),
    Say.DUPLICATE: _("That statement is there already: #%(number)s."),
    Say.TOO_LONG: _("Too long: at most %(number)s characters."),
    Say.WRITING_CLOSED: _("Statements cannot be written here."),
    Say.TOO_MANY_STATEMENTS: _("Too many statements at once: try later."),
    Say.UNAVAILABLE: _("That statement was removed."),
    Say.NO_SUCH_STATEMENT: _("There is no statement #%(number)s."),
}
ANSWERS = _("1 agree, 2 disagree, 3 pass, 0 stop")
MORE = _("Send #%(number)s for all of it.")
NEXT_PAGE = _("Next: #%(number)s")
MORE_OPTIONS = _("More: +%(number)s")
INVITATION = _("You are invited: %(topic)s. Reply to take part; 0 to stop.")


class Words:
    """The SMS texts in one language."""

    def __init__(self, language: str, catalogue: Catalogue) -> None:
        self.language = language if language in LOCALES else "en"
        self.gettext = catalogue(LOCALES[self.language]).gettext

    def number(self, value: int | str) -> str:
        return str(value) if self.language == "en" else str(value).translate(_EASTERN)

    def say(self, message: str, **values: object) -> str:
        return self.gettext(message) % values if values else self.gettext(message)

    def separator(self) -> str:
        return ", " if self.language == "en" else "، "

    def question_mark(self) -> str:
        return "?" if self.language == "en" else "؟"


def _short(text: str, length: int = TOPIC_LENGTH) -> str:
    if len(text) <= length:
        return text
    return cut(text[:length].rsplit(" ", 1)[0] if " " in text[:length] else text[:length])


def reply_text(reply: Reply, catalogue: Catalogue) -> str:
    """The reply as the phone reads it, in at most three messages."""
    words = Words(reply.language, catalogue)
    lines = [_note(words, note, reply.topic) for note in reply.notes]
    if reply.question is not None:
        return _question(words, lines, reply.question)
    if reply.card is not None:
        return _with_card(words, lines, reply.card)
    if reply.page is not None:
        return _page(words, reply.page)
    return "\n".join(lines)


def invitation_text(topic: str, language: str, catalogue: Catalogue) -> str:
    """The invitation texted to a phone on the convener's list."""
    words = Words(language, catalogue)
    return words.say(INVITATION, topic=_short(topic))


def _note(words: Words, note: Note, topic: str | None) -> str:
    message = SAYINGS[note.say]
    if "%(topic)s" in message:
        return words.say(message, topic=_short(topic or ""))
    if "%(number)s" in message:
        return words.say(message, number=words.number(note.number if note.number is not None else ""))
    return words.say(message)


def _question(words: Words, lines: list[str], question: Question) -> str:
    """A declared question and its numbered options; as many as three messages hold, with a pointer to
    the next page (``+2``) when there are more (a country's 34 provinces, say). Pages are cut the same
    whatever notes come before the first (room for them is kept, counted as UCS-2), so that ``+2``
    brings the options that followed those shown."""
    options = [f"{words.number(position)} {option}" for position, option in enumerate(question.options, 1)]

    def render(head: list[str], start: int, end: int, page: int) -> str:
        more = [words.say(MORE_OPTIONS, number=words.number(page + 1))] if end < len(options) else []
        asked = f"{question.name}{words.question_mark()}"
        return "\n".join([*head, asked, words.separator().join(options[start:end]), *more])

    start, page = 0, 1
    while True:
        end = start + 1  # one option at least, whatever its length
        while end < len(options) and fits(render([NOTES_ROOM], start, end + 1, page)):
            end += 1
        if page >= question.page or end == len(options):
            return render(lines if page == 1 else [], start, end, page)
        start, page = end, page + 1


def _with_card(words: Words, lines: list[str], card: Card) -> str:
    mark = f"#{words.number(card.number)}"

    def render(text: str, was_cut: bool) -> str:
        more = [words.say(MORE, number=words.number(card.number))] if was_cut else []
        return "\n".join([*lines, f"{mark} {text}", *more, words.say(ANSWERS)])

    text, was_cut = longest_fitting(card.text, render)
    return render(text, was_cut)


def _page(words: Words, page: Page) -> str:
    """Page ``page.page`` of a statement's whole text: each page as much as three messages hold."""
    rest, number = page.text, 1
    while True:
        mark = f"#{words.number(page.number)}" + (f" ({words.number(number)})" if number > 1 else "")
        following = f"{page.number}-{number + 1}"

        def render(text: str, was_cut: bool, mark: str = mark, following: str = following) -> str:
            more = [words.say(NEXT_PAGE, number=words.number(following))] if was_cut else []
            return "\n".join([f"{mark} {text}", *more])

        shown, was_cut = longest_fitting(rest, render)
        if number >= page.page or not was_cut:
            return render(shown, was_cut)
        marker = "..." if shown.endswith("...") else "…"
        rest = rest[len(shown) - len(marker) :].lstrip()
        number += 1
