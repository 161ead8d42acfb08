"""``translations.csv`` beside a Pol.is export: every text of the conversation in every language it
is read in, one row each, so anyone can read the conversation in any of them without Concord.

Columns: ``subject`` (topic, description or comment), ``comment-id`` (a comment's; empty for the topic
and description), ``language`` (a BCP 47 tag), ``original`` (1: the text as written, in the language it
was written in; 0: a translation of it) and ``text``. Each text has exactly one original row; the
comments' original rows repeat ``comment-body``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from concord.formats.errors import InputFileError
from concord.languages import UnknownLanguage, canonical

TRANSLATIONS = "translations.csv"
COLUMNS = ("subject", "comment-id", "language", "original", "text")
SUBJECTS = ("topic", "description", "comment")


@dataclass(frozen=True)
class TextRow:
    subject: str  # topic, description or comment
    comment: int | None  # a comment's id
    language: str
    original: bool  # the text as written (else a translation of it)
    text: str
    line: int = 0  # in the file read


def text_rows(
    topic: str,
    description: str,
    language: str,
    statements: Iterable[tuple[int, str, str]],
    accepted: Iterable[tuple[str, int | None, str, str, str]],
) -> list[TextRow]:
    """The rows of a conversation: its topic and description (in ``language``), each statement
    (number, language, text) as written, then the accepted translations (subject "topic",
    "description" or "statement", statement number, language, text, the original it translates), of
    the texts as they are now."""
    rows = [TextRow("topic", None, language, True, topic)]
    if description:
        rows.append(TextRow("description", None, language, True, description))
    rows += [TextRow("comment", number, lang, True, text) for number, lang, text in sorted(statements)]
    current = {"topic": topic, "description": description}
    order = {"topic": -2, "description": -1}
    for subject, number, lang, text, original in sorted(
        accepted, key=lambda t: (order.get(t[0], 0), t[1] if t[1] is not None else -1, t[2])
    ):
        if subject == "statement":
            rows.append(TextRow("comment", number, lang, False, text))
        elif original == current[subject]:
            rows.append(TextRow(subject, None, lang, False, text))
    return rows


def write_translations(path: str | Path, rows: Iterable[TextRow]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for row in rows:
            comment = "" if row.comment is None else row.comment
            writer.writerow([row.subject, comment, row.language, int(row.original), row.text])


def read_translations(path: str | Path) -> list[TextRow]:
    """The rows of a translations file, or :class:`InputFileError` naming its line."""
    path = Path(path)
    rows: list[TextRow] = []
    originals: set[tuple[str, int | None]] = set()
    seen: set[tuple[str, int | None, str]] = set()
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or tuple(cell.strip() for cell in header) != COLUMNS:
            raise InputFileError(f"{path}, line 1: expected the columns {','.join(COLUMNS)}")
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(COLUMNS):
                raise InputFileError(f"{path}, line {line}: expected {len(COLUMNS)} cells, found {len(record)}")
            subject, comment, language, original, text = record
            if subject not in SUBJECTS:
                raise InputFileError(f"{path}, line {line}: subject must be topic, description or comment")
            number = _comment(comment, subject, path, line)
            try:
                tag = canonical(language)
            except UnknownLanguage as error:
                raise InputFileError(f"{path}, line {line}: {error}") from None
            if original not in ("0", "1"):
                raise InputFileError(f"{path}, line {line}: original must be 1 (as written) or 0 (a translation)")
            if original == "0" and not text.strip():
                raise InputFileError(f"{path}, line {line}: an empty translation")
            if (subject, number, tag) in seen:
                raise InputFileError(f"{path}, line {line}: a second {subject} text in {tag}")
            seen.add((subject, number, tag))
            if original == "1":
                if (subject, number) in originals:
                    raise InputFileError(f"{path}, line {line}: a second original of the same {subject}")
                originals.add((subject, number))
            rows.append(TextRow(subject, number, tag, original == "1", text, line))
    for row in rows:
        if not row.original and (row.subject, row.comment) not in originals:
            what = f"comment {row.comment}" if row.comment is not None else row.subject
            raise InputFileError(f"{path}: the {what} has translations but no original row")
    return rows


def _comment(cell: str, subject: str, path: Path, line: int) -> int | None:
    if subject != "comment":
        if cell.strip():
            raise InputFileError(f"{path}, line {line}: only comments have a comment-id")
        return None
    try:
        number = int(cell)
    except ValueError:
        raise InputFileError(f"{path}, line {line}: comment-id must be a whole number, not {cell!r}") from None
    if number < 0:
        raise InputFileError(f"{path}, line {line}: comment-id cannot be negative")
    return number
