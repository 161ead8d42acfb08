"""A budget's settings and a project's fields, declared once: each with its default, its meaning and its
limits as data (:class:`~concord.service.conversations.settings.Limits`, as a conversation's settings
are declared). The checks below read them; so do the API's schemas and the desk's forms, so a field is
named in its record only. A budget's voters join its conversation: who may, in what language and with
which questions are that conversation's settings, declared there and only taken here."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from typing import Any

from concord.service.budgets.money import Amount, money_text, parse_money
from concord.service.conversations.settings import LIMITS as CONVERSATION_LIMITS
from concord.service.conversations.settings import ConversationSettings, Limits, declared
from concord.service.errors import Invalid, Label
from concord.service.limits import EXACT
from concord.service.text import checked_text
from concord.states import Access
from concord.store.models import Budget, BudgetProject


class BallotType(StrEnum):
    """What a ballot asks: the projects a voter supports (approval), one of them (choose-1), points to
    share out among them (cumulative, at most ``max_points`` in all) or a ranking of them (ordinal)."""

    APPROVAL = "approval"
    CHOOSE_ONE = "choose-1"
    CUMULATIVE = "cumulative"
    ORDINAL = "ordinal"


# --- the checks a declaration names -----------------------------------------------------------------


def _budget_name(name: str, value: Any, limits: Limits) -> str:
    text = checked_text(value or "", Label("a budget's name"), limits.length or 0, field=name).strip()
    if not text:
        raise Invalid("a budget needs a name", field=name)
    return text


def _project_name(name: str, value: Any, limits: Limits) -> str:
    text = checked_text(value or "", Label("a project's name"), limits.length or 0, field=name).strip()
    if not text:
        raise Invalid("a project needs a name", field=name)
    return text


def _description(name: str, value: Any, limits: Limits) -> str:
    return checked_text(value or "", Label("the description"), limits.length or 0, multiline=True, field=name)


def _currency(name: str, value: Any, limits: Limits) -> str:
    return checked_text(value or "", Label("a currency"), limits.length or 0, field=name).strip()


def _category(name: str, value: Any, limits: Limits) -> str:
    return checked_text(value or "", Label("a category"), limits.length or 0, field=name).strip()


def _location(name: str, value: Any, limits: Limits) -> str:
    return checked_text(value or "", Label("a location"), limits.length or 0, field=name).strip()


def _project_code(name: str, value: Any, limits: Limits) -> str:
    code = checked_text(value, Label("a project id"), limits.length or 0, field=name).strip()
    if not code or "," in code or ";" in code:
        raise Invalid("a project id is a short text without commas or semicolons", field=name)
    return code


def _amount(name: str, value: Any, limits: Limits) -> str:
    return money_text(parse_money(value, Label("the budget's amount"), name))


def _cost(name: str, value: Any, limits: Limits) -> str:
    return money_text(parse_money(value, Label("a project's cost"), name))


def _cost_limit(name: str, value: Any, limits: Limits) -> str | None:
    return None if value in (None, "") else money_text(parse_money(value, Label("a cost limit"), name))


def _ballot_type(name: str, value: Any, limits: Limits) -> str:
    if value not in list(BallotType):
        raise Invalid("the ballot is 'approval', 'choose-1', 'cumulative' or 'ordinal'", field=name)
    return str(value)


def _most_projects(name: str, value: Any, limits: Limits) -> int | None:
    low, high = limits.low or 0, limits.high or 0
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high):
        raise Invalid("the most projects a ballot may list is a whole number from 1 to %(most)s", field=name, most=high)
    return value


def _most_points(name: str, value: Any, limits: Limits) -> int | None:
    low, high = limits.low or 0, limits.high or 0
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high):
        raise Invalid("the points each voter shares out are a whole number from 1 to %(most)s", field=name, most=high)
    return value


def _within(name: str, value: Any, limits: Limits) -> float | None:
    """A number in its declared range (a whole one, for a whole number), or none."""
    low, high = limits.low or 0, limits.high or 0
    kind = int if limits.kind == "whole" else int | float
    if value is not None and (isinstance(value, bool) or not isinstance(value, kind) or not low <= value <= high):
        raise Invalid("%(name)s must be a number from %(low)s to %(high)s", field=name, name=name, low=low, high=high)
    return value


def voters(name: str, **changes: Any) -> dict[str, Any]:
    """A field's metadata for a setting of the budget's conversation: its limits as the conversation
    declares them (``changes``: what the budget says of it otherwise, such as its meaning here)."""
    return {"limits": replace(CONVERSATION_LIMITS[name], **changes), "conversation": True}


_CONVERSATION = ConversationSettings()  # a conversation's defaults
# kept in its ``ballot`` (max_points only in a cumulative one's)
BALLOT = {"ballot_type": "type", "max_projects": "max_projects", "max_cost": "max_cost", "max_points": "max_points"}


def topic_of(name: str) -> str:
    """The topic of a budget's conversation: its name, as much as a topic holds."""
    return name[: CONVERSATION_LIMITS["topic"].length]


# --- the records -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetSettings:
    """What a moderator chooses for a budget; :meth:`checked` checks it before anything is stored."""

    name: str = field(default="", metadata=declared(_budget_name, "text", length=300, required=True))
    description: str = field(default="", metadata=declared(_description, "text", length=10_000, multiline=True))
    amount: Amount = field(default="", metadata=declared(_amount, "money", required=True))
    currency: str = field(default="", metadata=declared(_currency, "text", length=8))
    ballot_type: str = field(
        default=BallotType.APPROVAL.value, metadata=declared(_ballot_type, "choice", choices=BallotType)
    )
    max_projects: int | None = field(default=None, metadata=declared(_most_projects, "whole", low=1, high=500))
    max_cost: Amount | None = field(default=None, metadata=declared(_cost_limit, "money"))  # a ballot's, together
    max_points: int | None = field(
        default=None,
        metadata=declared(
            _most_points,
            "whole",
            low=1,
            high=1000,
            meaning="A cumulative ballot's points: how many each voter shares out among the projects.",
        ),
    )
    opens_ms: int | None = field(
        default=None,
        metadata=declared(_within, "whole", low=0, high=EXACT, meaning="When voting opens (ms since the epoch)."),
    )
    closes_ms: int | None = field(
        default=None,
        metadata=declared(_within, "whole", low=0, high=EXACT, meaning="When voting closes (ms since the epoch)."),
    )
    language: str = field(
        default=_CONVERSATION.language,
        metadata=voters("language", meaning="A BCP 47 language tag, e.g. en, fa-AF (Dari), ps (Pashto)."),
    )
    access: Access | str = field(default=_CONVERSATION.access, metadata=voters("access", meaning=None))
    attributes: list[dict] = field(
        default_factory=list,
        metadata=voters("attributes", meaning="Declared questions: groups in the fairness report."),
    )
    allow_unsigned_xid: bool = field(default=_CONVERSATION.allow_unsigned_xid, metadata=voters("allow_unsigned_xid"))

    def checked(self) -> dict[str, Any]:
        """The budget's columns, checked: its own settings (its conversation checks the others)."""
        values = {name: limits.check(name, getattr(self, name), limits) for name, limits in BUDGET_LIMITS.items()}
        if values["opens_ms"] is not None and values["closes_ms"] is not None:
            if values["closes_ms"] <= values["opens_ms"]:
                raise Invalid("voting must close after it opens", field="closes_ms")
        values["ballot"] = {key: values.pop(name) for name, key in BALLOT.items()}
        ballot = values["ballot"]
        if ballot["type"] == BallotType.CHOOSE_ONE:
            ballot["max_projects"] = 1
        if ballot["type"] != BallotType.CUMULATIVE:
            del ballot["max_points"]  # only points are shared out
        elif ballot["max_points"] is None:
            raise Invalid("a ballot of points needs the points each voter shares out", field="max_points")
        return values

    def conversation_settings(self, name: str, description: str) -> ConversationSettings:
        """Its conversation: where its voters join, and discuss the projects."""
        chosen = {each: getattr(self, each) for each in VOTER_SETTINGS}
        return ConversationSettings(
            topic=topic_of(name), description=description, participants_can_write=True, **chosen
        )

    @classmethod
    def of(cls, budget: Budget) -> BudgetSettings:
        """A budget's own settings as they are (its conversation's are left as declared)."""
        chosen: dict[str, Any] = {name: getattr(budget, name) for name in BUDGET_LIMITS if name not in BALLOT}
        return cls(**chosen | {name: budget.ballot.get(key) for name, key in BALLOT.items()})

    def like(self, **changes: Any) -> BudgetSettings:
        """These settings with some changed: only the budget's own may be (unknown ones refused)."""
        unknown = set(changes) - set(BUDGET_LIMITS)
        if unknown:
            raise Invalid("unknown setting(s): %(names)s", names=", ".join(sorted(unknown)))
        return replace(self, **changes)


@dataclass(frozen=True)
class ProjectFields:
    """A project as a moderator describes it; :meth:`checked` checks it before anything is stored."""

    code: str | None = field(
        default=None,
        metadata=declared(_project_code, "text", length=64, meaning="pabulib's project_id; its number if not given."),
    )
    name: str = field(default="", metadata=declared(_project_name, "text", length=300, required=True))
    description: str = field(default="", metadata=declared(_description, "text", length=10_000, multiline=True))
    cost: Amount = field(default="", metadata=declared(_cost, "money", required=True))
    category: str = field(default="", metadata=declared(_category, "text", length=200))
    location: str = field(default="", metadata=declared(_location, "text", length=300))
    latitude: float | None = field(default=None, metadata=declared(_within, "number", low=-90, high=90))
    longitude: float | None = field(default=None, metadata=declared(_within, "number", low=-180, high=180))

    def checked(self) -> dict[str, Any]:
        """The project's columns, checked, but its code: that is checked once its number is known
        (:meth:`code_for`), and never changes."""
        return {name: limits.check(name, getattr(self, name), limits) for name, limits in CHANGEABLE.items()}

    def code_for(self, number: int) -> str:
        """Its code, checked: as given, else its number."""
        limits = PROJECT_LIMITS["code"]
        return limits.check("code", self.code or str(number), limits)

    @classmethod
    def of(cls, project: BudgetProject) -> ProjectFields:
        return cls(**{name: getattr(project, name) for name in PROJECT_LIMITS})

    def like(self, **changes: Any) -> ProjectFields:
        """These fields with some changed: only those that may change (unknown ones refused)."""
        unknown = set(changes) - set(CHANGEABLE)
        if unknown:
            raise Invalid("unknown field(s): %(names)s", names=", ".join(sorted(unknown)))
        return replace(self, **changes)


def _limits_of(record: type, conversation: bool = False) -> dict[str, Limits]:
    return {
        each.name: each.metadata["limits"]
        for each in fields(record)
        if each.metadata.get("conversation", False) == conversation
    }


SETTINGS_LIMITS = {each.name: each.metadata["limits"] for each in fields(BudgetSettings)}
BUDGET_LIMITS = _limits_of(BudgetSettings)  # the budget's own settings
VOTER_SETTINGS = tuple(_limits_of(BudgetSettings, conversation=True))  # its conversation's, chosen with it
PROJECT_LIMITS = _limits_of(ProjectFields)
CHANGEABLE = {name: limits for name, limits in PROJECT_LIMITS.items() if name != "code"}
NAME_LENGTH = BUDGET_LIMITS["name"].length or 0
MAX_PROJECTS = BUDGET_LIMITS["max_projects"].high or 0  # on a ballot, and in a budget
