"""Every message a person can read is in the Dari and Pashto catalogues, translated: page strings and
the messages of every refusal a page can show. One added without its translation would show English
to a Dari or Pashto reader."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_every_interface_string_and_refusal_is_translated():
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "catalogs.py"), "--check"], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, f"run scripts/catalogs.py and translate:\n{run.stdout}{run.stderr}"
