"""``qualified-majority``: at least 55 % of the places, representing at least 65 % of the population;
a blocking minority needs at least 4 places, failing which the qualified majority is deemed attained
(Treaty on European Union art. 16(4), shared/docs/decision-rules.md). All four numbers are parameters;
a place's population is the declared one, else its participants."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from concord.engine.decisions.outcome import Result
from concord.engine.decisions.places import SILENT, WEIGHINGS, Place, PlaceRule, share_of
from concord.engine.decisions.rule import Param


class QualifiedMajority(PlaceRule):
    name = "qualified-majority"
    summary = "55 % of the places with 65 % of the population; a blocking minority needs 4 places"
    parameters: ClassVar[dict[str, Param]] = {
        "places": Param(0.55, "share of the places that must be for", 0.0, 1.0),
        "population": Param(0.65, "share of the population they must represent", 0.0, 1.0),
        "blocking": Param(4, "fewest places of a blocking minority", 1, 100_000, int),
        "weigh": Param(
            "population", "population (declared, else participants) or participants", kind=str, choices=WEIGHINGS
        ),
        "silent": SILENT,
    }

    def passes(self, places: Sequence[Place]) -> tuple[bool, dict[str, Any]]:
        if not places:
            return False, {}
        for_places = sum(p.result == Result.PASS for p in places) / len(places)
        for_population = share_of(places, self._weight)
        against = [p.name for p in places if p.result != Result.PASS]
        states_ok = for_places >= self.values["places"]
        population_ok = for_population >= self.values["population"]
        too_few_to_block = len(against) < self.values["blocking"]
        detail = {"places_for": for_places, "population_for": for_population, "against": len(against)}
        return states_ok and (population_ok or too_few_to_block), detail
