"""The named states of a deliberation, defined once and used by every layer: the tables store their
values, the services decide by them, the API schemas publish them (in /openapi.json).

They are ``StrEnum``s: each member *is* its string, so stored rows, JSON bodies and form fields carry the
same words as before, and comparing a member with the plain string is true.
"""

from __future__ import annotations

from enum import StrEnum


class StatementStatus(StrEnum):
    """Where a statement stands in moderation."""

    ACCEPTED = "accepted"  # shown and voted on
    PENDING = "pending"  # waiting for a moderator (pre-moderated conversations)
    REJECTED = "rejected"  # hidden, left out of the analysis; the reason is in the public log


class Moderation(StrEnum):
    """When a moderator looks at participants' statements."""

    PRE = "pre"  # statements wait for a moderator before anyone sees them
    POST = "post"  # statements are shown at once and can be removed


class Access(StrEnum):
    """Who may take part in a conversation."""

    LINK = "link"  # anyone with the link
    INVITE = "invite"  # holders of one-time invitation codes
    XID = "xid"  # members of an embedding site, by the external id it passes


class BlocVerdict(StrEnum):
    """A moderator's decision on accounts suspected of acting as one bloc (they vote alike and arrived
    together): counted once until then."""

    REAL = "real"  # real people who happen to agree: each counted
    COORDINATED = "coordinated"  # one bloc: counted once, no longer only suspected


class VoteChoice(StrEnum):
    """A participant's answer to a statement; ``score`` is what the vote matrix holds (Pol.is's sign
    convention as exported: agree +1, disagree −1, pass 0)."""

    AGREE = "agree"
    DISAGREE = "disagree"
    PASS = "pass"

    @property
    def score(self) -> int:
        return _SCORES[self]

    @classmethod
    def of_score(cls, score: int) -> VoteChoice:
        return {value: choice for choice, value in _SCORES.items()}[score]


_SCORES = {VoteChoice.AGREE: 1, VoteChoice.DISAGREE: -1, VoteChoice.PASS: 0}


class TranslationStatus(StrEnum):
    """Where a translation stands: one accepted translation per text and language is what readers see."""

    ACCEPTED = "accepted"  # shown to readers of its language
    PENDING = "pending"  # a volunteer's, waiting for a moderator
    REJECTED = "rejected"  # never shown; the reason is in the public log
    REPLACED = "replaced"  # was accepted until a newer translation of the same text took its place


class Translated(StrEnum):
    """What a translation translates: a statement, or the conversation's topic or description."""

    STATEMENT = "statement"
    TOPIC = "topic"
    DESCRIPTION = "description"
