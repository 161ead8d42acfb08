"""The numbers phones text (a short code, a long number), each connected to one conversation, and the
secret the SMS gateway shows on every request it makes to this server. Operators connect numbers
from the command line (``concord sms connect``); nothing here is a participant's."""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from concord.service.clock import now_ms
from concord.service.conversations.lifecycle import conversation_by_public_id
from concord.service.errors import Conflict, Invalid, NotFound
from concord.service.secrets import instance_secret
from concord.service.sms.words import latin_digits
from concord.states import Access
from concord.store.models import Conversation, SmsNumber

if TYPE_CHECKING:
    from concord.service.runtime import Runtime

SMS_GATEWAY_SECRET = "sms_gateway_secret"  # instance secret (migration 0015): the gateway's password, hex
MAX_DIGITS = 20  # E.164 allows 15; short codes and operators' prefixes stay well below 20
_SPACING = re.compile(r"[\s\-().]")
_NUMBER = re.compile(rf"\+?[0-9]{{1,{MAX_DIGITS}}}")


@dataclass(frozen=True)
class NumberRecord:
    number: str
    conversation: str  # public id
    topic: str


def normalised_number(text: str) -> str:
    """One spelling per number, whatever the operator or the operator's gateway sends: Latin digits,
    spaces and dashes dropped, ``00`` read as ``+``. Phones are hashed from this spelling."""
    compact = _SPACING.sub("", latin_digits(text).strip())
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not _NUMBER.fullmatch(compact):
        raise Invalid("%(number)s is not a phone number or short code", field="number", number=text[:40])
    return compact


def gateway_secret(session: Session) -> str:
    """What the gateway must send (``secret=`` in its URL): kept with the instance's other secrets, so
    every server of a deployment, and every restart, takes the same one."""
    return instance_secret(session, SMS_GATEWAY_SECRET)


def is_gateway(session: Session, given: str | None) -> bool:
    """Whether a request carries the gateway's secret, compared in constant time."""
    return given is not None and hmac.compare_digest(given.encode(), gateway_secret(session).encode())


def number_row(session: Session, number: str) -> SmsNumber | None:
    return session.scalar(select(SmsNumber).where(SmsNumber.number == normalised_number(number)))


def _record(row: SmsNumber, conversation: Conversation) -> NumberRecord:
    return NumberRecord(row.number, conversation.public_id, conversation.topic)


# --- use cases ------------------------------------------------------------------------------------


def kannel_secret(runtime: Runtime) -> str:
    """The secret for the gateway's configuration (``concord sms kannel-config``)."""
    with runtime.transaction() as session:
        return gateway_secret(session)


def connect(runtime: Runtime, public_id: str, number: str) -> NumberRecord:
    """Texts to ``number`` take part in this conversation from now on. A number serves one conversation
    (a phone's text must say nothing about where it goes); a conversation may have several numbers.
    Conversations for the members of an embedding site cannot be joined by SMS (a phone has no
    external id to show)."""
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        if conversation.access == Access.XID:
            raise Conflict(
                "this conversation is for the members of the site that embeds it: phones cannot join it", "sms_xid"
            )
        spelled = normalised_number(number)
        existing = session.scalar(select(SmsNumber).where(SmsNumber.number == spelled))
        if existing is not None and existing.conversation_id != conversation.id:
            held = session.get_one(Conversation, existing.conversation_id)
            raise Conflict(
                "%(number)s is connected to the conversation %(conversation)s already: disconnect it first",
                "sms_number_taken",
                field="number",
                number=spelled,
                conversation=held.public_id,
            )
        if existing is None:
            existing = SmsNumber(number=spelled, conversation_id=conversation.id, created_ms=now_ms())
            session.add(existing)
            session.flush()
        return _record(existing, conversation)


def disconnect(runtime: Runtime, number: str) -> NumberRecord:
    """Texts to ``number`` no longer reach its conversation (the phones' votes and dialogue stay)."""
    with runtime.transaction() as session:
        row = number_row(session, number)
        if row is None:
            raise NotFound("no conversation is connected to %(number)s", number=normalised_number(number))
        record = _record(row, session.get_one(Conversation, row.conversation_id))
        session.delete(row)
        return record


def connected(runtime: Runtime) -> list[NumberRecord]:
    """Every number and the conversation it serves, by number."""
    with runtime.transaction() as session:
        rows = session.execute(
            select(SmsNumber, Conversation)
            .join(Conversation, Conversation.id == SmsNumber.conversation_id)
            .order_by(SmsNumber.number)
        ).all()
        return [_record(row, conversation) for row, conversation in rows]
