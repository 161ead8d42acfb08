"""Moderator accounts, logins and roles. Passwords are hashed with Argon2id (argon2-cffi)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from concord.service.caller import Caller
from concord.service.clock import now_ms
from concord.service.errors import Conflict, Invalid, NotFound, Unauthorized
from concord.service.ratelimit import LOGINS
from concord.service.tokens import new_token, token_hash
from concord.store.models import LoginSession, Space, SpaceRole, User

if TYPE_CHECKING:
    from concord.service.runtime import Runtime

SESSION_LIFETIME_MS = 12 * 3600 * 1000
USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")
MIN_PASSWORD_LENGTH = 10


def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()


def create_user(session: Session, username: str, password: str, *, is_admin: bool = False) -> User:
    if not USERNAME.match(username or ""):
        raise Invalid("a username is 2–64 letters, digits, '.', '_' or '-'")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise Invalid(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(select(User).where(User.username == username)):
        raise Conflict(f"the username {username!r} is taken")
    user = User(username=username, password_hash=_hasher().hash(password), is_admin=is_admin, created_ms=now_ms())
    session.add(user)
    session.flush()
    return user


def system_actor() -> User:
    """An administrator that is nobody: for actions the operator takes from the command line (the demo,
    imports). Never stored; moderation events it makes have no moderator."""
    return User(username="(system)", is_admin=True)


def find_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user named {username!r}")
    return user


@dataclass(frozen=True)
class Login:
    user: User
    token: str  # goes into the HttpOnly cookie; only its hash is stored
    csrf_token: str


def log_in(session: Session, username: str, password: str) -> Login:
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    user = session.scalar(select(User).where(User.username == username))
    hasher = _hasher()
    try:
        if user is None:
            raise VerifyMismatchError()
        hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise Unauthorized("wrong username or password") from None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    token, csrf = new_token(), new_token()
    now = now_ms()
    session.execute(delete(LoginSession).where(LoginSession.expires_ms < now))
    session.add(
        LoginSession(
            token_hash=token_hash(token),
            user_id=user.id,
            csrf_token=csrf,
            created_ms=now,
            expires_ms=now + SESSION_LIFETIME_MS,
        )
    )
    return Login(user, token, csrf)


def logged_in_user(session: Session, token: str | None) -> User | None:
    """The user of a session cookie, or None when absent or expired."""
    if not token:
        return None
    found = session.get(LoginSession, token_hash(token))
    if found is None or found.expires_ms < now_ms():
        return None
    return session.get(User, found.user_id)


def user_of(session: Session, caller: Caller) -> User | None:
    """The moderator or administrator making this request, if one is logged in."""
    return logged_in_user(session, caller.session_token)


def require_user(user: User | None) -> User:
    if user is None:
        raise Unauthorized("log in as a moderator first")
    return user


def log_out(session: Session, token: str) -> None:
    session.execute(delete(LoginSession).where(LoginSession.token_hash == token_hash(token)))


def grant(session: Session, user: User, space: Space, role: str = "moderator") -> None:
    if role != "moderator":
        raise Invalid("the only role is 'moderator'")
    if session.get(SpaceRole, (user.id, space.id)) is None:
        session.add(SpaceRole(user_id=user.id, space_id=space.id, role=role))
        session.flush()


# --- use cases ------------------------------------------------------------------------------------


def start_session(runtime: Runtime, username: str, password: str) -> Login:
    """Log in, within the limit on attempts per username (guessing passwords is slow)."""
    runtime.limiter.check(LOGINS, username)
    with runtime.transaction() as session:
        return log_in(session, username, password)


def whoami(runtime: Runtime, caller: Caller) -> User:
    with runtime.transaction() as session:
        return require_user(user_of(session, caller))


def end_session(runtime: Runtime, caller: Caller) -> None:
    with runtime.transaction() as session:
        log_out(session, caller.session_token or "")
