"""What fits in an SMS (GSM 03.38 / 3GPP 23.040): 160 characters of the GSM 7-bit alphabet, or 70 UCS-2
characters (UTF-16 code units) for anything else, Dari and Pashto among them; a longer text travels as
concatenated parts of 153 or 67 (the user-data header takes the rest). A character of the GSM extension
table (``€ [ ] { } ^ ~ \\ |``) takes two septets. Pure functions, for every gateway."""

from __future__ import annotations

import math
from collections.abc import Callable

# The GSM 7-bit default alphabet (without ESC, which introduces the extension table).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")
GSM_SINGLE, GSM_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67
MAX_PARTS = 3  # what a reply may take: more is costly, and some phones show long messages badly
ELLIPSIS = "…"  # not GSM: only ever added to a text that is UCS-2 already, else "..."


def is_gsm(text: str) -> bool:
    """Whether the text can travel in the GSM 7-bit alphabet (else it needs UCS-2)."""
    return all(ch in GSM_BASIC or ch in GSM_EXTENSION for ch in text)


def _unit_counter(gsm: bool) -> Callable[[str], int]:
    if gsm:
        return lambda ch: 2 if ch in GSM_EXTENSION else 1
    return lambda ch: 2 if ord(ch) > 0xFFFF else 1  # a surrogate pair in UTF-16


def units(text: str) -> int:
    """Septets (GSM) or UTF-16 code units (UCS-2) the text takes."""
    count = _unit_counter(is_gsm(text))
    return sum(count(ch) for ch in text)


def limits(text: str) -> tuple[int, int]:
    """(units in a single message, units per part of a concatenated one) for this text."""
    return (GSM_SINGLE, GSM_PART) if is_gsm(text) else (UCS2_SINGLE, UCS2_PART)


def split(text: str) -> list[str]:
    """The parts a text is sent in: one when it fits a single message, else parts of at most 153 (or
    67) units, cut after a space where there is one (a word longer than a part is cut inside, never
    between an extension character's two septets or a surrogate pair's two halves)."""
    single, part = limits(text)
    count = _unit_counter(is_gsm(text))
    if sum(count(ch) for ch in text) <= single:
        return [text]
    parts: list[str] = []
    start = 0
    while start < len(text):
        used, end, last_space = 0, start, -1
        while end < len(text) and used + count(text[end]) <= part:
            used += count(text[end])
            if text[end] in " \n":
                last_space = end
            end += 1
        if end < len(text) and last_space > start:
            end = last_space + 1  # the space ends this part
        parts.append(text[start:end])
        start = end
    return parts


def parts(text: str) -> int:
    """How many messages the text takes."""
    single, part = limits(text)
    return 1 if units(text) <= single else math.ceil(units(text) / part)


def fits(text: str, most: int = MAX_PARTS) -> bool:
    """Whether the text goes in at most ``most`` messages, split at word boundaries."""
    return len(split(text)) <= most


def longest_fitting(text: str, render: Callable[[str, bool], str], most: int = MAX_PARTS) -> tuple[str, bool]:
    """The longest beginning of ``text``, cut at a word boundary, with which ``render(beginning)`` still
    fits in ``most`` messages, and whether it was cut. ``render(text, cut)`` adds what surrounds it (a
    pointer to the rest when it is cut); a cut text ends with an ellipsis (:func:`cut`)."""
    if fits(render(text, False), most):
        return text, False
    words = text.split(" ")
    low, high = 0, len(words) - 1  # how many words fit: binary search, fitting shrinks with length
    while low < high:
        middle = (low + high + 1) // 2
        if fits(render(cut(" ".join(words[:middle])), True), most):
            low = middle
        else:
            high = middle - 1
    if low == 0:  # not even one word: cut inside the first
        characters = len(words[0])
        while characters > 0 and not fits(render(cut(words[0][:characters]), True), most):
            characters -= 1
        return cut(words[0][:characters]), True
    return cut(" ".join(words[:low])), True


def cut(beginning: str) -> str:
    """A beginning of a text, marked as cut: an ellipsis (three dots in a GSM text, which the single
    character would turn into UCS-2)."""
    return beginning.rstrip() + ("..." if is_gsm(beginning) else ELLIPSIS)
