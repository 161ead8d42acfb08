"""What the budget use cases hand up: records read while their session is open (a row would not be
safe to read after it), never the database's rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from concord.service.budgets.lookups import voting_state
from concord.service.budgets.settings import PROJECT_LIMITS, VOTER_SETTINGS, BudgetSettings, ProjectFields
from concord.service.conversations.settings import ConversationRecord
from concord.service.conversations.wordings import BudgetTexts
from concord.service.spaces import SpaceRecord
from concord.store.models import Budget, BudgetBallot, BudgetProject


@dataclass(frozen=True, kw_only=True)
class ProjectRecord(ProjectFields):
    """A project as the pages and the API show it: its fields as stored, and its number."""

    code: str
    cost: str  # exact decimal
    number: int

    @classmethod
    def of(cls, row: BudgetProject) -> ProjectRecord:
        return cls(number=row.number, **{name: getattr(row, name) for name in PROJECT_LIMITS})


@dataclass(frozen=True, kw_only=True)
class BudgetRecord(BudgetSettings):
    """A budget as the pages and the API show it: its settings (its voters' as its conversation has them),
    where its voting stands, its space and its voters' conversation."""

    amount: str  # exact decimal
    max_cost: str | None
    id: int
    public_id: str
    split: dict[str, Any] | None  # how its money went to the spaces below, if it did
    state: str  # voting_state
    space: SpaceRecord
    conversation: ConversationRecord

    @classmethod
    def of(cls, row: Budget) -> BudgetRecord:
        conversation = ConversationRecord.of(row.conversation)
        return cls(
            **vars(BudgetSettings.of(row)) | {name: getattr(conversation, name) for name in VOTER_SETTINGS},
            id=row.id,
            public_id=row.public_id,
            split=row.split,
            state=voting_state(row),
            space=SpaceRecord.of(row.space),
            conversation=conversation,
        )


@dataclass(frozen=True)
class BallotRecord:
    """A voter's ballot: the numbers of the projects chosen (in rank order for an ordinal ballot), and
    when; a cumulative ballot's points, one per project."""

    projects: list[int]
    updated_ms: int
    points: list[int] | None = None

    @classmethod
    def of(cls, row: BudgetBallot) -> BallotRecord:
        points = [int(Fraction(str(given))) for given in row.points] if row.points is not None else None
        return cls(list(row.projects), row.updated_ms, points)


@dataclass(frozen=True)
class BudgetView:
    """A budget as its page shows it, to one reader."""

    budget: BudgetRecord
    projects: list[ProjectRecord]
    ballots: int
    mine: BallotRecord | None = None  # the reader's ballot
    is_moderator: bool = False
    needs_join: bool = False
    parts: list[tuple[BudgetRecord, int]] = field(default_factory=list)  # a split budget: the budgets below, ballots
    parent: str | None = None  # the budget it was split from (its id)
    asked: list[dict] = field(default_factory=list)  # declared questions the reader has not answered
    texts: BudgetTexts | None = None  # its and its projects' names and descriptions as the reader reads them


@dataclass(frozen=True)
class Cast:
    """A ballot cast, and the voter's token (a newcomer's is new: the browser keeps it)."""

    ballot: BallotRecord
    token: str
