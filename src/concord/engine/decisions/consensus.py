"""``consensus``: passes only if, in every opinion group, the share that agrees passes the threshold;
a single group below it is enough to fail it, and a group whose share the data cannot settle leaves
it undecided. Every opinion group holds a veto. The groups are found from the rest of the deliberation,
never from the proposal's own votes (:func:`concord.engine.analysis.analyze`'s ``judged``); where there
are none (a conversation holding only the proposal), the declared groups are the groups, and without
those everyone is the one group that must agree."""

from __future__ import annotations

from typing import ClassVar

from concord.engine.decisions.outcome import Outcome, Reason, Result, all_of, check, plain_majority, unsettled
from concord.engine.decisions.rule import Param, ProposalVotes, Rule
from concord.engine.decisions.support import Verdict


class Consensus(Rule):
    name = "consensus"
    summary = "every opinion group agrees beyond the threshold"
    parameters: ClassVar[dict[str, Param]] = {
        "threshold": Param(0.6, "share of agree each opinion group must exceed", 0.5, 1.0)
    }

    def decide(self, votes: ProposalVotes) -> Outcome:
        declared = [group for groups in votes.declared.values() for group in groups]
        bodies = votes.opinion_groups or declared or [votes.everyone]
        checks = [check(body, self.values["threshold"], "every group") for body in bodies]
        result = all_of(checks)
        short = [c.body for c in checks if c.verdict == Verdict.SHORT]
        open_ = [c.body for c in checks if c.verdict != Verdict.CLEARS]
        if result == Result.PASS:
            reason, decisive = Reason.CARRIED, [c.body for c in checks]
        elif result == Result.FAIL:
            reason, decisive = Reason.SHORT, short
        else:
            reason, decisive = unsettled([c for c in checks if c.body in open_]), open_
        return Outcome(self.name, dict(self.values), result, reason, checks, decisive, plain_majority(votes.everyone))
