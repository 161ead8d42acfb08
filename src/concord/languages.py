"""Languages of what people write: one canonical tag per language, which texts a reader can read, and a
first guess of a text's language from its script.

Tags are BCP 47 (``en``, ``fa-AF``, ``ps``, ``zh-Hant``), checked against the Unicode CLDR data that
Babel carries, so a typo (``xx``, ``fa-XY``) is refused rather than stored as a language nobody reads.
Shared by every layer, like :mod:`concord.states`: the services store and compare tags, the pages name
them in the reader's language.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.core import get_global

TAG_LENGTH = 16  # the width of every language column

# Codes people use that CLDR files under another: Dari's and Pashto's ISO 639-3 codes among them.
ALIASES = {"prs": "fa-AF", "pbt": "ps", "pbu": "ps", "fa-af": "fa-AF"}

# Letters Pashto writes and Dari does not (ټ ډ ړ ږ ښ ګ ڼ ې ۍ څ ځ), and letters of Persian (Dari) that
# Arabic does not have (پ چ ژ گ ک ی): enough to tell the three apart in a sentence.
PASHTO_LETTERS = set("ټډړږښګڼېۍځڅ")
PERSIAN_LETTERS = set("پچژگکی")

# Unicode's character names begin with the script for the scripts statements are written in.
SCRIPT_OF_NAME = {
    "ARABIC": "Arab",
    "LATIN": "Latn",
    "CYRILLIC": "Cyrl",
    "GREEK": "Grek",
    "HEBREW": "Hebr",
    "CJK": "Hani",
    "HIRAGANA": "Jpan",
    "KATAKANA": "Jpan",
    "HANGUL": "Kore",
    "DEVANAGARI": "Deva",
    "BENGALI": "Beng",
    "GURMUKHI": "Guru",
    "GUJARATI": "Gujr",
    "TAMIL": "Taml",
    "TELUGU": "Telu",
    "THAI": "Thai",
    "GEORGIAN": "Geor",
    "ARMENIAN": "Armn",
    "ETHIOPIC": "Ethi",
}
# CLDR names no single likely language for the Latin script.
LIKELY_FALLBACK = {"Latn": "en"}


class UnknownLanguage(ValueError):
    """A tag that names no language CLDR knows, or that is not a language tag at all."""


def canonical(tag: object) -> str:
    """The canonical form of a language tag (``FA_af`` → ``fa-AF``; ``prs`` → ``fa-AF``), or
    :class:`UnknownLanguage`."""
    if not isinstance(tag, str) or not tag.strip() or len(tag.strip()) > TAG_LENGTH:
        raise UnknownLanguage(f"{tag!r} is not a language tag")
    text = tag.strip().replace("_", "-")
    text = ALIASES.get(text.lower(), text)
    try:
        locale = Locale.parse(text, sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        raise UnknownLanguage(f"{tag!r} is not a language tag Concord knows (such as en, fa-AF, ps)") from None
    given = {part.upper() for part in text.split("-")}
    if locale.territory and locale.territory.upper() not in given:  # Babel's guess, not what was asked
        raise UnknownLanguage(f"{tag!r} is not a language tag Concord knows (such as en, fa-AF, ps)")
    script = locale.script if locale.script and locale.script.upper() in given else None
    return "-".join(part for part in (locale.language, script, locale.territory) if part)


def is_known(tag: str) -> bool:
    try:
        canonical(tag)
    except UnknownLanguage:
        return False
    return True


def primary(tag: str) -> str:
    return tag.split("-")[0].lower()


def reads(reader: str, written: str) -> bool:
    """Whether a reader of ``reader`` reads text in ``written`` as their own: the same language (a Dari
    reader reads Persian), unless the two name different scripts (Chinese in Traditional and in
    Simplified characters)."""
    if primary(reader) != primary(written):
        return False
    return script_of_tag(reader) == script_of_tag(written)


@cache
def script_of_tag(tag: str) -> str | None:
    """The script a language is written in (CLDR's likely subtags: ``fa`` → Arab, ``zh-Hant`` → Hant)."""
    parts = tag.replace("-", "_").split("_")
    explicit = next((p for p in parts[1:] if len(p) == 4), None)
    if explicit:
        return explicit.title()
    likely = get_global("likely_subtags")
    for key in ("_".join(parts), parts[0]):
        found = likely.get(key)
        if found:
            return next((p for p in found.split("_")[1:] if len(p) == 4), None)
    return None


def _script_family(script: str | None) -> str | None:
    """Scripts a text's letters can tell apart: Han characters are Hani whatever the variant."""
    return "Hani" if script in ("Hans", "Hant", "Hani") else script


def script_of_text(text: str) -> str | None:
    """The script most of a text's letters are written in (ISO 15924), or None without letters."""
    counted: Counter[str] = Counter()
    for character in text:
        if character.isalpha():
            name = unicodedata.name(character, "").split(" ")[0]
            script = SCRIPT_OF_NAME.get(name)
            if script is not None:
                counted[script] += 1
    return counted.most_common(1)[0][0] if counted else None


def guess_language(text: str, hints: Iterable[str | None]) -> str | None:
    """A first guess of the language of ``text``, for a writer who did not say: the first of ``hints``
    (the writer's interface language, then the conversation's) that is written in the text's script,
    else the language CLDR finds most likely for that script. Arabic script is told apart by its
    letters: Pashto's own letters mean Pashto, Persian's mean Dari or Persian. None when the text has
    no letters of a known script (the caller keeps the conversation's language)."""
    script = script_of_text(text)
    if script is None:
        return None
    letters = set(text)
    candidates = [hint for hint in hints if hint]
    if script == "Arab":
        if letters & PASHTO_LETTERS:
            return next((hint for hint in candidates if primary(hint) == "ps"), "ps")
        if letters & PERSIAN_LETTERS:
            persian = [hint for hint in candidates if primary(hint) in ("fa", "ps", "ur", "ku", "uz")]
            return persian[0] if persian else "fa-AF"
    for hint in candidates:
        if _script_family(script_of_tag(hint)) == script:
            return hint
    likely = get_global("likely_subtags").get(f"und_{script}") or LIKELY_FALLBACK.get(script)
    return likely.split("_")[0] if likely else None


@cache
def language_name(tag: str, reader: str = "en") -> str:
    """The name of a language in the reader's language (``fa-AF`` for an English reader: Dari), from
    CLDR; the tag itself when CLDR has no name for it."""
    try:
        reading = Locale.parse(reader.replace("-", "_"))
        locale = Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return tag
    named = reading.languages.get(str(locale)) or locale.get_display_name(reading)
    return named or tag
