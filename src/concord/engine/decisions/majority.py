"""``majority``: more agree than disagree among everyone who voted. Kept so that people see what the
other rules change: a large group decides alone under it. Nobody holds a veto."""

from __future__ import annotations

from typing import ClassVar

from concord.engine.decisions.outcome import Outcome, Reason, Result, as_result, check, plain_majority, unsettled
from concord.engine.decisions.rule import Param, ProposalVotes, Rule


class Majority(Rule):
    name = "majority"
    summary = "more agree than disagree among everyone"
    parameters: ClassVar[dict[str, Param]] = {
        "threshold": Param(0.5, "share of agree among those voting to exceed", 0.5, 1.0)
    }

    def decide(self, votes: ProposalVotes) -> Outcome:
        judged = check(votes.everyone, self.values["threshold"], "majority")
        result = as_result(judged.verdict)
        reason = {Result.PASS: Reason.CARRIED, Result.FAIL: Reason.NO_MAJORITY}.get(result) or unsettled([judged])
        plain = plain_majority(votes.everyone)
        return Outcome(self.name, dict(self.values), result, reason, [judged], [votes.everyone.name], plain)
