"""External ids (XIDs) vouched for by the embedding site.

A conversation open to the members of a site that embeds it identifies them by the site's own id for
them. Knowing or guessing someone's id must not make you them, so the site signs each id it hands out:

    xid_token = f"{expires}.{hex(HMAC-SHA256(xid_secret, f'{conversation}\\n{xid}\\n{expires}'))}"

with ``expires`` in seconds since the epoch and ``xid_secret`` the conversation's key, which its
moderators give the site (moderation page, or ``GET /api/conversations/{id}/embedding``). Unsigned ids
are taken only when a moderator has accepted the risk (``allow_unsigned_xid``).

The id itself is never stored: only :func:`xid_hash`, keyed by an instance secret and by the
conversation, so a seized database does not say which member a participant is, nor that two
conversations' participants are the same member (unless the holder also guesses the ids, with the key
they then hold: an embedding site that passes opaque, random-looking ids rules that out too).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from sqlalchemy.orm import Session

from concord.service.errors import Forbidden
from concord.service.secrets import instance_secret
from concord.store.models import Conversation

XID_TOKEN_LENGTH = 128
XID_KEY = "external_ids"  # the instance secret that keys the stored hashes (migration 0011 makes it)


def xid_hash(session: Session, conversation: Conversation, xid: str) -> str:
    """What is stored of an external id: HMAC-SHA-256 of the conversation's public id and the id, under
    the instance's key, in hex (migration 0011 applies the same rule to the ids stored before)."""
    key = instance_secret(session, XID_KEY).encode()
    return hmac.new(key, f"{conversation.public_id}\n{xid}".encode(), hashlib.sha256).hexdigest()


def new_xid_secret() -> str:
    return secrets.token_urlsafe(32)


def xid_token(secret: str, conversation_public_id: str, xid: str, expires: int) -> str:
    """What the embedding site computes (shown here so it can be copied into any language)."""
    message = f"{conversation_public_id}\n{xid}\n{expires}".encode()
    return f"{expires}.{hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()}"


def check_vouched(conversation: Conversation, xid: str, token: str | None, now: float | None = None) -> None:
    """Refuse an external id its site did not vouch for (unless the moderator accepts unsigned ones)."""
    if not token and conversation.allow_unsigned_xid:
        return
    expires, _, _ = (token or "").partition(".")
    if not expires.isdigit():
        raise Forbidden(
            "open this conversation from the website that invited you: its link carries a signed id (xid_token)",
            "xid_unsigned",
        )
    if int(expires) < (time.time() if now is None else now):
        raise Forbidden("this invitation link has expired: open the conversation again from its website", "xid_expired")
    expected = xid_token(conversation.xid_secret, conversation.public_id, xid, int(expires))
    if not hmac.compare_digest((token or "").encode(), expected.encode()):
        raise Forbidden("the signature of this external id is not valid", "xid_signature")
