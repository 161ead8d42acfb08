"""``majority``: more agree than disagree among everyone who voted. Kept so that people see what the
other rules change: a large group decides alone under it."""

from __future__ import annotations

from typing import ClassVar

from concord.engine.decisions.outcome import Outcome, as_result, check
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
        return Outcome(
            self.name,
            dict(self.values),
            result,
            f"{votes.everyone.name}: {judged.verdict} the {self.values['threshold']:.0%} threshold",
            [judged],
            [votes.everyone.name],
            result,
        )
