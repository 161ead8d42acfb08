"""Which rule decides a conversation's proposals: its own, else the nearest one set on a space above it
(a space's rule is the default of everything below it), else mutual veto. Stored as
``{"name", "parameters"}`` after the engine accepted them.

A closed conversation's decisions are final, so the rule in force when it closed stays with it: one it
had from a space is stored on it at closing, marked ``frozen`` (every parameter written out), and
dropped when it reopens, when it follows its space again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from concord.engine.decisions import PLACE_RULES, RULES, Param, RuleParameterError, make_rule
from concord.service.errors import Invalid
from concord.service.spaces import SpaceRecord
from concord.store.models import Conversation, Space

# Concord's default: a majority, unless some group opposes it (no group can be overruled on a vital matter).
DEFAULT_RULE: dict[str, Any] = {"name": "mutual-veto", "parameters": {}}
FROZEN = "frozen"  # marks a rule a conversation kept from its space when it closed


def validated_rule(spec: Any) -> dict[str, Any]:
    """A rule as stored ({"name", "parameters"}), refused with the reason when the engine refuses it."""
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise Invalid('a decision rule is an object such as {"name": "consensus", "parameters": {}}', field="rule")
    parameters = spec.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise Invalid("a decision rule's parameters are an object", field="rule")
    try:
        rule = make_rule(spec["name"], parameters)
    except RuleParameterError as error:
        raise Invalid(
            "this decision rule cannot be used so: %(problem)s", "rule_invalid", field="rule", problem=str(error)
        ) from None
    return {"name": rule.name, "parameters": {k: v for k, v in parameters.items() if v is not None}}


def effective_rule(conversation: Conversation) -> dict[str, Any]:
    """The conversation's own rule, else the nearest one set on a space above it, else the default."""
    rule = rule_of_conversation(conversation)
    return {"name": rule.name, "parameters": rule.parameters}


@dataclass(frozen=True)
class RuleInForce:
    """The rule that decides a conversation's proposals (or a space's default), and where it was set."""

    name: str
    parameters: dict[str, Any]  # every parameter, defaults included
    set_on: str  # "conversation", "space" (this one), "above" (a space above), "default", or "closing" (kept)
    space: SpaceRecord | None = None  # the space it was set on, when it was


def rule_of_conversation(conversation: Conversation) -> RuleInForce:
    stored = conversation.decision_rule
    if stored:
        return _in_force(stored, "closing" if stored.get(FROZEN) else "conversation")
    return rule_of_space(conversation.space)


def own_rule(conversation: Conversation) -> dict[str, Any] | None:
    """The rule chosen for this conversation, if any; not one it kept from its space when it closed."""
    stored = conversation.decision_rule
    return None if not stored or stored.get(FROZEN) else stored


def frozen_rule(conversation: Conversation) -> dict[str, Any]:
    """What a conversation without a rule of its own stores when it closes: the rule in force from its
    space, with every parameter's value, so that a space's rule (or the default) changed after the
    closing leaves its decisions as they were."""
    rule = rule_of_space(conversation.space)
    return {"name": rule.name, "parameters": rule.parameters, FROZEN: True}


def rule_of_space(space: Space | None) -> RuleInForce:
    """The default a space gives the conversations below it: its own, else the nearest above it (and
    Concord's default above the top-level spaces)."""
    first = space
    while space is not None:
        if space.decision_rule:
            return _in_force(space.decision_rule, "space" if space is first else "above", space)
        space = space.parent
    return _in_force(DEFAULT_RULE, "default")


def _in_force(stored: dict[str, Any], set_on: str, space: Space | None = None) -> RuleInForce:
    values = make_rule(stored["name"], stored.get("parameters")).values
    return RuleInForce(stored["name"], values, set_on, SpaceRecord.of(space) if space is not None else None)


@dataclass(frozen=True)
class ParameterChoice:
    """One parameter of a rule as a form asks for it: a share (in percent), a count, a word (one of
    ``choices``, or free), or words (a list)."""

    name: str
    field: str  # "share", "count", "word", "words"
    default: Any
    low: float | None
    high: float | None
    choices: tuple[str, ...]


@dataclass(frozen=True)
class RuleChoice:
    name: str
    parameters: list[ParameterChoice]


def rule_choices(across_places: bool = False) -> list[RuleChoice]:
    """The rules a moderator may choose from, with their parameters declared by the engine."""
    return [
        RuleChoice(name, [_choice(key, param) for key, param in rule.parameters.items()])
        for name, rule in (PLACE_RULES if across_places else RULES).items()
    ]


def _choice(name: str, param: Param) -> ParameterChoice:
    if param.kind is float:
        field = "share" if param.high is not None and param.high <= 1 else "number"
    else:
        field = {int: "count", list: "words"}.get(param.kind, "word")
    return ParameterChoice(name, field, param.default, param.low, param.high, param.choices)
