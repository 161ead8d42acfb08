"""Keep the interface catalogues in step with the code: extract every translatable string into
src/concord/web/locale/messages.pot and merge it into each language's messages.po, keeping the
translations made so far. Prints what is left to translate; exit code 1 when anything is.

    .venv/bin/python scripts/catalogs.py            # extract, merge, report
    .venv/bin/python scripts/catalogs.py --check    # report only (what the tests assert)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "src" / "concord" / "web" / "locale"
WIDTH = 100


def extract() -> None:
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "--omit-header", "--no-location",
         f"--width={WIDTH}", "-F", str(ROOT / "babel.cfg"), "-o", str(LOCALE / "messages.pot"),
         str(ROOT / "src" / "concord" / "web")],
        check=True, capture_output=True,
    )  # fmt: skip


def merge() -> None:
    with open(LOCALE / "messages.pot", "rb") as handle:
        template = read_po(handle)
    for path in sorted(LOCALE.glob("*/LC_MESSAGES/messages.po")):
        with open(path, "rb") as handle:
            catalog = read_po(handle, locale=path.parts[-3])
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        with open(path, "wb") as handle:
            write_po(handle, catalog, no_location=True, width=WIDTH)


def untranslated() -> dict[str, list[str]]:
    """Per language, the messages with no translation (or a fuzzy one)."""
    missing = {}
    for path in sorted(LOCALE.glob("*/LC_MESSAGES/messages.po")):
        with open(path, "rb") as handle:
            catalog = read_po(handle, locale=path.parts[-3])
        empty = [str(m.id) for m in catalog if m.id and (m.fuzzy or not all(_strings(m.string)))]
        if empty:
            missing[path.parts[-3]] = empty
    return missing


def _strings(string: str | tuple[str, ...]) -> tuple[str, ...]:
    return string if isinstance(string, tuple) else (string,)


if __name__ == "__main__":
    if "--check" not in sys.argv:
        extract()
        merge()
    left = untranslated()
    for code, ids in left.items():
        print(f"{code}: {len(ids)} untranslated", *(f"  {i}" for i in ids), sep="\n")
    sys.exit(1 if left else 0)
