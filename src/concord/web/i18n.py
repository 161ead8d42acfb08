"""Interface languages: English, Dari and Pashto (more can be added as catalogues).

Catalogues are gettext ``.po`` files under ``web/locale/<locale>/LC_MESSAGES/messages.po``, edited with
Babel's tools (``pybabel extract -F babel.cfg``, ``pybabel update``); they are compiled in memory when
the server starts, so no binary ``.mo`` file is kept in the repository.

The language is chosen, in order, by ``?lang=``, the ``concord_lang`` cookie (set by the picker), the
browser's ``Accept-Language`` header, and last the language of what is read (a conversation's own) when
the browser names none of Concord's. Right-to-left locales get ``dir="rtl"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGE_COOKIE = "concord_lang"


@dataclass(frozen=True)
class Language:
    code: str  # Babel locale, e.g. "fa_AF"
    tag: str  # BCP 47 tag for lang="", e.g. "fa-AF"
    name: str  # in the language itself, for the picker

    @property
    def direction(self) -> str:
        return "rtl" if Locale.parse(self.code).character_order == "right-to-left" else "ltr"


LANGUAGES = {
    "en": Language("en", "en", "English"),
    "fa_AF": Language("fa_AF", "fa-AF", "دری"),  # Dari: Persian as written in Afghanistan
    "ps": Language("ps", "ps", "پښتو"),
}
DEFAULT = LANGUAGES["en"]
# Primary subtags read as an interface language: a browser set to Persian sends only ``fa-IR`` (or ``fa``),
# and its reader reads Dari; Pashto's macrolanguage ``ps`` covers Southern (``pbt``) and Northern (``pbu``),
# ``prs`` is Dari's ISO 639-3 code. Any region or script after them is the same language.
ALIASES = {"prs": "fa_AF", "fa": "fa_AF", "pbt": "ps", "pbu": "ps"}


def interface_tags_and(*tags: str) -> list[str]:
    """The interface languages' tags, then any of ``tags`` not among them: what a writer may say their
    text is in (people write in more languages than the interface speaks)."""
    found = [language.tag for language in LANGUAGES.values()]
    return found + [tag for tag in dict.fromkeys(tags) if tag and tag not in found]


def find_language(code: str | None) -> Language | None:
    """The interface language of a tag or locale (``fa-IR``, ``fa_AF``, ``prs``, ``ps-PK``, ``en-GB``)."""
    if not code:
        return None
    key = code.strip().replace("-", "_")
    if key in LANGUAGES:
        return LANGUAGES[key]
    primary = key.split("_")[0].lower()
    return LANGUAGES.get(ALIASES.get(primary, primary))


def from_accept_language(header: str | None) -> Language | None:
    """The best supported language in an Accept-Language header (q-values respected)."""
    choices = []
    for position, part in enumerate((header or "").split(",")):
        pieces = part.strip().split(";")
        quality = 1.0
        for piece in pieces[1:]:
            if piece.strip().startswith("q="):
                try:
                    quality = float(piece.strip()[2:])
                except ValueError:
                    quality = 0.0
        choices.append((-quality, position, pieces[0]))
    for _, _, code in sorted(choices):
        found = find_language(code)
        if found is not None:
            return found
    return None


@cache
def translations(code: str) -> NullTranslations:
    """The compiled catalogue of a locale (English is the source language: no catalogue)."""
    path = LOCALE_DIR / code / "LC_MESSAGES" / "messages.po"
    if not path.is_file():
        return NullTranslations()
    with open(path, "rb") as handle:
        catalog = read_po(handle, locale=code)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)
