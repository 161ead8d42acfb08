"""Phones taking part: one participant per phone and conversation, known by a keyed hash of its number
(HMAC-SHA-256 under an instance secret, with the conversation's id: one phone's rows in two
conversations cannot be linked, and nobody without the secret can tell which number a row is). The
number itself is never stored, logged or exported."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from concord.service.errors import Invalid
from concord.service.ratelimit import keyed_hash
from concord.service.secrets import instance_secret
from concord.service.sms.numbers import normalised_number
from concord.store.models import Conversation, SmsPhone

SMS_PHONE_KEY = "sms_phone_key"  # instance secret (migration 0015): the key of the phones' hashes, hex


def phone_hash(session: Session, conversation: Conversation, phone: str) -> str:
    """What is stored of a phone in a conversation. A sender that is no number (an operator's name)
    is hashed as it is spelled."""
    try:
        spelled = normalised_number(phone)
    except Invalid:
        spelled = phone.strip().casefold()
    key = bytes.fromhex(instance_secret(session, SMS_PHONE_KEY))
    return keyed_hash(key, f"{conversation.public_id}\0{spelled}")


def phone_row(session: Session, conversation: Conversation, hashed: str) -> SmsPhone | None:
    """The phone's row, locked until the transaction ends: two texts of one phone arriving together
    take turns (PostgreSQL; SQLite has one writer at a time)."""
    return session.scalar(
        select(SmsPhone)
        .where(SmsPhone.conversation_id == conversation.id, SmsPhone.phone_hash == hashed)
        .with_for_update()
    )
