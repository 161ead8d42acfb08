"""One-time invitation codes for conversations that are not open to anyone with the link.

A code is shown once, when it is made; only its hash is stored, with a short hint so moderators can tell
codes apart in the list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from concord.service.accounts.moderators import user_of
from concord.service.accounts.tokens import new_code, token_hash
from concord.service.caller import Caller
from concord.service.clock import now_ms
from concord.service.conversations.lifecycle import conversation_by_public_id
from concord.service.errors import Invalid
from concord.service.spaces import require_moderator
from concord.store.models import Conversation, Invitation, User

if TYPE_CHECKING:
    from concord.service.runtime import Runtime

MAX_PER_REQUEST = 1000
CODE_LENGTH = 64  # codes are 10 characters; people may paste them with spaces or dashes


@dataclass(frozen=True)
class IssuedCode:
    code: str
    hint: str
    created_ms: int


def issue_codes(session: Session, user: User | None, conversation: Conversation, count: int) -> list[IssuedCode]:
    require_moderator(session, user, conversation.space)
    if not isinstance(count, int) or not 1 <= count <= MAX_PER_REQUEST:
        raise Invalid("ask for 1 to %(most)s codes at a time", field="count", most=MAX_PER_REQUEST)
    issued, now = [], now_ms()
    for _ in range(count):
        code = new_code()
        session.add(
            Invitation(conversation_id=conversation.id, code_hash=token_hash(code), hint=code[:3], created_ms=now)
        )
        issued.append(IssuedCode(code, code[:3], now))
    session.flush()
    return issued


@dataclass(frozen=True)
class InvitationRecord:
    """A code as its list shows it: its hint, never the code (only its hash is kept)."""

    hint: str
    created_ms: int
    used: bool


def list_codes(session: Session, user: User | None, conversation: Conversation) -> list[InvitationRecord]:
    require_moderator(session, user, conversation.space)
    rows = session.scalars(
        select(Invitation).where(Invitation.conversation_id == conversation.id).order_by(Invitation.id)
    )
    return [InvitationRecord(row.hint, row.created_ms, row.used) for row in rows]


# --- use cases ------------------------------------------------------------------------------------


def issue(runtime: Runtime, caller: Caller, public_id: str, count: int) -> list[IssuedCode]:
    """New one-time codes for a moderator; the codes are in this answer only."""
    with runtime.transaction() as session:
        return issue_codes(session, user_of(session, caller), conversation_by_public_id(session, public_id), count)


def codes(runtime: Runtime, caller: Caller, public_id: str) -> list[InvitationRecord]:
    with runtime.transaction() as session:
        return list_codes(session, user_of(session, caller), conversation_by_public_id(session, public_id))
