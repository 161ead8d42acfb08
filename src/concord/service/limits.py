"""Settings declared as data: each setting a field of a frozen dataclass, its default the field's, its
limits and meaning in the field's metadata (:class:`Limits`), as :mod:`concord.engine.decisions.rule`
declares a rule's parameters and scikit-learn an estimator's. The use cases check what they are given
against the declarations (:func:`checked`); the API's schemas, the forms and the log are built from them,
so that each setting is written out once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import Any, Literal, TypeVar

# The largest whole number every JSON reader keeps exactly (JavaScript's too): the latest time anything
# takes, and what the API's spec can state as a bound (it writes a body's bounds as doubles).
EXACT = 2**53 - 1

# What a setting is: a text, one of some words, a whole number, yes or no, a moment (ms since the epoch,
# or none), questions with their answers ({"name", "options"}), or a decision rule ({"name", "parameters"}).
Kind = Literal[
    "text", "choice", "whole", "flag", "time", "questions", "rule", "money", "number"
]  # money, number: a budget's


@dataclass(frozen=True)
class Limits:
    """What one setting may be, and what it means (the API states both): a text's most characters, a
    whole number's range, a choice's words, how many of a list. ``check`` takes a value given for the
    setting and returns it as stored, or refuses it with the reason
    (:class:`~concord.service.errors.Invalid`)."""

    check: Callable[[str, Any, Limits], Any]
    kind: Kind = "text"
    meaning: str | None = None
    required: bool = False  # must be given for a new one (a conversation's topic)
    length: int | None = None  # a text's, at most
    multiline: bool = False
    low: int | None = None  # a whole number's range, inclusive
    high: int | None = None
    choices: type[StrEnum] | None = None
    refusal: str = ""  # why a word that is none of the choices is refused (a Label: translated)
    most: int | None = None  # a list's length, at most
    deciding: bool = False  # decides a conversation's proposals with the votes: final once it is closed
    logged: bool = True  # a change is an entry of the public log


def declared(check: Callable[[str, Any, Limits], Any], kind: Kind, **limits: Any) -> dict[str, Limits]:
    """A setting's field's metadata: its limits."""
    return {"limits": Limits(check, kind, **limits)}


def limits_of(settings: type) -> dict[str, Limits]:
    """The declared settings of a settings dataclass, by name, in their order."""
    return {each.name: each.metadata["limits"] for each in fields(settings)}


Settings = TypeVar("Settings")


def checked(settings: Settings) -> Settings:
    """``settings`` with each field checked against its declaration, as it is to be stored; or
    :class:`~concord.service.errors.Invalid` with the reason the first refused one is refused."""
    declared = limits_of(type(settings))
    return replace(  # type: ignore[type-var]
        settings, **{name: limits.check(name, getattr(settings, name), limits) for name, limits in declared.items()}
    )
