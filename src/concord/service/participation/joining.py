"""Taking part: joining (by link, invitation code or external id) and declaring attributes. What a
participant is shown next is :mod:`concord.service.participation.card`; storing votes is
:mod:`concord.service.participation.voting`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session, object_session

from concord.service.accounts.tokens import (
    PARTICIPANT_TOKEN_KEY,
    issued_here,
    new_participant_token,
    normalise_code,
    participant_key,
    token_hash,
)
from concord.service.accounts.xids import check_vouched, xid_hash
from concord.service.caller import Caller
from concord.service.clock import now_ms
from concord.service.conversations.lifecycle import (
    conversation_by_public_id,
    lock_for_writing,
    require_open,
    take_number,
)
from concord.service.errors import Conflict, Forbidden, Invalid, Label, NotFound, Unauthorized
from concord.service.participation.declared import lock_answers, publish_answers
from concord.service.ratelimit import JOINS, RateLimiter
from concord.service.secrets import instance_secret
from concord.service.text import checked_text
from concord.states import Access
from concord.store.models import Conversation, Invitation, Participant, Statement, VoteEvent

if TYPE_CHECKING:
    from concord.service.runtime import Runtime

XID_MAX_LENGTH = 200


@dataclass(frozen=True)
class Joined:
    participant: Participant
    token: str  # the browser keeps it (cookie) or the client sends it (header)


def participant_for_token(session: Session, conversation: Conversation, token: str | None) -> Participant | None:
    """The participant this token is in this conversation. A row stored before keys were per
    conversation (a plain hash of the token) is found too, and given its per-conversation key."""
    if not token:
        return None
    key = participant_key(conversation.public_id, token)
    found = session.scalar(
        select(Participant).where(
            Participant.conversation_id == conversation.id,
            Participant.token_hash.in_([key, token_hash(token)]),
        )
    )
    if found is not None and found.token_hash != key:
        found.token_hash = key
    return found


def find_participant(session: Session, conversation: Conversation, caller: Caller) -> Participant | None:
    """The participant this caller already is in this conversation, if any."""
    return participant_for_token(session, conversation, caller.participant_token)


def admit(
    session: Session,
    conversation: Conversation,
    caller: Caller,
    limiter: RateLimiter,
    *,
    invite_code: str | None = None,
    xid: str | None = None,
    xid_token: str | None = None,
    attributes: dict | None = None,
) -> Joined:
    """:func:`join`, with the limit on new participants from one address (a flood of fake
    participants is the cheapest attack on an opinion map); a returning participant is not counted."""
    if find_participant(session, conversation, caller) is None:
        limiter.check(session.connection(), JOINS, caller.address)
    return join(
        session,
        conversation,
        token=caller.participant_token,
        invite_code=invite_code,
        xid=xid,
        xid_token=xid_token,
        attributes=attributes,
    )


def acting_participant(session: Session, conversation: Conversation, caller: Caller, limiter: RateLimiter) -> Joined:
    """The participant a vote, a statement or an answer comes from. In a conversation open to anyone
    with the link, a newcomer's first act joins them; elsewhere they must join first."""
    found = find_participant(session, conversation, caller)
    if found is not None:
        return Joined(found, caller.participant_token or "")
    if conversation.access != Access.LINK:
        raise Unauthorized("join the conversation first (POST …/participants)", "join_first")
    return admit(session, conversation, caller, limiter)


def join(
    session: Session,
    conversation: Conversation,
    *,
    token: str | None = None,
    invite_code: str | None = None,
    xid: str | None = None,
    xid_token: str | None = None,
    attributes: dict | None = None,
) -> Joined:
    """Return the participant this token already is, or admit a new one under the conversation's rule.
    A newcomer keeps the token they bring only if this server issued it (one browser, one token, in
    every conversation); any other gets a new one."""
    existing = participant_for_token(session, conversation, token)
    if token and existing is not None:
        if attributes:
            set_attributes(conversation, existing, attributes)
        return Joined(existing, token)
    if not conversation.is_open:
        raise Conflict("this conversation is closed", "conversation_closed")
    if not token or not issued_here(instance_secret(session, PARTICIPANT_TOKEN_KEY), token):
        token = new_participant_token(instance_secret(session, PARTICIPANT_TOKEN_KEY))
    if conversation.access == Access.XID:
        xid = checked_text(xid or "", Label("an external id (xid)"), XID_MAX_LENGTH, field="xid").strip()
        if not xid:
            raise Forbidden(
                "this conversation is open to members of the site that embeds it: an external id (xid) is required",
                "xid_required",
            )
        check_vouched(conversation, xid, xid_token)
        lock_for_writing(session, conversation)
        known = session.scalar(
            select(Participant).where(
                Participant.conversation_id == conversation.id, Participant.xid == xid_hash(session, conversation, xid)
            )
        )
        if known is not None:  # the same person on a new device
            known.token_hash = participant_key(conversation.public_id, token)
            return Joined(known, token)
    if conversation.access == Access.INVITE:
        _claim_invitation(session, conversation, invite_code)
    if attributes:
        _checked_answers(conversation, {}, attributes)  # refused before anything is stored
    participant = Participant(
        conversation_id=conversation.id,
        number=take_number(session, conversation, "next_participant_number"),
        token_hash=participant_key(conversation.public_id, token),
        xid=xid_hash(session, conversation, xid) if conversation.access == Access.XID and xid else None,
        attributes={},
        published={},
        created_ms=now_ms(),
    )
    session.add(participant)
    session.flush()  # joined (its log entry) before any answer of theirs is published
    if attributes:
        set_attributes(conversation, participant, attributes)
    return Joined(participant, token)


def _claim_invitation(session: Session, conversation: Conversation, code: str | None) -> None:
    """Mark the code used with one conditional UPDATE: of two requests redeeming it at once, the second
    waits for the first and then finds it used. Neither who used it nor when is kept."""
    if not code:
        raise Forbidden("this conversation is by invitation: enter your invitation code", "invitation_required")
    invitation = session.scalar(
        select(Invitation).where(
            Invitation.conversation_id == conversation.id, Invitation.code_hash == token_hash(normalise_code(code))
        )
    )
    if invitation is None:
        raise Forbidden("this invitation code is not valid for this conversation", "invitation_invalid")
    claim = update(Invitation).where(Invitation.id == invitation.id, Invitation.used.is_(False))
    claimed = cast(CursorResult, session.execute(claim.values(used=True)))
    if claimed.rowcount != 1:
        raise Conflict("this invitation code has been used already", "invitation_used")


def set_attributes(conversation: Conversation, participant: Participant, attributes: dict) -> None:
    """Declared attributes (e.g. region), checked against the options the conversation offers. They make
    the declared groups that decide its proposals, so a closed conversation's answers are final. The
    answers are published in the log only where enough participants share them, in this transaction
    (:mod:`concord.service.participation.declared`); the participant must be stored (in a session) already."""
    require_open(conversation)
    merged = _checked_answers(conversation, participant.attributes or {}, attributes)
    session = object_session(participant)
    if session is None:
        raise RuntimeError("set_attributes needs a stored participant: add and flush it first")
    lock_answers(session, conversation)  # the log before the participant's row: writers take turns
    participant.attributes = merged
    publish_answers(session, conversation, participant)


def _checked_answers(conversation: Conversation, given: dict, attributes: Any) -> dict:
    """The answers ``given`` before, with ``attributes`` checked and merged in."""
    if not isinstance(attributes, dict):
        raise Invalid('attributes must be an object such as {"region": "north"}')
    offered = {a["name"]: a["options"] for a in conversation.attributes or []}
    merged = dict(given)
    for name, value in attributes.items():
        if name not in offered:
            raise Invalid("this conversation does not ask for %(name)s", field="attributes", name=name)
        if value not in offered[name]:
            raise Invalid(
                "%(value)s is not one of the answers to %(name)s: %(answers)s",
                field="attributes",
                value=value,
                name=name,
                answers=", ".join(offered[name]),
            )
        merged[name] = value
    return merged


def my_votes(session: Session, participant: Participant) -> dict[int, int]:
    """The participant's current votes: their latest vote event on each statement, in log order (the
    events are what the log mirrors and ``concord verify`` checks; the current-vote table is not)."""
    rows = session.execute(
        select(Statement.number, VoteEvent.value)
        .join(Statement, Statement.id == VoteEvent.statement_id)
        .where(VoteEvent.participant_id == participant.id)
        .order_by(VoteEvent.seq)
    )
    return dict(rows.all())  # the latest event of each statement wins


# --- use cases ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParticipantRecord:
    """A participant as they see themselves: their number (as in the public log) and their answers."""

    number: int
    attributes: dict[str, str]  # declared attributes, by name

    @classmethod
    def of(cls, row: Participant) -> ParticipantRecord:
        return cls(number=row.number, attributes=dict(row.attributes or {}))


@dataclass(frozen=True)
class Membership:
    participant: ParticipantRecord
    token: str  # what the client sends from now on (unchanged for a returning participant)
    votes: dict[int, int]  # current vote by statement number: 1, -1 or 0


def join_conversation(
    runtime: Runtime,
    caller: Caller,
    public_id: str,
    *,
    invite_code: str | None = None,
    xid: str | None = None,
    xid_token: str | None = None,
    attributes: dict | None = None,
) -> Membership:
    """Join anonymously: link conversations admit anyone, invitation ones an unused code, xid ones the
    embedding site's id. A returning participant gets their membership back (answers updated)."""
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        joined = admit(
            session,
            conversation,
            caller,
            runtime.limiter,
            invite_code=invite_code,
            xid=xid,
            xid_token=xid_token,
            attributes=attributes,
        )
        return _membership(session, joined.participant, joined.token)


def membership(runtime: Runtime, caller: Caller, public_id: str) -> Membership:
    with runtime.transaction() as session:
        participant = find_participant(session, conversation_by_public_id(session, public_id), caller)
        if participant is None:
            raise NotFound("you have not joined this conversation")
        return _membership(session, participant, caller.participant_token or "")


def declare_attributes(runtime: Runtime, caller: Caller, public_id: str, attributes: Any) -> Membership:
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        joined = acting_participant(session, conversation, caller, runtime.limiter)
        set_attributes(conversation, joined.participant, attributes)
        return _membership(session, joined.participant, joined.token)


def _membership(session: Session, participant: Participant, token: str) -> Membership:
    return Membership(ParticipantRecord.of(participant), token, my_votes(session, participant))
