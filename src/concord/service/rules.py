"""Which rule decides a conversation's proposals: its own, else the nearest one set on a space above it
(a space's rule is the default of everything below it), else mutual veto. Stored as
``{"name", "parameters"}`` after the engine accepted them."""

from __future__ import annotations

from typing import Any

from concord.engine.decisions import RuleParameterError, make_rule
from concord.service.errors import Invalid
from concord.store.models import Conversation, Space

# Concord's default: a majority, unless some group opposes it (no group can be overruled on a vital matter).
DEFAULT_RULE: dict[str, Any] = {"name": "mutual-veto", "parameters": {}}


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
    if conversation.decision_rule:
        return conversation.decision_rule
    space: Space | None = conversation.space
    while space is not None:
        if space.decision_rule:
            return space.decision_rule
        space = space.parent
    return DEFAULT_RULE
