"""What a conversation's moderators see of its SMS side: the numbers phones text, how many phones take
part (and how many sent STOP), and which statements waiting for a decision came by SMS. Counts only:
nothing on the moderator's page tells one phone from another."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from concord.states import StatementStatus
from concord.store.models import Conversation, SmsNumber, SmsPhone, Statement


@dataclass(frozen=True)
class SmsDesk:
    numbers: list[str]
    phones: int  # taking part now
    stopped: int  # sent STOP (they come back when they write)
    waiting: list[int]  # numbers of the statements written by SMS that wait for a decision


def sms_desk(session: Session, conversation: Conversation) -> SmsDesk | None:
    """The conversation's SMS side, or None when it has never had one."""
    numbers = list(
        session.scalars(
            select(SmsNumber.number).where(SmsNumber.conversation_id == conversation.id).order_by(SmsNumber.number)
        )
    )
    phones = dict(
        session.execute(
            select(SmsPhone.stopped, func.count())
            .where(SmsPhone.conversation_id == conversation.id)
            .group_by(SmsPhone.stopped)
        ).all()
    )
    if not numbers and not phones:
        return None
    waiting = session.scalars(
        select(Statement.number)
        .join(SmsPhone, SmsPhone.participant_id == Statement.author_id)
        .where(Statement.conversation_id == conversation.id, Statement.status == StatementStatus.PENDING)
        .order_by(Statement.number)
    )
    return SmsDesk(numbers, phones.get(False, 0), phones.get(True, 0), list(waiting))
