"""Reading what a phone texts: digits in any of the forms phones send (Latin, Arabic-Indic ٠١٢, Persian
۰۱۲), the words that stop the dialogue or change its language in English, Dari and Pashto, and the
language a first text is written in. Pure functions: the dialogue decides what they mean."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from concord.languages import guess_language, primary, script_of_text

# Arabic-Indic (U+0660…) and Extended Arabic-Indic (Persian, Urdu: U+06F0…) digits, as Latin ones.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 2)
# Leave: English, then Dari (توقف "stop", بس "enough", ختم "end", لغو "cancel"), then Pashto (ودروه
# "stop it", بند "closed"); and 0, which every reply offers.
STOP_WORDS = frozenset({"stop", "0", "توقف", "بس", "ختم", "لغو", "ودروه", "بند"})
# A phone may change the language it is texted in whenever it likes by sending the language's name.
LANGUAGE_WORDS = {
    "en": "en",
    "english": "en",
    "دری": "fa-AF",
    "دري": "fa-AF",
    "dari": "fa-AF",
    "فارسی": "fa-AF",
    "پښتو": "ps",
    "پشتو": "ps",
    "pashto": "ps",
}
SMS_LANGUAGES = ("en", "fa-AF", "ps")  # the languages the SMS texts are written in
_MARKS = re.compile(r"[\s\u200c\u200d\u200e\u200f.,،؛;:!?؟()\-_*'\"]+")
_FETCH = re.compile(r"^[#＃]\s*(\d+)(?:\s*[-/]\s*(\d+))?$")
_OPTIONS = re.compile(r"^[+＋]\s*(\d+)$")


@dataclass(frozen=True)
class Said:
    """What a text means to the dialogue: ``kind`` is one of ``stop``, ``language`` (``value`` the tag),
    ``number`` (``value`` the whole number sent), ``fetch`` (``value`` the statement, ``page`` from 1),
    ``options`` (``page``: which page of a long question's options), or ``text`` (anything else:
    perhaps a statement)."""

    kind: str
    value: str | int | None = None
    page: int = 1


def latin_digits(text: str) -> str:
    return text.translate(_DIGITS)


def read(text: str) -> Said:
    """The meaning of one incoming text."""
    plain = latin_digits(unicodedata.normalize("NFKC", text)).strip()
    word = _MARKS.sub("", plain).casefold()
    if word in STOP_WORDS:
        return Said("stop")
    if word in LANGUAGE_WORDS:
        return Said("language", LANGUAGE_WORDS[word])
    if word.isascii() and word.isdigit() and len(word) <= 9:
        return Said("number", int(word))
    fetch = _FETCH.match(plain)
    if fetch is not None and len(fetch.group(1)) <= 9:
        return Said("fetch", int(fetch.group(1)), max(1, int(fetch.group(2) or 1)))
    options = _OPTIONS.match(plain)
    if options is not None and len(options.group(1)) <= 9:
        return Said("options", page=max(1, int(options.group(1))))
    return Said("text", plain)


def language_of(text: str, conversation_language: str) -> str:
    """The language a phone is texted in, from its first text: the word of a language, else Arabic
    script means Dari or Pashto (Pashto's own letters, else the conversation's if it is one of the
    two, else Dari), anything else English."""
    said = read(text)
    if said.kind == "language":
        return str(said.value)
    if script_of_text(text) != "Arab":
        return "en"
    guessed = guess_language(text, [conversation_language])
    for tag in (guessed, conversation_language):
        if tag and primary(tag) == "ps":
            return "ps"
        if tag and primary(tag) == "fa":
            return "fa-AF"
    return "fa-AF"
