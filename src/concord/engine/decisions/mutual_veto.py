"""``mutual-veto``: a majority, unless some group opposes it beyond the veto threshold: any opinion
group found in the rest of the deliberation (never from the proposal's own votes, whose opponents would
be a "group" by construction), and any declared group (a community) — Bosnia and Herzegovina's vital
interest veto, shared/docs/decision-rules.md. A group too small to tell, or whose opposition the data
cannot settle, leaves the outcome undecided rather than silently not counting."""

from __future__ import annotations

from typing import ClassVar

from concord.engine.decisions.outcome import Outcome, Reason, Result, as_result, check, plain_majority, unsettled
from concord.engine.decisions.rule import Param, ProposalVotes, Rule
from concord.engine.decisions.support import Verdict


class MutualVeto(Rule):
    name = "mutual-veto"
    summary = "a majority, unless a group opposes it beyond the veto threshold"
    parameters: ClassVar[dict[str, Param]] = {
        "majority": Param(0.5, "share of agree among everyone to exceed", 0.5, 1.0),
        "veto": Param(0.6, "share of disagree within a group that vetoes", 0.5, 1.0),
    }

    def decide(self, votes: ProposalVotes) -> Outcome:
        overall = check(votes.everyone, self.values["majority"], "majority")
        groups = [*votes.opinion_groups, *(g for groups in votes.declared.values() for g in groups)]
        vetoes = [check(group, self.values["veto"], "veto", "disagree") for group in groups]
        majority = as_result(overall.verdict)
        vetoing = [c.body for c in vetoes if c.verdict == Verdict.CLEARS]
        open_ = [c for c in vetoes if c.verdict in (Verdict.UNCLEAR, Verdict.TOO_FEW)]
        if vetoing:
            result, reason, decisive = Result.FAIL, Reason.VETOED, vetoing
        elif majority == Result.FAIL:
            result, reason, decisive = Result.FAIL, Reason.NO_MAJORITY, [votes.everyone.name]
        elif majority == Result.UNDECIDED:
            result, reason, decisive = Result.UNDECIDED, unsettled([overall]), [votes.everyone.name]
        elif open_:
            result, reason, decisive = Result.UNDECIDED, unsettled(open_), [c.body for c in open_]
        else:
            result, reason, decisive = Result.PASS, Reason.CARRIED, [votes.everyone.name]
        checks = [overall, *vetoes]
        return Outcome(self.name, dict(self.values), result, reason, checks, decisive, plain_majority(votes.everyone))
