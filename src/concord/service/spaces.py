"""Nested spaces and who may act in them.

Decentralisation is the point: whoever moderates a space controls it and every space below it, and
nothing else. Only administrators create top-level spaces.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from concord.languages import TAG_LENGTH, UnknownLanguage, canonical
from concord.service.accounts.moderators import (
    UserRecord,
    check_username,
    grant,
    require_user,
    user_named,
    user_of,
)
from concord.service.caller import Caller
from concord.service.clock import now_ms
from concord.service.conversations.wordings import Shown, SpaceTexts, budget_texts, space_texts, topics
from concord.service.errors import Conflict, Forbidden, Invalid, Label, NotFound
from concord.service.limits import Limits, checked, declared
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
    open_at,
    past_closing,
)

if TYPE_CHECKING:
    from concord.service.runtime import Runtime

NAME_LENGTH = 200
DESCRIPTION_LENGTH = 5_000
SLUG_LENGTH = 64
SLUG = re.compile(rf"^[a-z0-9][a-z0-9\-]{{0,{SLUG_LENGTH - 1}}}$")


@dataclass(frozen=True)
class SpaceRecord:
    """A space as the pages and the API show it."""

    id: int
    parent_id: int | None
    slug: str
    path: str  # the slugs from the root: "/afghanistan/herat"
    name: str
    description: str
    language: str
    created_ms: int
    decision_rule: dict | None  # the default rule of every conversation below ({"name", "parameters"}), if set
    weight: float  # as a place in a roll-up (a half-place weighs 0.5)
    population: float | None  # declared, for rules that weigh by it

    @classmethod
    def of(cls, row: Space) -> SpaceRecord:
        return cls(**{each.name: getattr(row, each.name) for each in fields(cls)})


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


def _slug(name: str, value: Any, limits: Limits) -> str:
    if not isinstance(value, str) or not SLUG.match(value):
        raise Invalid(
            "a space's short name (slug) is 1–64 lowercase letters, digits or '-', starting with a letter or digit",
            field=name,
        )
    return value


def _name(name: str, value: Any, limits: Limits) -> str:
    value = checked_text(value or "", Label("a space's name"), limits.length or 0, field=name).strip()
    if not 1 <= len(value) <= (limits.length or 0):
        raise Invalid("a space needs a name of 1–200 characters")
    return value


def _language(name: str, value: Any, limits: Limits) -> str:
    return validate_language(value, name)


def _description(name: str, value: Any, limits: Limits) -> str:
    return checked_text(value or "", Label("a space's description"), limits.length or 0, multiline=True, field=name)


@dataclass(frozen=True)
class SpaceSettings:
    """What whoever makes a space chooses; :meth:`validated` checks each against its declaration."""

    slug: str = field(
        metadata=declared(
            _slug, "text", length=SLUG_LENGTH, required=True, meaning="Short name used in paths, e.g. 'herat'."
        )
    )
    name: str = field(metadata=declared(_name, "text", length=NAME_LENGTH, required=True))
    language: str = field(default="en", metadata=declared(_language, "text", length=TAG_LENGTH))
    description: str = field(default="", metadata=declared(_description, "text", length=DESCRIPTION_LENGTH))

    def validated(self) -> SpaceSettings:
        return checked(self)


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
    settings = SpaceSettings(slug, name, language, description).validated()
    parent = None
    if parent_path:
        parent = space_by_path(session, parent_path)
        require_moderator(session, user, parent)
    elif not require_user(user).is_admin:
        raise Forbidden("only administrators create top-level spaces")
    path = f"{parent.path if parent else ''}/{settings.slug}"
    if len(path) > SPACE_PATH_LENGTH:
        raise Invalid(
            "spaces nest too deep: a space's path is limited to %(limit)s characters",
            field="slug",
            limit=SPACE_PATH_LENGTH,
        )
    if session.scalar(select(Space).where(Space.path == path)):
        raise Conflict("the space %(space)s exists already", "space_exists", field="slug", space=path)
    space = Space(parent_id=parent.id if parent else None, path=path, created_ms=now_ms(), **asdict(settings))
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
class BudgetListed:
    """A participatory budget as its space's page lists it."""

    public_id: str
    name: str  # as the reader reads it: translated into their language where it is
    amount: str  # exact decimal
    currency: str
    language: str  # of ``name``

    @classmethod
    def of(cls, row: Budget, name: Shown | None = None) -> BudgetListed:
        if name is None:
            return cls(row.public_id, row.name, row.amount, row.currency, row.conversation.language)
        return cls(row.public_id, name.text, row.amount, row.currency, name.language)


@dataclass(frozen=True)
class SpaceOverview:
    space: SpaceRecord
    trail: list[SpaceRecord]  # the spaces above, outermost first
    children: list[SpaceRecord]
    conversations: list[ConversationListed]  # newest first
    can_moderate: bool
    topics: dict[int, Shown]  # the conversations' topics as the reader sees them, by id
    budgets: list[BudgetListed]  # its participatory budgets, newest first
    texts: dict[int, SpaceTexts]  # its, those above and those inside: names and descriptions as the reader sees them


@dataclass(frozen=True)
class ConversationListed:
    """A conversation as a list of them shows it: its link, its topic (by id, as the reader reads it),
    whether it is open, and the space it is in."""

    id: int
    public_id: str
    topic: str  # as written
    is_open: bool
    space: SpaceRecord

    @classmethod
    def of(cls, row: Conversation) -> ConversationListed:
        is_open = row.is_open and not past_closing(row, now_ms())  # one past it closes itself when next read
        return cls(row.id, row.public_id, row.topic, is_open, SpaceRecord.of(row.space))


@dataclass(frozen=True)
class Home:
    spaces: list[SpaceRecord]  # the top-level ones
    user: UserRecord | None
    open_conversations: list[ConversationListed]  # the newest open ones, anywhere: something to take part in
    topics: dict[int, Shown]  # their topics as the reader sees them, by id
    texts: dict[int, SpaceTexts]  # the spaces' names (and descriptions) as the reader sees them, by id


HOME_CONVERSATIONS = 12


def _records(rows: list[Space]) -> list[SpaceRecord]:
    return [SpaceRecord.of(row) for row in rows]


def home(runtime: Runtime, caller: Caller, reader: str = "en") -> Home:
    with runtime.transaction() as session:
        roots = [space for space in all_spaces(session) if space.parent_id is None]
        newest_open = list(
            session.scalars(
                select(Conversation)
                .where(open_at(now_ms()), ~being_imported(Conversation.id))
                .order_by(Conversation.id.desc())
                .limit(HOME_CONVERSATIONS)
            )
        )
        user = user_of(session, caller)
        return Home(
            _records(roots),
            UserRecord.of(user) if user is not None else None,
            [ConversationListed.of(row) for row in newest_open],
            topics(session, newest_open, reader),
            space_texts(session, {s.id: s for s in [*roots, *(c.space for c in newest_open)]}.values(), reader),
        )


def list_spaces(runtime: Runtime, path: str | None = None) -> list[SpaceRecord]:
    """Every space (the tree, parents before children), or the one at ``path``."""
    with runtime.transaction() as session:
        return _records([space_by_path(session, path)] if path else all_spaces(session))


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
    above, below = trail_above(space), children(session, space)
    budgets = session.scalars(
        select(Budget).where(Budget.space_id == space.id, Budget.importing_until.is_(None)).order_by(Budget.id.desc())
    )
    return SpaceOverview(
        space=SpaceRecord.of(space),
        trail=_records(above),
        children=_records(below),
        conversations=[ConversationListed.of(row) for row in inside],
        can_moderate=moderates(session, user_of(session, caller), space),
        topics=topics(session, inside, reader),
        budgets=[BudgetListed.of(row, budget_texts(session, row, reader).name) for row in budgets],
        texts=space_texts(session, [space, *above, *below], reader),
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
) -> SpaceRecord:
    """A new space inside one the caller moderates (administrators create top-level spaces)."""
    with runtime.transaction() as session:
        parent_path = space_by_id(session, parent_id).path if parent_id is not None else None
        space = create_space(
            session,
            user_of(session, caller),
            parent_path=parent_path,
            slug=slug,
            name=name,
            language=language,
            description=description,
        )
        return SpaceRecord.of(space)


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
