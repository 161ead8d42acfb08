"""Every interface string is in the Dari and Pashto catalogues, translated: a string added to a
template or a page without its translation would show English to a Dari or Pashto reader."""

from __future__ import annotations

import subprocess
import sys

from babel.messages.pofile import read_po

from conftest import ROOT

LOCALE = ROOT / "src" / "concord" / "web" / "locale"


def test_every_interface_string_is_in_every_catalogue_and_translated(tmp_path):
    template = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "--omit-header", "-F", str(ROOT / "babel.cfg"),
         "-o", str(template), str(ROOT / "src" / "concord" / "web")],
        check=True, capture_output=True,
    )  # fmt: skip
    with open(template, "rb") as handle:
        wanted = {message.id for message in read_po(handle) if message.id}
    assert len(wanted) > 100
    for code in ("fa_AF", "ps"):
        with open(LOCALE / code / "LC_MESSAGES" / "messages.po", "rb") as handle:
            catalog = read_po(handle, locale=code)
        translated = {
            message.id
            for message in catalog
            if message.id
            and not message.fuzzy
            and all(message.string if isinstance(message.string, tuple) else [message.string])
        }
        assert not wanted - translated, f"{code}: run scripts/catalogs.py and translate {sorted(wanted - translated)}"
