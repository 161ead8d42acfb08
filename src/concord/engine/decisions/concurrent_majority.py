"""``concurrent-majority``: a majority inside each declared group (or inside at least ``quota`` of
them), so that no region or community is outvoted by the others: every declared group holds a veto
(with a quota, any enough of them together)."""

from __future__ import annotations

from typing import ClassVar

from concord.engine.decisions.outcome import Outcome, Reason, Result, check, plain_majority, unsettled
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
        plain = plain_majority(votes.everyone)
        declared = self._declared(votes)
        if declared is None:
            return Outcome(self.name, dict(self.values), Result.UNDECIDED, Reason.NO_GROUPS, [], [], plain)
        attribute, groups = declared
        checks = [check(group, 0.5, attribute) for group in groups]
        needed = min(self.values["quota"] or len(groups), len(groups))
        clearing = [c.body for c in checks if c.verdict == Verdict.CLEARS]
        possible = [c.body for c in checks if c.verdict != Verdict.SHORT]
        if len(clearing) >= needed:
            result, reason, decisive = Result.PASS, Reason.CARRIED, clearing
        elif len(possible) < needed:
            result, reason = Result.FAIL, Reason.SHORT
            decisive = [c.body for c in checks if c.verdict == Verdict.SHORT]
        else:
            decisive = [b for b in possible if b not in clearing]
            result, reason = Result.UNDECIDED, unsettled([c for c in checks if c.body in decisive])
        return Outcome(self.name, dict(self.values), result, reason, checks, decisive, plain)
