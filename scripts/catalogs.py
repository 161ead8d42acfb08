"""Keep the interface catalogues in step with the code: extract every translatable string (page
templates, and the messages of the use cases' refusals) into src/concord/web/locale/messages.pot and
merge it into each language's messages.po, keeping the translations made so far. Prints what is left
to translate; exit code 1 when anything is.

    .venv/bin/python scripts/catalogs.py            # extract, merge, report
    .venv/bin/python scripts/catalogs.py --check    # change nothing: report what the code asks for
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "src" / "concord" / "web" / "locale"
SOURCES = [ROOT / "src" / "concord" / name for name in ("web", "service", "report", "sms")]
# A refusal's first argument is its message (concord.service.errors); Label marks words used inside one.
KEYWORDS = ["Invalid", "NotFound", "Forbidden", "Conflict", "Unauthorized", "RateLimited", "ServiceError", "Label"]
WIDTH = 100


def extract(template: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "--omit-header", "--no-location",
         f"--width={WIDTH}", "-F", str(ROOT / "babel.cfg"), "-o", str(template),
         *(f"--keyword={keyword}" for keyword in KEYWORDS), *map(str, SOURCES)],
        check=True, capture_output=True,
    )  # fmt: skip


def merge(template: Path) -> None:
    with open(template, "rb") as handle:
        wanted = read_po(handle)
    for path in sorted(LOCALE.glob("*/LC_MESSAGES/messages.po")):
        with open(path, "rb") as handle:
            catalog = read_po(handle, locale=path.parts[-3])
        catalog.update(wanted, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        with open(path, "wb") as handle:
            write_po(handle, catalog, no_location=True, width=WIDTH)


def untranslated(template: Path) -> dict[str, list[str]]:
    """Per language, the messages the code asks for that have no translation (or a fuzzy one)."""
    with open(template, "rb") as handle:
        wanted = [message.id for message in read_po(handle) if message.id]
    missing = {}
    for path in sorted(LOCALE.glob("*/LC_MESSAGES/messages.po")):
        with open(path, "rb") as handle:
            catalog = read_po(handle, locale=path.parts[-3])
        translated = {m.id for m in catalog if m.id and not m.fuzzy and all(_strings(m.string))}
        if empty := [str(i) for i in wanted if i not in translated]:
            missing[path.parts[-3]] = empty
    return missing


def _strings(string: str | tuple[str, ...]) -> tuple[str, ...]:
    return string if isinstance(string, tuple) else (string,)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as scratch:
        template = LOCALE / "messages.pot" if "--check" not in sys.argv else Path(scratch) / "messages.pot"
        extract(template)
        if "--check" not in sys.argv:
            merge(template)
        left = untranslated(template)
    for code, ids in left.items():
        print(f"{code}: {len(ids)} untranslated", *(f"  {i}" for i in ids), sep="\n")
    sys.exit(1 if left else 0)
