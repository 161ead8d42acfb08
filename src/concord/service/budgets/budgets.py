"""Participatory budgets in a space: the money, the projects, the voting period and the ballot, and each
voter's ballot. A budget has a conversation of its own, whose participants are its voters: the same
anonymous participation, invitation codes, signed member ids and declared questions as any
conversation, and a place to discuss the projects. Deciding it is :mod:`concord.service.budgets.outcomes`;
pabulib files in and out, :mod:`concord.service.budgets.files`.

Money is exact: amounts and costs are decimal text, read as ``Fraction`` (a share of a budget is
compared with sums of other shares, and rounding would decide ties that are not ties).
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from concord.service.accounts.moderators import user_of
from concord.service.caller import Caller
from concord.service.clock import now_ms
from concord.service.conversations.lifecycle import ConversationSettings, create_conversation, lock_for_writing
from concord.service.errors import Conflict, Invalid, Label, NotFound
from concord.service.participation.joining import Joined, acting_participant, find_participant, set_attributes
from concord.service.ratelimit import VOTES
from concord.service.spaces import children, moderates, require_moderator, space_by_id
from concord.service.text import checked_text
from concord.states import Access
from concord.store.models import MAX_ID, Budget, BudgetBallot, BudgetProject, Participant, Space, User

if TYPE_CHECKING:
    from concord.service.runtime import Runtime

NAME_LENGTH = 300
DESCRIPTION_LENGTH = 10_000
CURRENCY_LENGTH = 8
CODE_LENGTH = 64
CATEGORY_LENGTH = 200
LOCATION_LENGTH = 300
MAX_PROJECTS = 500
MONEY_LIMIT = Fraction(10**15)
MONEY_DECIMALS = 6
BALLOT_TYPES = ("approval", "choose-1")  # what the web ballot offers; imports may carry other pabulib types
GROUPING = {",", "\u066c", " ", "\u00a0", "\u202f", "'", "_"}  # thousands separators of the scripts people type
DECIMAL_POINTS = {".", "\u066b"}  # and the Arabic decimal separator


# --- money ---------------------------------------------------------------------------------------


def parse_money(value: object, what: Label, field: str) -> Fraction:
    """An amount as people type it: any script's digits (۲۵۰۰۰۰۰), thousands separators, a point or the
    Arabic decimal separator; positive, at most a quadrillion, at most six decimals. A float is refused
    (not exact; NaN and infinities among them), and so is text such as "nan" or "1e999"."""
    amount = None
    if isinstance(value, str | int | Fraction | Decimal) and not isinstance(value, bool):
        text = "".join(
            str(unicodedata.digit(c)) if c.isdigit() else "." if c in DECIMAL_POINTS else "" if c in GROUPING else c
            for c in str(value).strip()
        )
        try:
            amount = Fraction(Decimal(text)) if text and text.replace(".", "", 1).isdigit() else None
        except (InvalidOperation, ValueError):
            amount = None
    if amount is None or amount <= 0 or amount > MONEY_LIMIT or (amount * 10**MONEY_DECIMALS).denominator != 1:
        raise Invalid(
            "%(what)s must be an amount more than 0 and at most %(most)s, such as 25000 or 1250.50",
            "not_money",
            field=field,
            what=what,
            most=int(MONEY_LIMIT),
        )
    return amount


def money_text(amount: Fraction) -> str:
    """An exact decimal as text ("2500000", "1250.5")."""
    if amount.denominator == 1:
        return str(amount.numerator)
    text = format(Decimal(amount.numerator) / Decimal(amount.denominator), "f")
    return text.rstrip("0").rstrip(".")


# --- settings ------------------------------------------------------------------------------------


@dataclass
class BudgetSettings:
    """What a moderator chooses for a budget; checked before anything is stored."""

    name: str = ""
    description: str = ""
    amount: object = ""
    currency: str = ""
    ballot_type: str = "approval"
    max_projects: int | None = None
    max_cost: object = None  # the most a ballot's projects may cost together, if limited
    opens_ms: int | None = None
    closes_ms: int | None = None
    language: str = "en"
    access: Access | str = Access.LINK
    attributes: list | None = None  # declared questions (district, community …): groups in the fairness report
    allow_unsigned_xid: bool = False

    def checked(self) -> dict[str, Any]:
        name = checked_text(self.name or "", Label("a budget's name"), NAME_LENGTH, field="name").strip()
        if not name:
            raise Invalid("a budget needs a name", field="name")
        description = checked_text(
            self.description or "", Label("the description"), DESCRIPTION_LENGTH, multiline=True, field="description"
        )
        currency = checked_text(self.currency or "", Label("a currency"), CURRENCY_LENGTH, field="currency").strip()
        if self.ballot_type not in BALLOT_TYPES:
            raise Invalid("the ballot is 'approval' or 'choose-1'", field="ballot_type")
        most = self.max_projects
        if most is not None and (isinstance(most, bool) or not isinstance(most, int) or not 1 <= most <= MAX_PROJECTS):
            raise Invalid(
                "the most projects a ballot may list is a whole number from 1 to %(most)s",
                field="max_projects",
                most=MAX_PROJECTS,
            )
        amount = parse_money(self.amount, Label("the budget's amount"), "amount")
        max_cost = (
            None if self.max_cost in (None, "") else parse_money(self.max_cost, Label("a cost limit"), "max_cost")
        )
        if self.opens_ms is not None and self.closes_ms is not None and self.closes_ms <= self.opens_ms:
            raise Invalid("voting must close after it opens", field="closes_ms")
        return {
            "name": name,
            "description": description,
            "amount": money_text(amount),
            "currency": currency,
            "ballot": {
                "type": self.ballot_type,
                "max_projects": 1 if self.ballot_type == "choose-1" else most,
                "max_cost": money_text(max_cost) if max_cost is not None else None,
            },
            "opens_ms": self.opens_ms,
            "closes_ms": self.closes_ms,
        }

    def conversation(self, name: str, description: str) -> ConversationSettings:
        """Its conversation: where its voters join, and discuss the projects."""
        return ConversationSettings(
            topic=name[:300],
            description=description,
            language=self.language,
            access=self.access,
            attributes=self.attributes,
            allow_unsigned_xid=self.allow_unsigned_xid,
            participants_can_write=True,
        )


@dataclass
class ProjectFields:
    name: str = ""
    cost: object = ""
    description: str = ""
    category: str = ""
    location: str = ""
    latitude: float | None = None
    longitude: float | None = None
    code: str | None = None  # pabulib's project_id; the project's number when not given

    def checked(self) -> dict[str, Any]:
        name = checked_text(self.name or "", Label("a project's name"), NAME_LENGTH, field="name").strip()
        if not name:
            raise Invalid("a project needs a name", field="name")
        for value, low, high, where in ((self.latitude, -90, 90, "latitude"), (self.longitude, -180, 180, "longitude")):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high
            ):
                raise Invalid("%(field)s must be a number from %(low)s to %(high)s", field=where, low=low, high=high)
        return {
            "name": name,
            "cost": money_text(parse_money(self.cost, Label("a project's cost"), "cost")),
            "description": checked_text(
                self.description or "",
                Label("the description"),
                DESCRIPTION_LENGTH,
                multiline=True,
                field="description",
            ),
            "category": checked_text(
                self.category or "", Label("a category"), CATEGORY_LENGTH, field="category"
            ).strip(),
            "location": checked_text(
                self.location or "", Label("a location"), LOCATION_LENGTH, field="location"
            ).strip(),
            "latitude": self.latitude,
            "longitude": self.longitude,
        }


# --- lookups -------------------------------------------------------------------------------------


def budget_by_public_id(session: Session, public_id: str) -> Budget:
    """A budget, unless it is still being imported (then nobody sees it yet)."""
    found = session.scalar(select(Budget).where(Budget.public_id == public_id, Budget.importing_until.is_(None)))
    if found is None:
        raise NotFound("no budget %(budget)s", budget=public_id)
    return found


def projects_of(session: Session, budget: Budget) -> list[BudgetProject]:
    return list(
        session.scalars(
            select(BudgetProject).where(BudgetProject.budget_id == budget.id).order_by(BudgetProject.number)
        )
    )


def ballots_cast(session: Session, budget: Budget) -> int:
    return session.scalar(select(func.count(BudgetBallot.id)).where(BudgetBallot.budget_id == budget.id)) or 0


def budgets_in(session: Session, space: Space) -> list[Budget]:
    return list(
        session.scalars(
            select(Budget)
            .where(Budget.space_id == space.id, Budget.importing_until.is_(None))
            .order_by(Budget.id.desc())
        )
    )


def split_into(session: Session, budget: Budget) -> list[Budget]:
    return list(session.scalars(select(Budget).where(Budget.parent_id == budget.id).order_by(Budget.id)))


def voting_state(budget: Budget, now: int | None = None) -> str:
    """ "open", "not-yet" (before its period), "closed", or "split" (its money went to the spaces below)."""
    now = now or now_ms()
    if budget.split is not None:
        return "split"
    if not budget.conversation.is_open or (budget.closes_ms is not None and now >= budget.closes_ms):
        return "closed"
    if budget.opens_ms is not None and now < budget.opens_ms:
        return "not-yet"
    return "open"


# --- changes -------------------------------------------------------------------------------------


def create_budget(
    session: Session, user: User | None, space: Space, settings: BudgetSettings, *, parent: Budget | None = None
) -> Budget:
    require_moderator(session, user, space)
    checked = settings.checked()
    conversation = create_conversation(
        session, user, space, settings.conversation(checked["name"], checked["description"])
    )
    budget = Budget(
        public_id=secrets.token_urlsafe(8).replace("-", "x").replace("_", "y"),
        space_id=space.id,
        conversation_id=conversation.id,
        parent_id=parent.id if parent is not None else None,
        meta={},
        created_ms=now_ms(),
        **checked,
    )
    session.add(budget)
    session.flush()
    return budget


def update_budget(session: Session, user: User | None, budget: Budget, changes: dict[str, Any]) -> Budget:
    """Change some settings. Once ballots are cast, the amount and the ballot's rules stay (a voter chose
    under them)."""
    require_moderator(session, user, budget.space)
    current = BudgetSettings(
        name=budget.name,
        description=budget.description,
        amount=budget.amount,
        currency=budget.currency,
        ballot_type=budget.ballot["type"],
        max_projects=budget.ballot.get("max_projects"),
        max_cost=budget.ballot.get("max_cost"),
        opens_ms=budget.opens_ms,
        closes_ms=budget.closes_ms,
    )
    known = set(vars(current)) - {"language", "access", "attributes", "allow_unsigned_xid"}
    unknown = set(changes) - known
    if unknown:
        raise Invalid("unknown setting(s): %(names)s", names=", ".join(sorted(unknown)))
    for name, value in changes.items():
        setattr(current, name, value)
    checked = current.checked()
    if ballots_cast(session, budget) and (checked["amount"] != budget.amount or checked["ballot"] != budget.ballot):
        raise Conflict(
            "ballots are cast: the amount and the ballot's rules can no longer change", "ballots_cast", field="amount"
        )
    for name, value in checked.items():
        setattr(budget, name, value)
    budget.conversation.topic = checked["name"][:300]
    budget.conversation.description = checked["description"]
    return budget


def add_project(session: Session, user: User | None, budget: Budget, fields: ProjectFields) -> BudgetProject:
    require_moderator(session, user, budget.space)
    _before_voting(session, budget, "projects can no longer be added")
    checked = fields.checked()
    lock_for_writing(session, budget.conversation)
    existing = projects_of(session, budget)
    if len(existing) >= MAX_PROJECTS:
        raise Invalid("a budget has at most %(most)s projects", field="name", most=MAX_PROJECTS)
    number = max((p.number for p in existing), default=0) + 1
    code = checked_text(fields.code or str(number), Label("a project id"), CODE_LENGTH, field="code").strip()
    if not code or "," in code or ";" in code:
        raise Invalid("a project id is a short text without commas or semicolons", field="code")
    if any(p.code == code for p in existing):
        raise Conflict("the project id %(code)s is taken", "project_exists", field="code", code=code)
    project = BudgetProject(budget_id=budget.id, number=number, code=code, extra={}, **checked)
    session.add(project)
    session.flush()
    return project


def update_project(
    session: Session, user: User | None, budget: Budget, number: int, changes: dict[str, Any]
) -> BudgetProject:
    """Change a project; its cost only until the first ballot (voters chose at that cost)."""
    require_moderator(session, user, budget.space)
    project = project_by_number(session, budget, number)
    fields = ProjectFields(
        name=project.name,
        cost=project.cost,
        description=project.description,
        category=project.category,
        location=project.location,
        latitude=project.latitude,
        longitude=project.longitude,
    )
    unknown = set(changes) - (set(vars(fields)) - {"code"})
    if unknown:
        raise Invalid("unknown field(s): %(names)s", names=", ".join(sorted(unknown)))
    for name, value in changes.items():
        setattr(fields, name, value)
    checked = fields.checked()
    if checked["cost"] != project.cost:
        _before_voting(session, budget, "a project's cost can no longer change")
    for name, value in checked.items():
        setattr(project, name, value)
    return project


def remove_project(session: Session, user: User | None, budget: Budget, number: int) -> None:
    require_moderator(session, user, budget.space)
    _before_voting(session, budget, "projects can no longer be removed")
    session.delete(project_by_number(session, budget, number))


def project_by_number(session: Session, budget: Budget, number: int) -> BudgetProject:
    project = (
        session.scalar(
            select(BudgetProject).where(BudgetProject.budget_id == budget.id, BudgetProject.number == number)
        )
        if 0 <= number <= MAX_ID
        else None
    )
    if project is None:
        raise NotFound("no project %(number)s in this budget", number=number)
    return project


def _before_voting(session: Session, budget: Budget, refusal: str) -> None:
    if budget.split is not None:
        raise Conflict("this budget is split among the spaces below: each decides its own", "budget_split")
    if ballots_cast(session, budget):
        raise Conflict("ballots are cast: %(what)s", "ballots_cast", what=Label(refusal))


def check_voting_open(budget: Budget) -> None:
    state = voting_state(budget)
    if state == "not-yet":
        raise Conflict("voting has not opened yet", "voting_not_open")
    if state in ("closed", "split"):
        raise Conflict("voting is closed", "voting_closed")


def record_ballot(session: Session, budget: Budget, participant: Participant, numbers: list[int]) -> BudgetBallot:
    """A voter's ballot, replacing their previous one, within the ballot's rules."""
    check_voting_open(budget)
    if not isinstance(numbers, list) or not all(isinstance(n, int) and not isinstance(n, bool) for n in numbers):
        raise Invalid("a ballot is a list of project numbers", field="projects")
    if len(set(numbers)) != len(numbers):
        raise Invalid("a ballot lists each project once", field="projects")
    costs = {p.number: Fraction(p.cost) for p in projects_of(session, budget)}
    unknown = [n for n in numbers if n not in costs]
    if unknown:
        raise Invalid("no project %(number)s in this budget", "unknown_project", field="projects", number=unknown[0])
    rules = budget.ballot
    if rules["type"] == "choose-1" and len(numbers) != 1:
        raise Invalid("choose one project", "choose_one", field="projects")
    if rules.get("max_projects") and len(numbers) > rules["max_projects"]:
        raise Invalid(
            "a ballot lists at most %(most)s projects; this one lists %(count)s",
            "too_many_projects",
            field="projects",
            most=rules["max_projects"],
            count=len(numbers),
        )
    total = sum((costs[n] for n in numbers), Fraction(0))
    if rules.get("max_cost") and total > Fraction(rules["max_cost"]):
        raise Invalid(
            "the projects chosen cost %(total)s together, more than the limit of %(limit)s",
            "over_cost_limit",
            field="projects",
            total=money_text(total),
            limit=rules["max_cost"],
        )
    ballot = session.scalar(
        select(BudgetBallot).where(BudgetBallot.budget_id == budget.id, BudgetBallot.participant_id == participant.id)
    )
    if ballot is None:
        ballot = BudgetBallot(budget_id=budget.id, participant_id=participant.id, attributes={})
        session.add(ballot)
    ballot.projects = sorted(numbers) if rules["type"] != "ordinal" else numbers
    ballot.points = None
    ballot.updated_ms = now_ms()
    session.flush()
    return ballot


# --- the roll-up: a parent space's budget split among the spaces below ------------------------------

SPLITS = ("equal", "population", "weight", "formula")


def split_amounts(amount: Fraction, places: list[Space], parts: dict[str, float]) -> list[Fraction]:
    """``amount`` shared among ``places``: the part ``equal`` of it equally, the part ``population`` by
    their declared populations, the part ``weight`` by their weights; rounded to the cent so that the
    shares add up to the amount exactly (largest remainders get the leftover cents)."""
    total = sum(parts.values())
    if not places or abs(total - 1) > 1e-9:
        raise Invalid("the parts of a split add up to 100 %", field="split")
    if parts.get("population") and any(place.population is None for place in places):
        missing = next(place.name for place in places if place.population is None)
        raise Invalid("%(space)s has no population: set it, or split another way", field="split", space=missing)
    exact = [Fraction(0)] * len(places)
    for kind, part in parts.items():
        if not part:
            continue
        sizes = [
            Fraction(1)
            if kind == "equal"
            else Fraction(place.population or 0)
            if kind == "population"
            else Fraction(place.weight)
            for place in places
        ]
        whole = sum(sizes)
        if whole <= 0:
            raise Invalid("the spaces below have no %(what)s to split by", field="split", what=Label(kind))
        for index, size in enumerate(sizes):
            exact[index] += amount * Fraction(part).limit_denominator(10**9) * size / whole
    cents = [int(share * 100) for share in exact]  # floor
    leftover = int(amount * 100) - sum(cents)
    for index in sorted(range(len(places)), key=lambda i: (-(exact[i] * 100 - cents[i]), i))[:leftover]:
        cents[index] += 1
    return [Fraction(c, 100) for c in cents]


def split_budget(
    session: Session, user: User | None, budget: Budget, mode: str, parts: dict[str, float] | None = None
) -> list[Budget]:
    """Split a budget's money among the spaces directly below its space: each gets a budget of its own,
    with the same currency, ballot and period, and decides it with its own voters."""
    require_moderator(session, user, budget.space)
    _before_voting(session, budget, "its money can no longer be split")
    if mode not in SPLITS:
        raise Invalid("a split is 'equal', 'population', 'weight' or 'formula'", field="split")
    if mode != "formula":
        parts = {mode: 1.0}
    if not isinstance(parts, dict) or not parts or set(parts) - {"equal", "population", "weight"}:
        raise Invalid("a formula gives the parts of 'equal', 'population' and 'weight'", field="split")
    if any(isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 1 for v in parts.values()):
        raise Invalid("each part of a formula is a share from 0 to 1", field="split")
    places = children(session, budget.space)
    if not places:
        raise Invalid("this space has no spaces below it to split its budget among", field="split")
    if projects_of(session, budget):
        raise Conflict("a budget with projects of its own is decided where it is", "budget_has_projects")
    amounts = split_amounts(Fraction(budget.amount), places, parts)
    made = []
    for place, amount in zip(places, amounts):
        if amount <= 0:  # a place that counts for nothing (weight 0) gets no budget
            continue
        settings = BudgetSettings(
            name=f"{budget.name} · {place.name}"[:NAME_LENGTH],
            description=budget.description,
            amount=money_text(amount),
            currency=budget.currency,
            ballot_type=budget.ballot["type"],
            max_projects=budget.ballot.get("max_projects"),
            max_cost=budget.ballot.get("max_cost"),
            opens_ms=budget.opens_ms,
            closes_ms=budget.closes_ms,
            language=place.language,
        )
        made.append(create_budget(session, user, place, settings, parent=budget))
    budget.split = {"mode": mode, "parts": parts}
    budget.conversation.is_open = False
    return made


# --- use cases ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetView:
    """A budget as its page shows it."""

    budget: Budget
    projects: list[BudgetProject]
    state: str  # voting_state
    ballots: int
    mine: BudgetBallot | None = None  # the reader's ballot
    is_moderator: bool = False
    needs_join: bool = False
    parts: list[tuple[Budget, int]] = field(default_factory=list)  # a split budget: the budgets below, ballots
    parent: str | None = None  # the budget it was split from (its id)
    asked: list[dict] = field(default_factory=list)  # declared questions the reader has not answered


def view_of(session: Session, caller: Caller, budget: Budget) -> BudgetView:
    participant = find_participant(session, budget.conversation, caller)
    mine = None
    if participant is not None:
        mine = session.scalar(
            select(BudgetBallot).where(
                BudgetBallot.budget_id == budget.id, BudgetBallot.participant_id == participant.id
            )
        )
    return BudgetView(
        budget=budget,
        projects=projects_of(session, budget),
        state=voting_state(budget),
        ballots=ballots_cast(session, budget),
        mine=mine,
        is_moderator=moderates(session, user_of(session, caller), budget.space),
        needs_join=participant is None and budget.conversation.access != Access.LINK,
        parts=[(part, ballots_cast(session, part)) for part in split_into(session, budget)],
        parent=session.scalar(select(Budget.public_id).where(Budget.id == budget.parent_id))
        if budget.parent_id
        else None,
        asked=[
            question
            for question in budget.conversation.attributes or []
            if participant is None or question["name"] not in (participant.attributes or {})
        ],
    )


def start_budget(runtime: Runtime, caller: Caller, space_id: int, settings: BudgetSettings) -> BudgetView:
    with runtime.transaction() as session:
        budget = create_budget(session, user_of(session, caller), space_by_id(session, space_id), settings)
        return view_of(session, caller, budget)


def budget_view(runtime: Runtime, caller: Caller, public_id: str) -> BudgetView:
    with runtime.transaction() as session:
        return view_of(session, caller, budget_by_public_id(session, public_id))


def change_budget(runtime: Runtime, caller: Caller, public_id: str, changes: dict[str, Any]) -> BudgetView:
    with runtime.transaction() as session:
        budget = budget_by_public_id(session, public_id)
        update_budget(session, user_of(session, caller), budget, changes)
        return view_of(session, caller, budget)


def new_project(runtime: Runtime, caller: Caller, public_id: str, fields: ProjectFields) -> BudgetProject:
    with runtime.transaction() as session:
        budget = budget_by_public_id(session, public_id)
        return add_project(session, user_of(session, caller), budget, fields)


def change_project(
    runtime: Runtime, caller: Caller, public_id: str, number: int, changes: dict[str, Any]
) -> BudgetProject:
    with runtime.transaction() as session:
        budget = budget_by_public_id(session, public_id)
        return update_project(session, user_of(session, caller), budget, number, changes)


def delete_project(runtime: Runtime, caller: Caller, public_id: str, number: int) -> None:
    with runtime.transaction() as session:
        budget = budget_by_public_id(session, public_id)
        remove_project(session, user_of(session, caller), budget, number)


def open_or_close_budget(runtime: Runtime, caller: Caller, public_id: str, is_open: bool) -> BudgetView:
    """Closing stops the ballots (the results stay) and logs the outcome; reopening resumes them."""
    if not is_open:
        from concord.service.budgets.outcomes import refresh_outcome  # it decides budgets: imports this

        with runtime.transaction() as session:
            budget = budget_by_public_id(session, public_id)
            require_moderator(session, user_of(session, caller), budget.space)
        # Computed before the closing transaction, which then finds it stored (unless a ballot came in
        # between) and only logs it: a big budget's computation holds no lock.
        refresh_outcome(runtime, budget)
    with runtime.transaction() as session:
        budget = budget_by_public_id(session, public_id)
        require_moderator(session, user_of(session, caller), budget.space)
        if is_open and budget.split is not None:
            raise Conflict("this budget is split among the spaces below: each decides its own", "budget_split")
        budget.conversation.is_open = is_open
        budget.conversation.closed_ms = None if is_open else now_ms()
        if not is_open:
            from concord.service.budgets.outcomes import publish_outcome  # it decides budgets: imports this

            publish_outcome(session, budget)
        return view_of(session, caller, budget)


@dataclass(frozen=True)
class Cast:
    ballot: BudgetBallot
    joined: Joined


def cast_ballot(
    runtime: Runtime, caller: Caller, public_id: str, numbers: list[int], answers: dict[str, str] | None = None
) -> Cast:
    """A voter's ballot (joining, where anyone with the link may vote), replacing their previous one;
    with their answers to the budget's declared questions, if they gave any."""
    with runtime.transaction() as session:
        budget = budget_by_public_id(session, public_id)
        check_voting_open(budget)  # before anyone joins
        joined = acting_participant(session, budget.conversation, caller, runtime.limiter)
        runtime.limiter.check(session.connection(), VOTES, joined.participant.id)
        ballot = record_ballot(session, budget, joined.participant, numbers)
        if answers:
            set_attributes(budget.conversation, joined.participant, answers)
        return Cast(ballot, joined)


def split(runtime: Runtime, caller: Caller, public_id: str, mode: str, parts: dict[str, float] | None) -> list[Budget]:
    with runtime.transaction() as session:
        budget = budget_by_public_id(session, public_id)
        return split_budget(session, user_of(session, caller), budget, mode, parts)


def space_budgets(runtime: Runtime, space_id: int) -> list[Budget]:
    with runtime.transaction() as session:
        return budgets_in(session, space_by_id(session, space_id))
