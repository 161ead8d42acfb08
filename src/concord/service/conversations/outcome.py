"""The outcome of a closed conversation, in its moderators' words: what was decided and what happens next
(as Loomio's outcome and Decidim's answer). Written only once the conversation is closed, when its
decisions are final, so it speaks of results that no longer move; logged in the public log as part of
the conversation's snapshot, so ``concord verify`` reads it back and checks the export's copy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from concord.service.accounts.moderators import user_of
from concord.service.caller import Caller
from concord.service.conversations.lifecycle import ConversationDetail, conversation_by_public_id, detail_of
from concord.service.errors import Conflict, Label
from concord.service.spaces import require_moderator
from concord.service.text import checked_text

if TYPE_CHECKING:
    from concord.service.runtime import Runtime

OUTCOME_LENGTH = 5000


def write_outcome(runtime: Runtime, caller: Caller, public_id: str, text: str) -> ConversationDetail:
    """Set (or, with an empty text, withdraw) the outcome; a closed conversation's moderators only."""
    outcome = checked_text(text, Label("the outcome"), OUTCOME_LENGTH, multiline=True, field="outcome").strip()
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        require_moderator(session, user_of(session, caller), conversation.space)
        if conversation.is_open:
            raise Conflict("close the conversation first: its outcome is written once its results are final",
                           "conversation_open")  # fmt: skip
        conversation.outcome = outcome or None
        return detail_of(session, conversation)


def outcome_to_write(runtime: Runtime, caller: Caller, public_id: str) -> ConversationDetail:
    """The conversation whose outcome its moderator is about to write (its moderators only)."""
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        require_moderator(session, user_of(session, caller), conversation.space)
        return detail_of(session, conversation)
