"""Nested spaces and who may act in them.

Decentralisation is the point: whoever moderates a space controls it and every space below it, and
nothing else. Only administrators create top-level spaces.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from concord.service.clock import now_ms
from concord.service.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from concord.store.models import LANGUAGE_TAG_LENGTH, MAX_ID, SPACE_PATH_LENGTH, Conversation, Space, SpaceRole, User

SLUG = re.compile(r"^[a-z0-9][a-z0-9\-]{0,63}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def require_user(user: User | None) -> User:
    if user is None:
        raise Unauthorized("log in as a moderator first")
    return user


def moderates(session: Session, user: User | None, space: Space) -> bool:
    """True if the user is an administrator or moderates this space or one above it."""
    if user is None:
        return False
    if user.is_admin:
        return True
    paths = session.scalars(
        select(Space.path).join(SpaceRole, SpaceRole.space_id == Space.id).where(SpaceRole.user_id == user.id)
    )
    return any(space.path == path or space.path.startswith(path + "/") for path in paths)


def require_moderator(session: Session, user: User | None, space: Space) -> User:
    user = require_user(user)
    if not moderates(session, user, space):
        raise Forbidden(f"you do not moderate the space {space.path}")
    return user


def validate_language(language: str) -> str:
    if len(language or "") > LANGUAGE_TAG_LENGTH or not LANGUAGE.match(language or ""):
        raise Invalid(
            "language must be a language tag of at most 16 characters, such as 'en', 'fa-AF' (Dari) or 'ps' (Pashto)"
        )
    return language


def create_space(
    session: Session,
    user: User | None,
    *,
    parent_path: str | None,
    slug: str,
    name: str,
    language: str = "en",
    description: str = "",
) -> Space:
    if not SLUG.match(slug or ""):
        raise Invalid(
            "a space's short name (slug) is 1–64 lowercase letters, digits or '-', starting with a letter or digit"
        )
    name = (name or "").strip()
    if not 1 <= len(name) <= 200:
        raise Invalid("a space needs a name of 1–200 characters")
    parent = None
    if parent_path:
        parent = space_by_path(session, parent_path)
        require_moderator(session, user, parent)
    elif not require_user(user).is_admin:
        raise Forbidden("only administrators create top-level spaces")
    path = f"{parent.path if parent else ''}/{slug}"
    if len(path) > SPACE_PATH_LENGTH:
        raise Invalid(f"spaces nest too deep: a space's path is limited to {SPACE_PATH_LENGTH} characters")
    if session.scalar(select(Space).where(Space.path == path)):
        raise Conflict(f"the space {path} exists already")
    space = Space(
        parent_id=parent.id if parent else None,
        slug=slug,
        path=path,
        name=name,
        language=validate_language(language),
        description=description or "",
        created_ms=now_ms(),
    )
    session.add(space)
    session.flush()
    return space


def space_by_id(session: Session, space_id: int) -> Space:
    space = session.get(Space, space_id) if 0 <= space_id <= MAX_ID else None
    if space is None:
        raise NotFound(f"no space {space_id}")
    return space


def space_by_path(session: Session, path: str) -> Space:
    path = "/" + path.strip("/")
    space = session.scalar(select(Space).where(Space.path == path))
    if space is None:
        raise NotFound(f"no space at {path}")
    return space


def all_spaces(session: Session) -> list[Space]:
    return list(session.scalars(select(Space).order_by(Space.path)))


def children(session: Session, space: Space) -> list[Space]:
    return list(session.scalars(select(Space).where(Space.parent_id == space.id).order_by(Space.name)))


def conversations_in(session: Session, space: Space) -> list[Conversation]:
    return list(
        session.scalars(select(Conversation).where(Conversation.space_id == space.id).order_by(Conversation.id.desc()))
    )
