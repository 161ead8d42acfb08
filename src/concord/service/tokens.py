"""Unguessable tokens (participant cookies, login sessions, invitation codes) and their stored form.

Only a SHA-256 of each token is stored, so a copy of the database cannot be used to act as anyone.
"""

from __future__ import annotations

import hashlib
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
