"""``all-places`` / ``places-quota``: passes if it passes in every place below, or in at least
``quota`` of them (as federal amendments need three quarters of the states, US Constitution art. V)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from concord.engine.decisions.outcome import Result
from concord.engine.decisions.places import SILENT, Place, PlaceRule
from concord.engine.decisions.rule import Param


class AllPlaces(PlaceRule):
    name = "all-places"
    summary = "passes in every place below, or in at least quota of them"
    parameters: ClassVar[dict[str, Param]] = {
        "quota": Param(None, "how many places must pass (every one when not given)", 1, 100_000, int),
        "silent": SILENT,
    }

    def passes(self, places: Sequence[Place]) -> tuple[bool, dict[str, Any]]:
        needed = min(self.values["quota"] or len(places), len(places))
        passing = sum(p.result == Result.PASS for p in places)
        return bool(places) and passing >= needed, {"needed": needed, "passing": passing}


class PlacesQuota(AllPlaces):
    name = "places-quota"
    summary = "passes in at least quota of the places below"
    parameters: ClassVar[dict[str, Param]] = {
        "quota": Param(1, "how many places must pass", 1, 100_000, int),
        "silent": SILENT,
    }
