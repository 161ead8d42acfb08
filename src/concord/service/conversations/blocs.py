"""A moderator's decision on a suspected bloc: accounts that vote (near-)identically and arrived
together (:mod:`concord.engine.blocs`), which the analysis counts as one participant so that a bloc of
cheap accounts holds no veto of its own. A moderator who knows them says they are *real* people (each
then counted), or confirms they are *coordinated* (counted once, no longer only suspected); either way
with a reason, published in the conversation's log and its public moderation log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from concord.service.accounts.moderators import user_of
from concord.service.caller import Caller
from concord.service.clock import now_ms
from concord.service.conversations.lifecycle import conversation_by_public_id, require_open
from concord.service.conversations.moderation import published_reason
from concord.service.errors import Invalid
from concord.service.spaces import require_moderator
from concord.states import BlocVerdict
from concord.store.models import BlocDecision, Participant

if TYPE_CHECKING:
    from concord.service.runtime import Runtime

MAX_ACCOUNTS = 100_000  # accounts one decision names (a bloc of a national conversation at most)


@dataclass(frozen=True)
class BlocDecisionRecord:
    """A moderator's verdict on a suspected bloc, as published (the moderator is not named)."""

    participants: list[int]  # the accounts' participant numbers
    verdict: BlocVerdict
    reason: str
    created_ms: int

    @classmethod
    def of(cls, row: BlocDecision) -> BlocDecisionRecord:
        return cls(list(row.participants), row.verdict, row.reason, row.created_ms)


def decide_bloc(
    runtime: Runtime, caller: Caller, public_id: str, participants: Any, verdict: Any, reason: Any
) -> BlocDecisionRecord:
    """Record a moderator's verdict on these accounts (their participant numbers), with its reason."""
    numbers = _numbers(participants)
    try:
        verdict = BlocVerdict(verdict)
    except ValueError:
        raise Invalid("a bloc's verdict is 'real' or 'coordinated'", field="verdict") from None
    missing = Invalid("say why: the reason is published in the moderation log", "reason_required", field="reason")
    reason = published_reason(reason, missing)
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        moderator = require_moderator(session, user_of(session, caller), conversation.space)
        require_open(conversation)
        known = session.scalar(
            select(func.count(Participant.id)).where(
                Participant.conversation_id == conversation.id, Participant.number.in_(numbers)
            )
        )
        if known != len(numbers):
            raise Invalid("these accounts are not all participants of this conversation", field="participants")
        decision = BlocDecision(
            conversation_id=conversation.id,
            participants=numbers,
            verdict=verdict,
            reason=reason,
            moderator_id=moderator.id,
            created_ms=now_ms(),
        )
        session.add(decision)
        session.flush()
        decided = BlocDecisionRecord.of(decision)
    runtime.live.notify(conversation.id)
    return decided


def _numbers(participants: Any) -> list[int]:
    """Participant numbers, as a list of whole numbers or the text "3, 4, 9"; at least two, distinct."""
    if isinstance(participants, str):
        parts = [part.strip() for part in participants.replace("،", ",").split(",") if part.strip()]
        if not all(part.isdigit() for part in parts):
            raise Invalid("name the accounts by their participant numbers, e.g. 3, 4, 9", field="participants")
        participants = [int(part) for part in parts]
    if not isinstance(participants, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) and 0 <= n < 2**31 for n in participants
    ):
        raise Invalid("name the accounts by their participant numbers, e.g. 3, 4, 9", field="participants")
    numbers = sorted(set(participants))
    if not 2 <= len(numbers) <= MAX_ACCOUNTS:
        raise Invalid("a bloc is from 2 to %(most)s accounts", field="participants", most=MAX_ACCOUNTS)
    return numbers
