"""``consensus``: passes only if, in every opinion group, the share that agrees reaches the threshold;
a single group below it is enough to fail it, and a group whose share the data cannot settle leaves
it undecided."""

from __future__ import annotations

from typing import ClassVar

from concord.engine.decisions.majority import Majority
from concord.engine.decisions.outcome import Outcome, Result, all_of, check
from concord.engine.decisions.rule import Param, ProposalVotes, Rule
from concord.engine.decisions.support import Verdict


class Consensus(Rule):
    name = "consensus"
    summary = "every opinion group agrees beyond the threshold"
    parameters: ClassVar[dict[str, Param]] = {
        "threshold": Param(0.6, "share of agree each opinion group must exceed", 0.5, 1.0)
    }

    def decide(self, votes: ProposalVotes) -> Outcome:
        plain = Majority().decide(votes).result
        if not votes.opinion_groups:
            return Outcome(self.name, dict(self.values), Result.UNDECIDED, "no opinion groups yet", [], [], plain)
        checks = [check(group, self.values["threshold"], "every group") for group in votes.opinion_groups]
        result = all_of(checks)
        decisive = [c.body for c in checks if c.verdict != Verdict.CLEARS] or [c.body for c in checks]
        explanation = {
            Result.PASS: "every opinion group agrees",
            Result.FAIL: f"short in {', '.join(c.body for c in checks if c.verdict == Verdict.SHORT)}",
            Result.UNDECIDED: f"cannot tell in {', '.join(decisive)}",
        }[result]
        return Outcome(self.name, dict(self.values), result, explanation, checks, decisive, plain)
