"""``double-majority``: a majority of all votes cast **and** a majority of the places (Swiss Federal
Constitution art. 142: the people and the cantons; 20 cantons weigh 1 and 6 half-cantons 0.5, and
"a majority" is more than half of the 23, so 11.5 is not enough), shared/docs/decision-rules.md.
Places are weighed as places (with their weight), by population or by participants."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from concord.engine.decisions.outcome import Result
from concord.engine.decisions.places import SILENT, WEIGHINGS, Place, PlaceRule
from concord.engine.decisions.rule import Param


class DoubleMajority(PlaceRule):
    name = "double-majority"
    summary = "a majority of all votes and a majority of the places"
    parameters: ClassVar[dict[str, Param]] = {
        "weigh": Param("places", "places, population or participants", kind=str, choices=WEIGHINGS),
        "silent": SILENT,
    }

    def passes(self, places: Sequence[Place]) -> tuple[bool, dict[str, Any]]:
        agree, disagree = sum(p.agree for p in places), sum(p.disagree for p in places)
        total = sum(self._weight(p) for p in places)
        for_ = sum(self._weight(p) for p in places if p.result == Result.PASS)
        people, places_ok = agree > disagree, for_ > total / 2
        to_come = [p for p in places if p.assumed and p.participants == 0]  # silent places' votes may yet come
        if to_come:
            people = to_come[0].result == Result.PASS  # supposed for: the people may agree; against: may not
        return people and places_ok, {"popular": people, "places_for": for_, "places_total": total}
