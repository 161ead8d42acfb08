"""Translations as gettext PO files, the format translation tools (Poedit, Weblate, Lokalize, OmegaT)
read and write: one entry per text, ``msgctxt`` naming the text ("topic", "description", "statement
12"), ``msgid`` its original, ``msgstr`` its translation ("" while untranslated).

Babel reads and writes the files. Its reader is forgiving where a translator's tool made a mistake (an
unterminated string is cut short, a repeated entry silently wins), and a translation cut short must not
be stored: every line is checked first, and a file that is not well-formed PO is refused with its line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from io import BytesIO

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.pofile import PoFileError, read_po, unescape, write_po

from concord.formats.errors import InputFileError

MEDIA_TYPE = "text/x-gettext-translation"
KEYWORD = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(\[\d+\])?)[ \t]+(".*)$')
QUOTED = re.compile(r'^"(?:[^"\\]|\\.)*"[ \t]*$')
ESCAPES = re.compile(r"\\(.)")
KNOWN_ESCAPES = set('\\"ntr')
BABEL_LINE = re.compile(r" on (\d+)$")


@dataclass(frozen=True)
class PoEntry:
    key: str  # msgctxt: what the text is ("topic", "statement 12")
    original: str  # msgid
    translation: str = ""  # msgstr; empty while untranslated
    fuzzy: bool = False  # a translator's tool marks a guess it wants checked
    line: int = 0  # of its msgid, in a file read
    notes: list[str] = field(default_factory=list)  # for the translator (#. lines)


@dataclass(frozen=True)
class PoFile:
    language: str | None  # the header's Language, if it names one
    entries: list[PoEntry]


def write_po_file(entries: Iterable[PoEntry], *, language: str, project: str, about: str = "") -> bytes:
    """A PO file of ``entries`` in ``language`` (a BCP 47 tag; its header says it), with ``about`` as
    the comment at its top."""
    try:
        locale: Locale | None = Locale.parse(language, sep="-")
    except (UnknownLocaleError, ValueError):
        locale = None
    catalog = Catalog(
        locale=locale,
        project=project,
        header_comment="\n".join(f"# {line}".rstrip() for line in about.splitlines()) or "#",
        msgid_bugs_address="",
        fuzzy=False,
        charset="utf-8",
    )
    for entry in entries:
        message = catalog.add(entry.original, entry.translation, context=entry.key, auto_comments=entry.notes)
        assert message is not None
        message.flags.discard("python-format")  # people's text: a % sign is not a placeholder
        if entry.fuzzy:
            message.flags.add("fuzzy")
    buffer = BytesIO()
    write_po(buffer, catalog, width=0, omit_header=False, sort_output=False)
    return buffer.getvalue()


def read_po_file(data: bytes, name: str) -> PoFile:
    """The entries of a PO file, or :class:`InputFileError` naming the file and the line at fault."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InputFileError(f"{name}, line {line}: not UTF-8 text (save the file as UTF-8)") from None
    if "\x00" in text:
        raise InputFileError(f"{name}, line {text[: text.index(chr(0))].count(chr(10)) + 1}: a NUL character")
    _check_lines(text.splitlines(), name)
    try:
        catalog = read_po(BytesIO(text.encode("utf-8")), abort_invalid=True, charset="utf-8")
    except PoFileError as error:
        found = BABEL_LINE.search(str(error))
        where = f"line {int(found.group(1)) + 1}: " if found else ""  # Babel counts lines from 0
        raise InputFileError(f"{name}, {where}{BABEL_LINE.sub('', str(error))}") from None
    entries = []
    for message in catalog:
        if not message.id:
            continue  # the header
        if isinstance(message.id, tuple | list) or isinstance(message.string, tuple | list):
            raise InputFileError(f"{name}, line {message.lineno}: a plural entry; these texts have no plural forms")
        entries.append(
            PoEntry(
                key=message.context or "",
                original=message.id,
                translation=message.string or "",
                fuzzy=message.fuzzy,
                line=message.lineno or 0,
            )
        )
    language = catalog.mime_headers and dict(catalog.mime_headers).get("Language")
    return PoFile(language.strip() if language else None, entries)


def _check_lines(lines: list[str], name: str) -> None:
    """Every line is a comment, a keyword with a well-formed string, or a string continuing one; no
    entry appears twice (Babel would keep the last without a word)."""
    seen: dict[tuple[str, str], int] = {}
    context: str | None = None  # a msgctxt waiting for its msgid
    entry: list | None = None  # [context, msgid, line] of the entry being read
    last = None
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword = KEYWORD.match(line)
        if keyword is None and (last is None or not line.startswith('"')):
            raise InputFileError(
                f"{name}, line {number}: not a PO line (msgctxt, msgid, msgstr, a string or a comment)"
            )
        value = keyword.group(3) if keyword else line
        if not QUOTED.match(value):
            raise InputFileError(f"{name}, line {number}: a string without its closing quote")
        for escaped in ESCAPES.findall(value.rstrip()[1:-1]):
            if escaped not in KNOWN_ESCAPES:
                raise InputFileError(f"{name}, line {number}: an unknown escape \\{escaped}")
        string = unescape(value.rstrip())
        if keyword is None:  # a string continuing the keyword above
            if last == "msgctxt" and context is not None:
                context += string
            elif last == "msgid" and entry is not None:
                entry[1] += string
            continue
        last = keyword.group(1)
        if last == "msgctxt":
            _remember(seen, entry, name)
            entry, context = None, string
        elif last == "msgid":
            _remember(seen, entry, name)
            entry, context = [context or "", string, number], None
    _remember(seen, entry, name)


def _remember(seen: dict[tuple[str, str], int], entry: list | None, name: str) -> None:
    if entry is None:
        return
    context, msgid, line = entry
    if msgid == "" and context == "":
        return  # the header
    if (context, msgid) in seen:
        raise InputFileError(
            f"{name}, line {line}: the entry of line {seen[context, msgid]} again ({context or msgid!r}); keep one"
        )
    seen[context, msgid] = line
