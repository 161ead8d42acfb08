"""Inviting phones by SMS: the convener's list, less the phones that must not be texted (those that
sent STOP, and those taking part already), with what the invitation needs (the topic, its language,
the number to answer). The front door sends them through the gateway at the pace it is given."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from concord.service.conversations.lifecycle import conversation_by_public_id, require_open
from concord.service.errors import Conflict, Invalid
from concord.service.sms.numbers import normalised_number
from concord.service.sms.phones import phone_hash
from concord.store.models import SmsNumber, SmsPhone

if TYPE_CHECKING:
    from concord.service.runtime import Runtime

MAX_INVITED = 100_000  # phones in one list


@dataclass(frozen=True)
class Invitations:
    topic: str
    language: str  # the conversation's: the invitation is worded in it
    number: str  # the number phones answer (the conversation's first)
    phones: list[str]  # to text, each once, in the list's order
    stopped: int  # left out: they sent STOP
    taking_part: int  # left out: they take part already


def invitations(runtime: Runtime, public_id: str, phones: list[str]) -> Invitations:
    """Whom to invite: ``phones`` as the convener listed them (one a line; blank lines ignored; a line
    that is no phone number refuses the list, named by its line)."""
    listed: dict[str, None] = {}
    for line, phone in enumerate(phones, 1):
        if not phone.strip():
            continue
        try:
            listed[normalised_number(phone)] = None
        except Invalid:
            raise Invalid(
                "line %(line)s: %(phone)s is not a phone number", line=line, phone=phone.strip()[:40]
            ) from None
    if len(listed) > MAX_INVITED:
        raise Invalid("at most %(most)s phones in one list", most=MAX_INVITED)
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        require_open(conversation)
        number = session.scalar(
            select(SmsNumber.number).where(SmsNumber.conversation_id == conversation.id).order_by(SmsNumber.id).limit(1)
        )
        if number is None:
            raise Conflict("no number is connected to this conversation yet", "sms_no_number")
        known = dict(
            session.execute(
                select(SmsPhone.phone_hash, SmsPhone.stopped).where(SmsPhone.conversation_id == conversation.id)
            ).all()
        )
        chosen, stopped, taking_part = [], 0, 0
        for phone in listed:
            state = known.get(phone_hash(session, conversation, phone))
            if state is None:
                chosen.append(phone)
            elif state:
                stopped += 1
            else:
                taking_part += 1
        return Invitations(conversation.topic, conversation.language, number, chosen, stopped, taking_part)
