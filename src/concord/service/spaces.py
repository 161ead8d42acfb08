"""Nested spaces and who may act in them.

Decentralisation is the point: whoever moderates a space controls it and every space below it, and
nothing else. Only administrators create top-level spaces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from concord.languages import UnknownLanguage, canonical
from concord.service.accounts.moderators import check_username, grant, require_user, user_named, user_of
from concord.service.caller import Caller
from concord.service.clock import now_ms
from concord.service.conversations.wordings import Shown, topics
from concord.service.errors import Conflict, Forbidden, Invalid, Label, NotFound
from concord.service.text import checked_text
from concord.store.models import (
    MAX_ID,
    SPACE_PATH_LENGTH,
    Budget,
    Conversation,
    Space,
    SpaceRole,
    User,
    being_imported,
)

if TYPE_CHECKING:
    from concord.service.runtime import Runtime

NAME_LENGTH = 200
DESCRIPTION_LENGTH = 5_000
SLUG_LENGTH = 64
SLUG = re.compile(rf"^[a-z0-9][a-z0-9\-]{{0,{SLUG_LENGTH - 1}}}$")


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
        raise Forbidden("you do not moderate the space %(space)s", space=space.path)
    return user


def validate_language(language: object, field: str = "language") -> str:
    """A known language tag in its canonical form (``fa_af`` → ``fa-AF``)."""
    try:
        return canonical(language)
    except UnknownLanguage:
        raise Invalid(
            "language must be a language tag of at most 16 characters, such as 'en', 'fa-AF' (Dari) or 'ps' (Pashto)",
            "unknown_language",
            field=field,
        ) from None


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
            "a space's short name (slug) is 1–64 lowercase letters, digits or '-', starting with a letter or digit",
            field="slug",
        )
    name = checked_text(name or "", Label("a space's name"), NAME_LENGTH, field="name").strip()
    description = checked_text(
        description or "", Label("a space's description"), DESCRIPTION_LENGTH, multiline=True, field="description"
    )
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
        raise Invalid(
            "spaces nest too deep: a space's path is limited to %(limit)s characters",
            field="slug",
            limit=SPACE_PATH_LENGTH,
        )
    if session.scalar(select(Space).where(Space.path == path)):
        raise Conflict("the space %(space)s exists already", "space_exists", field="slug", space=path)
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
        raise NotFound("no space %(space)s", space=space_id)
    return space


def space_by_path(session: Session, path: str) -> Space:
    path = "/" + checked_text(path, Label("a space's path"), SPACE_PATH_LENGTH).strip("/")
    space = session.scalar(select(Space).where(Space.path == path))
    if space is None:
        raise NotFound("no space at %(space)s", space=path)
    return space


def all_spaces(session: Session) -> list[Space]:
    return list(session.scalars(select(Space).order_by(Space.path)))


def children(session: Session, space: Space) -> list[Space]:
    return list(session.scalars(select(Space).where(Space.parent_id == space.id).order_by(Space.name)))


def conversations_in(session: Session, space: Space) -> list[Conversation]:
    return list(
        session.scalars(
            select(Conversation)
            .where(Conversation.space_id == space.id, ~being_imported(Conversation.id))
            .order_by(Conversation.id.desc())
        )
    )


def trail_above(space: Space) -> list[Space]:
    """The spaces above this one, outermost first (for breadcrumbs)."""
    trail: list[Space] = []
    parent = space.parent
    while parent is not None:
        trail.insert(0, parent)
        parent = parent.parent
    return trail


# --- use cases ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpaceOverview:
    space: Space
    trail: list[Space]  # the spaces above, outermost first
    children: list[Space]
    conversations: list[Conversation]  # newest first
    can_moderate: bool
    topics: dict[int, Shown]  # the conversations' topics as the reader sees them, by id
    budgets: list[Budget]  # its participatory budgets, newest first


@dataclass(frozen=True)
class Home:
    spaces: list[Space]  # the top-level ones
    user: User | None
    open_conversations: list[Conversation]  # the newest open ones, anywhere: something to take part in
    topics: dict[int, Shown]  # their topics as the reader sees them, by id


HOME_CONVERSATIONS = 12


def home(runtime: Runtime, caller: Caller, reader: str = "en") -> Home:
    with runtime.transaction() as session:
        roots = [space for space in all_spaces(session) if space.parent_id is None]
        newest_open = list(
            session.scalars(
                select(Conversation)
                .where(Conversation.is_open, ~being_imported(Conversation.id))
                .order_by(Conversation.id.desc())
                .limit(HOME_CONVERSATIONS)
            )
        )
        return Home(roots, user_of(session, caller), newest_open, topics(session, newest_open, reader))


def list_spaces(runtime: Runtime, path: str | None = None) -> list[Space]:
    """Every space (the tree, parents before children), or the one at ``path``."""
    with runtime.transaction() as session:
        return [space_by_path(session, path)] if path else all_spaces(session)


def space_overview(
    runtime: Runtime, caller: Caller, *, space_id: int | None = None, path: str = "", reader: str = "en"
) -> SpaceOverview:
    """A space (by id or by path) with what is above and inside it, and whether the caller moderates it."""
    with runtime.transaction() as session:
        return overview_of(session, caller, space_id=space_id, path=path, reader=reader)


def overview_of(
    session: Session, caller: Caller, *, space_id: int | None = None, path: str = "", reader: str = "en"
) -> SpaceOverview:
    space = space_by_id(session, space_id) if space_id is not None else space_by_path(session, path)
    inside = conversations_in(session, space)
    return SpaceOverview(
        space=space,
        trail=trail_above(space),
        children=children(session, space),
        conversations=inside,
        can_moderate=moderates(session, user_of(session, caller), space),
        topics=topics(session, inside, reader),
        budgets=list(
            session.scalars(
                select(Budget)
                .where(Budget.space_id == space.id, Budget.importing_until.is_(None))
                .order_by(Budget.id.desc())
            )
        ),
    )


def add_space(
    runtime: Runtime,
    caller: Caller,
    *,
    parent_id: int | None,
    slug: str,
    name: str,
    language: str = "en",
    description: str = "",
) -> Space:
    """A new space inside one the caller moderates (administrators create top-level spaces)."""
    with runtime.transaction() as session:
        parent_path = space_by_id(session, parent_id).path if parent_id is not None else None
        return create_space(
            session,
            user_of(session, caller),
            parent_path=parent_path,
            slug=slug,
            name=name,
            language=language,
            description=description,
        )


def add_moderator(runtime: Runtime, caller: Caller, space_id: int, username: str) -> None:
    """Make the account of this name moderator of this space (and so of every space below it), if
    there is one. The caller is not told whether there is, which would tell any moderator which
    accounts exist: a name no account has is taken as a known one, and nothing is stored for it."""
    with runtime.transaction() as session:
        space = space_by_id(session, space_id)
        require_moderator(session, user_of(session, caller), space)
        check_username(username)
        if (user := user_named(session, username)) is not None:
            grant(session, user, space)
