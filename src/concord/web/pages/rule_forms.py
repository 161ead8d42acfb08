"""A decision rule as a form sends it: the rule's name in ``rule`` and each of its parameters in
``<rule>.<parameter>``, shares typed in percent, in any script's digits (۶۰, ٦٠ or 60). Only the chosen
rule's fields are read; an empty field keeps the rule's default. The engine checks the ranges."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi import Request

from concord.service.decisions.rules import ParameterChoice, rule_choices
from concord.web.pages.forms import split_answers, typed_count, typed_number

PERCENT_SIGNS = re.compile("[%\u066a\u2030\ufe6a\uff05]")  # %, Arabic ٪, and their look-alikes


async def typed_rule(request: Request) -> dict[str, str]:
    """What the form typed for the rule: its name and the chosen rule's fields (shown again if refused)."""
    form = await request.form()
    name = str(form.get("rule", ""))
    return {"rule": name} | {key: str(value) for key, value in form.items() if key.startswith(f"{name}.")}


def rule_from_form(typed: Mapping[str, str], across_places: bool = False) -> dict[str, Any] | None:
    """The rule as the service takes it ({"name", "parameters"}), or None for no rule of its own."""
    name = typed.get("rule", "").strip()
    if not name:
        return None
    choice = next((c for c in rule_choices(across_places) if c.name == name), None)
    if choice is None:
        return {"name": name}  # refused by the service, with the rules there are
    parameters: dict[str, Any] = {}
    for parameter in choice.parameters:
        raw = typed.get(f"{name}.{parameter.name}", "").strip()
        if raw:
            parameters[parameter.name] = _value(parameter, raw, f"{name}.{parameter.name}")
    return {"name": name, "parameters": parameters}


def _value(parameter: ParameterChoice, raw: str, field: str) -> Any:
    if parameter.field == "words":
        return split_answers(raw)
    if parameter.field == "word":
        return raw
    if parameter.field == "count":
        return typed_count(raw, field)
    number = typed_number(PERCENT_SIGNS.sub("", raw), field)
    return round(number / 100, 6) if parameter.field == "share" else number
