"""Cross-community votes of a power-sharing assembly (Northern Ireland Act 1998 s.4(5),
shared/docs/decision-rules.md), across the groups of a declared attribute (designated communities):

- ``parallel-consent``: a majority of everyone voting, including a majority of each community;
- ``weighted-majority``: at least 60 % of everyone voting, including at least 40 % of each community.

Every designated community holds a veto; opinion groups found in the votes hold none.
"""

from __future__ import annotations

from typing import ClassVar

from concord.engine.decisions.outcome import Outcome, Reason, Result, all_of, check, plain_majority, unsettled
from concord.engine.decisions.rule import Param, ProposalVotes, Rule
from concord.engine.decisions.support import Verdict


class _CrossCommunity(Rule):
    overall: float
    each: float
    at_least: bool

    def decide(self, votes: ProposalVotes) -> Outcome:
        plain = plain_majority(votes.everyone)
        declared = self._declared(votes)
        if declared is None:
            return Outcome(self.name, dict(self.values), Result.UNDECIDED, Reason.NO_GROUPS, [], [], plain)
        attribute, groups = declared
        wanted = self.values.get("communities")
        communities = [g for g in groups if not wanted or g.name in wanted]
        checks = [
            check(votes.everyone, self.values["overall"], "overall", at_least=self.at_least),
            *(check(g, self.values["each"], attribute, at_least=self.at_least) for g in communities),
        ]
        result = all_of(checks)
        if result == Result.PASS:
            reason, decisive = Reason.CARRIED, [c.body for c in checks]
        elif result == Result.FAIL:
            short = [c for c in checks if c.verdict == Verdict.SHORT]
            reason = Reason.NO_MAJORITY if short[0].body == votes.everyone.name else Reason.SHORT
            decisive = [c.body for c in short]
        else:
            open_ = [c for c in checks if c.verdict != Verdict.CLEARS]
            reason, decisive = unsettled(open_), [c.body for c in open_]
        return Outcome(self.name, dict(self.values), result, reason, checks, decisive, plain)


COMMUNITIES = Param(None, "the communities that must consent (all groups of the attribute when not given)", kind=list)
ATTRIBUTE = Param(None, "the declared attribute of the communities; the only one when not named", kind=str)


class ParallelConsent(_CrossCommunity):
    name = "parallel-consent"
    summary = "a majority overall, including a majority of each community"
    parameters: ClassVar[dict[str, Param]] = {
        "attribute": ATTRIBUTE,
        "communities": COMMUNITIES,
        "overall": Param(0.5, "share of agree among everyone to exceed", 0.5, 1.0),
        "each": Param(0.5, "share of agree within each community to exceed", 0.5, 1.0),
    }
    at_least = False


class WeightedMajority(_CrossCommunity):
    name = "weighted-majority"
    summary = "at least 60 % overall, including at least 40 % of each community"
    parameters: ClassVar[dict[str, Param]] = {
        "attribute": ATTRIBUTE,
        "communities": COMMUNITIES,
        "overall": Param(0.6, "share of agree among everyone to reach", 0.5, 1.0),
        "each": Param(0.4, "share of agree within each community to reach", 0.0, 1.0),
    }
    at_least = True
