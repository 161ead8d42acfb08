"""The dialogue a phone holds with a conversation by SMS, one text in, one reply out.

The first text from a phone, whatever it says, joins it (by invitation: the text is the code), in the
language of its script (:func:`concord.service.sms.words.language_of`); the reply asks the declared
questions the conversation has, each answered by a number from a short list, then puts the first
statement, drawn as the web app draws it (:func:`concord.service.participation.card.next_statement`).
1, 2, 3 agree, disagree, pass and bring the next; 0 or STOP (or its Dari, Pashto word) ends it: the
phone is not texted again until it writes, and writing again takes it back where it was. Any other
text may become a statement: the reply asks for a 9 to send it, moderated like any other. ``#12``
fetches the whole of statement 12 when a reply had to shorten it, and ``+2`` the second page of a
question's options when they are too many for one reply.

Votes go through the vote path of the web app's forms (:func:`concord.service.participation.voting.record_vote`:
the same checks, rate limit and log entries), statements through the statement use case's steps.
What a reply says is a :class:`Reply` record; the gateway front door (:mod:`concord.sms`) words it in
the phone's language and fits it in SMS messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from concord.service.clock import now_ms
from concord.service.conversations.lifecycle import close_if_due
from concord.service.conversations.statements import add_statement, agree_as_author
from concord.service.conversations.wordings import shown_to, statement_translations
from concord.service.errors import Conflict, Forbidden, Invalid, RateLimited
from concord.service.participation.card import next_statement
from concord.service.participation.joining import join, set_attributes
from concord.service.participation.voting import record_vote
from concord.service.ratelimit import SMS_NUMBERS, SMS_PHONES, STATEMENTS
from concord.service.sms.numbers import is_gateway, number_row
from concord.service.sms.phones import phone_hash, phone_row
from concord.service.sms.words import Said, language_of, read
from concord.states import Access, StatementStatus, VoteChoice
from concord.store.models import Conversation, Participant, SmsPhone, Statement, VoteEvent

if TYPE_CHECKING:
    from concord.service.runtime import Runtime

VOTES = {1: VoteChoice.AGREE, 2: VoteChoice.DISAGREE, 3: VoteChoice.PASS}
SUBMIT = 9  # the answer that sends a phone's draft as a statement
DRAFT_LIMIT = 2000  # characters of a draft kept (a statement is at most 1,000)


class Say(StrEnum):
    """What a reply tells the phone besides a question or a statement; the SMS texts
    (:mod:`concord.sms.texts`) word each in every language."""

    WELCOME = "welcome"  # joined: {topic}
    WELCOME_BACK = "welcome_back"
    NOT_CONNECTED = "not_connected"  # the number serves no conversation
    CLOSED = "closed"
    CANNOT_JOIN = "cannot_join"  # by invitation: the text was no valid code
    STOPPED = "stopped"
    ALL_DONE = "all_done"  # no statement left to answer
    NOT_AN_OPTION = "not_an_option"  # an answer to a question that is none of its numbers
    ANSWER_WITH = "answer_with"  # an answer that is no 1, 2, 3 (or 9 with a draft)
    CONFIRM = "confirm"  # a text that is no answer: send 9 to submit it
    SUBMITTED = "submitted"  # {number}: waits for a moderator
    PUBLISHED = "published"  # {number}: shown at once (post-moderation)
    DUPLICATE = "duplicate"  # {number}: the same statement is there already
    TOO_LONG = "too_long"  # {limit}
    WRITING_CLOSED = "writing_closed"  # participants do not write in this conversation
    TOO_MANY_STATEMENTS = "too_many_statements"
    UNAVAILABLE = "unavailable"  # the statement answered was removed meanwhile
    NO_SUCH_STATEMENT = "no_such_statement"  # {number}


@dataclass(frozen=True)
class Note:
    say: Say
    number: int | None = None  # a statement's number, or the length limit


@dataclass(frozen=True)
class Question:
    """A declared question, answered by the number of an option."""

    name: str
    options: tuple[str, ...]
    page: int = 1  # which page of its options, when they do not fit in one reply


@dataclass(frozen=True)
class Card:
    """A statement put to the phone, in its language where translated."""

    number: int
    text: str


@dataclass(frozen=True)
class Page:
    """A statement's whole text, fetched with ``#number`` (``page``: which of its pages, from 1)."""

    number: int
    text: str
    page: int


@dataclass(frozen=True)
class Reply:
    language: str  # en, fa-AF or ps
    notes: tuple[Note, ...] = ()
    topic: str | None = None  # the conversation's, when it is named (on joining)
    question: Question | None = None
    card: Card | None = None
    page: Page | None = None
    changed: bool = field(default=False, compare=False)  # votes or answers stored: the analysis may change


# --- the use case ---------------------------------------------------------------------------------


def answer_text(runtime: Runtime, secret: str | None, number: str, phone: str, text: str) -> Reply:
    """The reply to one text from ``phone`` to ``number``, as the gateway that carries it asks.
    Refused (and nothing stored) without the gateway's secret (:class:`Forbidden`) and over the rate
    limits of the phone and of the number (:class:`RateLimited`: the gateway sends nothing back)."""
    try:
        return _answer(runtime, secret, number, phone, text)
    except IntegrityError:
        # A phone's first two texts at the same moment: the other one joined it first (one phone is
        # one participant), so this one is read again as the text of a phone taking part.
        return _answer(runtime, secret, number, phone, text)


def _answer(runtime: Runtime, secret: str | None, number: str, phone: str, text: str) -> Reply:
    with runtime.transaction() as session:
        if not is_gateway(session, secret):
            raise Forbidden("the SMS gateway's secret is missing or wrong", "sms_gateway_secret")
        connected = number_row(session, number)
        if connected is None:
            return Reply(language_of(text, "en"), (Note(Say.NOT_CONNECTED),))
        runtime.limiter.check(session.connection(), SMS_NUMBERS, connected.id)
        conversation = session.get_one(Conversation, connected.conversation_id)
        close_if_due(session, conversation)
        hashed = phone_hash(session, conversation, phone)
        runtime.limiter.check(session.connection(), SMS_PHONES, hashed)
        found = phone_row(session, conversation, hashed)
        dialogue = _Dialogue(session, runtime, conversation)
        if found is None or found.participant_id is None:
            reply = dialogue.join(found, hashed, text)
        elif found.stopped:
            reply = dialogue.come_back(found, read(text))
        else:
            reply = dialogue.answer(found, read(text))
    if reply.changed:
        runtime.live.notify(conversation.id)
    return reply


class _Dialogue:
    """One text's turn, in the use case's transaction."""

    def __init__(self, session: Session, runtime: Runtime, conversation: Conversation) -> None:
        self.session, self.runtime, self.conversation = session, runtime, conversation
        self.changed = False

    def join(self, phone: SmsPhone | None, hashed: str, text: str) -> Reply:
        """A phone's first text joins it, whatever it says, but a stop: that one (an answer to an
        invitation, say) is kept, without a participant, so that the phone is not invited again."""
        language, now = language_of(text, self.conversation.language), now_ms()
        if phone is None:
            phone = SmsPhone(
                conversation_id=self.conversation.id, phone_hash=hashed, created_ms=now, stopped=False, draft=None
            )
        phone.language, phone.updated_ms = language, now
        if read(text).kind == "stop":
            phone.stopped = True
            self.session.add(phone)
            return Reply(language, (Note(Say.STOPPED),))
        if not self.conversation.is_open:
            return Reply(language, (Note(Say.CLOSED),))
        code = text.strip() if self.conversation.access == Access.INVITE else None
        try:
            joined = join(self.session, self.conversation, invite_code=code)
        except (Forbidden, Conflict):  # no valid invitation code; no external id to show
            return Reply(language, (Note(Say.CANNOT_JOIN),))
        phone.participant_id, phone.stopped = joined.participant.id, False
        self.session.add(phone)
        return self.next(phone, (Note(Say.WELCOME),), topic=True)

    def come_back(self, phone: SmsPhone, said: Said) -> Reply:
        """A phone that sent STOP writes again: it takes part again, where it was (a second stop only
        says again that it left)."""
        phone.updated_ms = now_ms()
        if said.kind == "stop":
            return Reply(phone.language, (Note(Say.STOPPED),))
        if said.kind == "language":
            phone.language = str(said.value)
        if not self.conversation.is_open:
            return Reply(phone.language, (Note(Say.CLOSED),))
        phone.stopped = False
        return self.current(phone, (Note(Say.WELCOME_BACK),))

    def answer(self, phone: SmsPhone, said: Said) -> Reply:
        phone.updated_ms = now_ms()
        if said.kind == "stop":
            phone.stopped, phone.draft = True, None
            return Reply(phone.language, (Note(Say.STOPPED),))
        if not self.conversation.is_open:
            return Reply(phone.language, (Note(Say.CLOSED),))
        if said.kind == "language":
            phone.language = str(said.value)
            return self.current(phone, ())
        if phone.asking is not None:
            return self.declare(phone, said)
        if said.kind == "fetch":
            return self.fetch(phone, int(said.value or 0), said.page)
        if said.kind == "number" and said.value in VOTES:
            if phone.statement_number is None:  # it had answered every statement: any new since?
                return self.next(phone, ())
            return self.vote(phone, VOTES[int(said.value)])
        if said.kind == "number" and said.value == SUBMIT and phone.draft:
            return self.submit(phone)
        if said.kind == "text" and self.conversation.participants_can_write:
            return self.draft(phone, str(said.value))
        return self.current(phone, (Note(Say.ANSWER_WITH),))

    # --- steps -----------------------------------------------------------------------------------

    def participant(self, phone: SmsPhone) -> Participant:
        return self.session.get_one(Participant, phone.participant_id)  # a phone that joined

    def next(self, phone: SmsPhone, notes: tuple[Note, ...], *, topic: bool = False) -> Reply:
        """The first question the phone has not answered, else a statement it has not voted on."""
        participant = self.participant(phone)
        answered = participant.attributes or {}
        asked = [a for a in self.conversation.attributes or [] if a["name"] not in answered]
        named = self.conversation.topic if topic else None
        if asked:
            phone.asking, phone.statement_number = asked[0]["name"], None
            question = Question(asked[0]["name"], tuple(asked[0]["options"]))
            return self.reply(phone, notes, topic=named, question=question)
        phone.asking = None
        coming = next_statement(self.session, self.conversation, participant)
        if coming.statement is None:
            phone.statement_number = None
            return self.reply(phone, (*notes, Note(Say.ALL_DONE)), topic=named)
        phone.statement_number = coming.statement.number
        shown = shown_to(phone.language, coming.statement.text, coming.statement.language, coming.translations)
        return self.reply(phone, notes, topic=named, card=Card(coming.statement.number, shown.text))

    def current(self, phone: SmsPhone, notes: tuple[Note, ...]) -> Reply:
        """The question or statement put to the phone last, again (in its language, which may have just
        changed), or the next when it is gone."""
        if phone.asking is not None:
            return self.next(phone, notes)
        statement = self.statement(phone.statement_number)
        if statement is None or self.voted(phone, statement):
            return self.next(phone, notes)
        return self.reply(phone, notes, card=Card(statement.number, self.wording(phone, statement)))

    def declare(self, phone: SmsPhone, said: Said) -> Reply:
        offered = next((a for a in self.conversation.attributes or [] if a["name"] == phone.asking), None)
        if offered is None:  # the question was withdrawn meanwhile
            return self.next(phone, ())
        options = offered["options"]
        if said.kind == "options":
            return self.reply(phone, (), question=Question(offered["name"], tuple(options), said.page))
        if said.kind != "number" or not 1 <= int(said.value or 0) <= len(options):
            question = Question(offered["name"], tuple(options))
            return self.reply(phone, (Note(Say.NOT_AN_OPTION),), question=question)
        set_attributes(self.conversation, self.participant(phone), {offered["name"]: options[int(said.value or 0) - 1]})
        self.changed = True
        return self.next(phone, ())

    def vote(self, phone: SmsPhone, choice: VoteChoice) -> Reply:
        number = phone.statement_number
        assert number is not None  # answer() votes only on a statement put to the phone
        phone.draft = None  # an offer to send a text lapses once the phone answers something else
        try:
            record_vote(self.session, self.conversation, self.participant(phone), number, choice, self.runtime.limiter)
        except Conflict as refused:
            if refused.reason != "statement_unavailable":
                raise
            return self.next(phone, (Note(Say.UNAVAILABLE),))
        self.changed = True
        return self.next(phone, ())

    def draft(self, phone: SmsPhone, text: str) -> Reply:
        phone.draft = text[:DRAFT_LIMIT]
        if phone.statement_number is None:  # it had answered every statement: any new since?
            return self.next(phone, (Note(Say.CONFIRM),))
        return self.reply(phone, (Note(Say.CONFIRM),))

    def submit(self, phone: SmsPhone) -> Reply:
        """The draft as a participant's statement: the steps of
        :func:`concord.service.conversations.statements.write_statement` for a participant (the limit
        on statements, moderation as the conversation has it, the author's own agreement)."""
        text, phone.draft = phone.draft or "", None
        participant = self.participant(phone)
        try:
            self.runtime.limiter.check(self.session.connection(), STATEMENTS, participant.id)
            # Every refusal comes before anything is written: the phone's turn still stands.
            written = add_statement(self.session, self.conversation, text, author=participant, reader=phone.language)
        except RateLimited:
            return self.current(phone, (Note(Say.TOO_MANY_STATEMENTS),))
        except Forbidden:
            return self.current(phone, (Note(Say.WRITING_CLOSED),))
        except Conflict as refused:
            if refused.reason != "duplicate_statement":
                raise
            return self.current(phone, (Note(Say.DUPLICATE, refused.params.get("number")),))
        except Invalid as refused:
            if refused.reason != "statement_too_long":
                return self.current(phone, (Note(Say.ANSWER_WITH),))
            return self.current(phone, (Note(Say.TOO_LONG, self.conversation.max_statement_length),))
        agree_as_author(self.session, self.conversation, written)
        self.changed = True
        said = Say.PUBLISHED if written.status == StatementStatus.ACCEPTED else Say.SUBMITTED
        return self.current(phone, (Note(said, written.number),))

    def fetch(self, phone: SmsPhone, number: int, page: int) -> Reply:
        statement = self.statement(number)
        if statement is None:
            return self.current(phone, (Note(Say.NO_SUCH_STATEMENT, number),))
        return self.reply(phone, (), page=Page(number, self.wording(phone, statement), page))

    # --- reading -----------------------------------------------------------------------------------

    def statement(self, number: int | None) -> Statement | None:
        """A shown statement of the conversation by its number."""
        if number is None:
            return None
        return self.session.scalar(
            select(Statement).where(
                Statement.conversation_id == self.conversation.id,
                Statement.number == number,
                Statement.status == StatementStatus.ACCEPTED,
            )
        )

    def voted(self, phone: SmsPhone, statement: Statement) -> bool:
        found = select(VoteEvent.id).where(
            VoteEvent.participant_id == phone.participant_id, VoteEvent.statement_id == statement.id
        )
        return self.session.scalar(found.limit(1)) is not None

    def wording(self, phone: SmsPhone, statement: Statement) -> str:
        translations = statement_translations(self.session, [statement])[statement.id]
        return shown_to(phone.language, statement.text, statement.language, translations).text

    def reply(self, phone: SmsPhone, notes: tuple[Note, ...], **parts: object) -> Reply:
        return Reply(phone.language, notes, changed=self.changed, **parts)  # type: ignore[arg-type]
