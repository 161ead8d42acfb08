"""Moderator accounts, logins and roles. Passwords are hashed with Argon2id (argon2-cffi)."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from concord.service.accounts.tokens import new_token, token_hash
from concord.service.caller import Caller
from concord.service.clock import now_ms
from concord.service.errors import Conflict, Invalid, Label, NotFound, Unauthorized
from concord.service.text import checked_text
from concord.store.models import LoginSession, Space, SpaceRole, User

if TYPE_CHECKING:
    from concord.service.runtime import Runtime

SESSION_LIFETIME_MS = 12 * 3600 * 1000
USERNAME_LENGTH = 64
USERNAME = re.compile(rf"^[A-Za-z0-9_.\-]{{2,{USERNAME_LENGTH}}}$")
MIN_PASSWORD_LENGTH = 10
PASSWORD_LENGTH = 1024  # Argon2 takes any length; a longer one only costs the server


def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()


def create_user(session: Session, username: str, password: str, *, is_admin: bool = False) -> User:
    check_username(username)
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise Invalid("a password needs at least %(length)s characters", field="password", length=MIN_PASSWORD_LENGTH)
    if session.scalar(select(User).where(User.username == username)):
        raise Conflict("the username %(username)s is taken", field="username", username=username)
    user = User(username=username, password_hash=_hasher().hash(password), is_admin=is_admin, created_ms=now_ms())
    session.add(user)
    session.flush()
    return user


def system_actor() -> User:
    """An administrator that is nobody: for actions the operator takes from the command line (the demo,
    imports). Never stored; moderation events it makes have no moderator."""
    return User(username="(system)", is_admin=True)


def check_username(username: str) -> None:
    """Refuse a name no account can have (for its form alone: that says nothing about accounts)."""
    if not USERNAME.match(username or ""):
        raise Invalid("a username is 2–64 letters, digits, '.', '_' or '-'")


def user_named(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def find_user(session: Session, username: str) -> User:
    """The account of this name, for the operator (who makes the accounts): else 404, naming it."""
    user = user_named(session, username)
    if user is None:
        raise NotFound("no user named %(username)s", field="username", username=username)
    return user


@dataclass(frozen=True)
class UserRecord:
    """A moderator's or administrator's account as the pages and the API show it (never its password's hash)."""

    id: int
    username: str
    is_admin: bool

    @classmethod
    def of(cls, row: User) -> UserRecord:
        return cls(row.id, row.username, row.is_admin)


@dataclass(frozen=True)
class Login:
    user: UserRecord
    token: str  # goes into the HttpOnly cookie; only its hash is stored


def log_in(session: Session, username: str, password: str) -> Login:
    """The same work whether the user exists or not (an Argon2 verification), so that the time of the
    answer does not tell which usernames exist."""
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    checked_text(username, Label("a username"), USERNAME_LENGTH, field="username")
    checked_text(password, Label("a password"), PASSWORD_LENGTH, field="password")
    user = session.scalar(select(User).where(User.username == username)) if USERNAME.match(username) else None
    hasher = _hasher()
    try:
        hasher.verify(user.password_hash if user is not None else _unknown_user_hash(), password)
        if user is None:
            raise VerifyMismatchError()
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise Unauthorized("wrong username or password") from None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    token = new_token()
    now = now_ms()
    session.execute(delete(LoginSession).where(LoginSession.expires_ms < now))
    session.add(
        LoginSession(
            token_hash=token_hash(token),
            user_id=user.id,
            created_ms=now,
            expires_ms=now + SESSION_LIFETIME_MS,
        )
    )
    return Login(UserRecord.of(user), token)


@cache
def _unknown_user_hash() -> str:
    """A hash of a password nobody knows, verified against for usernames that do not exist."""
    return _hasher().hash(new_token())


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


async def start_session(runtime: Runtime, caller: Caller, username: str, password: str) -> Login:
    """Log in. Each attempt first waits as long as recent failures from this address and on this
    account ask (:mod:`concord.service.accounts.login_delays`); the right password is then always accepted."""
    wait = await asyncio.to_thread(runtime.logins.wait_before_checking, username, caller.address)
    if wait > 0:
        await asyncio.sleep(wait)
    try:
        login = await asyncio.to_thread(_log_in, runtime, username, password)
    except Unauthorized:
        await asyncio.to_thread(runtime.logins.failed, username, caller.address)
        raise
    await asyncio.to_thread(runtime.logins.succeeded, username)
    return login


def _log_in(runtime: Runtime, username: str, password: str) -> Login:
    with runtime.transaction() as session:
        return log_in(session, username, password)


def whoami(runtime: Runtime, caller: Caller) -> UserRecord:
    with runtime.transaction() as session:
        return UserRecord.of(require_user(user_of(session, caller)))


def end_session(runtime: Runtime, caller: Caller) -> None:
    with runtime.transaction() as session:
        log_out(session, caller.session_token or "")
