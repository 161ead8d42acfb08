"""The roll-up: a parent space's budget split among the spaces directly below it, each of which gets a
budget of its own and decides it with its own voters."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from concord.service.accounts.moderators import user_of
from concord.service.budgets.budgets import create_budget
from concord.service.budgets.lookups import before_voting, budget_by_public_id, projects_of
from concord.service.budgets.money import money_text
from concord.service.budgets.records import BudgetRecord
from concord.service.budgets.settings import NAME_LENGTH, BudgetSettings
from concord.service.caller import Caller
from concord.service.errors import Conflict, Invalid, Label
from concord.service.spaces import children, require_moderator
from concord.store.models import Budget, Space, User

if TYPE_CHECKING:
    from concord.service.runtime import Runtime

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
    before_voting(session, budget, "its money can no longer be split")
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
    settings = BudgetSettings.of(budget)
    made = []
    for place, amount in zip(places, amounts):
        if amount <= 0:  # a place that counts for nothing (weight 0) gets no budget
            continue
        own = settings.like(name=f"{budget.name} · {place.name}"[:NAME_LENGTH], amount=money_text(amount))
        made.append(create_budget(session, user, place, replace(own, language=place.language), parent=budget))
    budget.split = {"mode": mode, "parts": parts}
    budget.conversation.is_open = False
    return made


def split(
    runtime: Runtime, caller: Caller, public_id: str, mode: str, parts: dict[str, float] | None
) -> list[BudgetRecord]:
    with runtime.transaction() as session:
        budget = budget_by_public_id(session, public_id)
        made = split_budget(session, user_of(session, caller), budget, mode, parts)
        return [BudgetRecord.of(part) for part in made]
