"""The operator's first hour from the command line, as a new user runs it: the README's serve script
with arguments, spaces made from the command line, an import into them."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import ROOT, SHIPPED_DATA


def concord(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "concord", *args], capture_output=True, text=True, timeout=300)


def test_serve_script_hands_its_arguments_to_concord_serve():
    """`./scripts/serve --port 8080` once handed --port to pip as an extra and died with a traceback."""
    run = subprocess.run(
        ["bash", "scripts/serve", "--help"],
        cwd=ROOT,
        env={**os.environ, "CONCORD_EXTRAS": "test"},  # the venv the tests run in, as installed
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    assert "--port" in run.stdout and "--database" in run.stdout
    assert "Traceback" not in run.stderr


def test_spaces_from_the_command_line_then_an_import_into_them(tmp_path):
    database = f"sqlite:///{tmp_path / 'concord.db'}"
    folder = str(SHIPPED_DATA / "london.youth.policing")

    missing = concord("import", folder, "--space", "/afghanistan/herat", "--database", database)
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [
        "concord: error: no space at /afghanistan/herat: create it first with "
        "`concord space add /afghanistan/herat --name NAME`"
    ]

    orphan = concord("space", "add", "/afghanistan/herat", "--name", "Herat", "--database", database)
    assert orphan.returncode == 2 and orphan.stderr.strip() == "concord: error: no space at /afghanistan"
    made = concord("space", "add", "/afghanistan", "--name", "Afghanistan", "--database", database)
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == "created the space /afghanistan (Afghanistan)"
    below = concord(
        "space", "add", "/afghanistan/herat", "--name", "هرات", "--language", "fa-AF", "--database", database
    )
    assert below.returncode == 0, below.stderr
    again = concord("space", "add", "/afghanistan", "--name", "Again", "--database", database)
    assert again.returncode == 2 and "exists already" in again.stderr
    bad = concord("space", "add", "/Not A Slug", "--name", "X", "--database", database)
    assert bad.returncode == 2 and "lowercase" in bad.stderr and "Traceback" not in bad.stderr

    imported = concord("import", folder, "--space", "/afghanistan/herat", "--database", database)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith("imported 27 participants, 39 statements and 640 vote events")
