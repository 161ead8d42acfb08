"""Unguessable tokens (participant cookies, login sessions, invitation codes) and their stored form.

Only a SHA-256 of each token is stored, so a copy of the database cannot be used to act as anyone.

Participant tokens are issued by the server only: each carries an HMAC under the instance's key, so a
token a client made up is never adopted (it would let anyone choose an identity). A browser keeps one
token for every conversation, but what is stored is a hash of the token *with the conversation's id*:
the rows of one person in two conversations cannot be linked from the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

# Invitation codes are read aloud and typed on phones: no 0/O, 1/I/L.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_token() -> str:
    return secrets.token_urlsafe(24)


def new_code(length: int = 10) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


PARTICIPANT_TOKEN_KEY = "participant_tokens"  # the instance secret's name (migration 0004)


def new_participant_token(key: str) -> str:
    """``random.mac``: 18 random bytes and the first 12 bytes of their HMAC-SHA256 under ``key``."""
    nonce = secrets.token_urlsafe(18)
    return f"{nonce}.{_mac(key, nonce)}"


def issued_here(key: str, token: str) -> bool:
    nonce, _, mac = token.partition(".")
    return bool(nonce) and hmac.compare_digest(mac, _mac(key, nonce))


def participant_key(conversation_public_id: str, token: str) -> str:
    """What a participant row stores: unlinkable across conversations for one and the same token."""
    return hashlib.sha256(f"{conversation_public_id}\0{token}".encode()).hexdigest()


def _mac(key: str, nonce: str) -> str:
    digest = hmac.new(key.encode(), nonce.encode(), hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
