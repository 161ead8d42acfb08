"""``concurrent-majority``: a majority inside each declared group (or inside at least ``quota`` of
them), so that no region or community is outvoted by the others."""

from __future__ import annotations

from typing import ClassVar

from concord.engine.decisions.majority import Majority
from concord.engine.decisions.outcome import Outcome, Result, check
from concord.engine.decisions.rule import Param, ProposalVotes, Rule
from concord.engine.decisions.support import Verdict


class ConcurrentMajority(Rule):
    name = "concurrent-majority"
    summary = "a majority inside each declared group, or inside at least quota of them"
    parameters: ClassVar[dict[str, Param]] = {
        "attribute": Param(None, "the declared attribute (e.g. region); the only one when not named", kind=str),
        "quota": Param(None, "how many groups must have a majority (all when not given)", 1, 1000, int),
    }

    def decide(self, votes: ProposalVotes) -> Outcome:
        plain = Majority().decide(votes).result
        declared = self._declared(votes)
        if declared is None:
            return Outcome(self.name, dict(self.values), Result.UNDECIDED, "no declared groups to count", [], [], plain)
        attribute, groups = declared
        checks = [check(group, 0.5, attribute) for group in groups]
        needed = min(self.values["quota"] or len(groups), len(groups))
        clearing = [c.body for c in checks if c.verdict == Verdict.CLEARS]
        possible = [c.body for c in checks if c.verdict != Verdict.SHORT]
        if len(clearing) >= needed:
            result, decisive = Result.PASS, clearing
        elif len(possible) < needed:
            result, decisive = Result.FAIL, [c.body for c in checks if c.verdict == Verdict.SHORT]
        else:
            result, decisive = Result.UNDECIDED, [b for b in possible if b not in clearing]
        explanation = f"a majority in {len(clearing)} of {len(groups)} groups by {attribute}; {needed} needed"
        return Outcome(self.name, dict(self.values), result, explanation, checks, decisive, plain)
