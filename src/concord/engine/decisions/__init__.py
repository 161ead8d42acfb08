"""Decision rules: pure functions over the votes on a proposal (of everyone, of the opinion groups, of
declared groups), one module per rule, as pabutools keeps its rules; and rules that build a wider
space's outcome from the outcomes of the places below it. Every outcome explains itself.

Rules on one conversation: majority, consensus, mutual-veto, concurrent-majority, parallel-consent,
weighted-majority. Rules across places: all-places, places-quota, double-majority, qualified-majority.
"""

from __future__ import annotations

from typing import Any

from concord.engine.decisions.all_places import AllPlaces, PlacesQuota
from concord.engine.decisions.concurrent_majority import ConcurrentMajority
from concord.engine.decisions.consensus import Consensus
from concord.engine.decisions.cross_community import ParallelConsent, WeightedMajority
from concord.engine.decisions.double_majority import DoubleMajority
from concord.engine.decisions.majority import Majority
from concord.engine.decisions.mutual_veto import MutualVeto
from concord.engine.decisions.outcome import Check, Outcome, Reason, Result, plain_majority
from concord.engine.decisions.places import MAX_DEPTH, Place, PlaceRule, RollupOutcome, reported
from concord.engine.decisions.qualified_majority import QualifiedMajority
from concord.engine.decisions.rule import Param, ProposalVotes, Rule, RuleParameterError
from concord.engine.decisions.support import Support, Verdict

RULES: dict[str, type[Rule]] = {
    rule.name: rule for rule in (Majority, Consensus, MutualVeto, ConcurrentMajority, ParallelConsent, WeightedMajority)
}
PLACE_RULES: dict[str, type[PlaceRule]] = {
    rule.name: rule for rule in (AllPlaces, PlacesQuota, DoubleMajority, QualifiedMajority)
}


def make_rule(name: str, parameters: dict[str, Any] | None = None) -> Rule:
    if name not in RULES:
        raise RuleParameterError(f"no decision rule {name!r}: use one of {', '.join(RULES)}")
    return RULES[name](**(parameters or {}))


def make_place_rule(name: str, parameters: dict[str, Any] | None = None) -> PlaceRule:
    if name not in PLACE_RULES:
        raise RuleParameterError(f"no rule across places {name!r}: use one of {', '.join(PLACE_RULES)}")
    return PLACE_RULES[name](**(parameters or {}))


__all__ = [
    "MAX_DEPTH",
    "PLACE_RULES",
    "RULES",
    "Check",
    "Outcome",
    "Param",
    "Place",
    "PlaceRule",
    "ProposalVotes",
    "Reason",
    "Result",
    "RollupOutcome",
    "Rule",
    "RuleParameterError",
    "Support",
    "Verdict",
    "make_place_rule",
    "make_rule",
    "plain_majority",
    "reported",
]
