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


def test_the_concord_script_runs_the_command_without_an_activated_venv(tmp_path):
    """`concord space add …` failed with "command not found" in a clone whose .venv was not activated:
    ./scripts/concord runs it from the venv, in the folder it is called from (./concord.db there)."""
    env = {name: value for name, value in os.environ.items() if name not in ("VIRTUAL_ENV", "CONCORD_DATABASE_URL")}
    env["PATH"] = "/usr/bin:/bin"  # no venv on the path, as in a fresh shell

    def script(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(ROOT / "scripts" / "concord"), *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    helped = script("--help")
    assert helped.returncode == 0, helped.stderr
    assert "space" in helped.stdout and "serve" in helped.stdout
    added = script("space", "add", "/herat", "--name", "Herat")
    assert added.returncode == 0, added.stderr
    assert (tmp_path / "concord.db").exists() and "Traceback" not in added.stderr


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


def test_translators_work_offline_with_po_files_from_the_command_line(tmp_path):
    """Export the texts to translate into Pashto, translate two, import them; a malformed file or an
    unknown language ends with one line and exit code 2, and stores nothing."""
    from babel.messages.pofile import read_po, write_po

    database = f"sqlite:///{tmp_path / 'concord.db'}"
    assert concord("space", "add", "/kabul", "--name", "Kabul", "--database", database).returncode == 0
    folder = str(SHIPPED_DATA / "london.youth.policing")
    imported = concord("import", folder, "--space", "/kabul", "--database", database)
    conversation = imported.stdout.strip().rsplit(" ", 1)[1]
    po = tmp_path / "kabul.ps.po"
    exported = concord("translations", "export", conversation, "ps", str(po), "--database", database)
    assert exported.returncode == 0, exported.stderr
    texts = sum(1 for line in po.read_text(encoding="utf-8").splitlines() if line.startswith("msgctxt "))
    assert exported.stdout.startswith(f"wrote {texts} texts to translate (0 translated already)") and texts > 30
    with open(po, "rb") as handle:
        catalog = read_po(handle)
    statements = [message for message in catalog if message.id and message.context.startswith("statement ")]
    statements[0].string, statements[1].string = "لومړۍ ژباړه", "دوهمه ژباړه"
    with open(po, "wb") as handle:
        write_po(handle, catalog)
    stored = concord("translations", "import", conversation, "ps", str(po), "--database", database)
    assert stored.returncode == 0, stored.stderr
    assert stored.stdout.startswith("stored 2 translations;")
    coverage = concord("translations", "coverage", conversation, "--database", database)
    assert "Pashto (ps): 2 of " in coverage.stdout

    broken = tmp_path / "broken.po"
    broken.write_text('msgctxt "statement 0"\nmsgid "unterminated\nmsgstr "x"\n', encoding="utf-8")
    for args, message in [
        (
            ("import", conversation, "ps", str(broken)),
            f"concord: error: {broken}, line 2: a string without its closing quote",
        ),
        (("import", conversation, "xx", str(po)), "concord: error: language must be a language tag"),
        (
            ("export", conversation, "klingon", str(tmp_path / "k.po")),
            "concord: error: language must be a language tag",
        ),
        (("import", conversation, "fa-AF", str(po)), f"concord: error: {po} is a translation into ps"),
    ]:
        refused = concord("translations", *args, "--database", database)
        assert refused.returncode == 2 and refused.stderr.startswith(message), refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
    assert "Pashto (ps): 2 of " in concord("translations", "coverage", conversation, "--database", database).stdout


def test_serve_help_names_only_pages_the_server_serves(tmp_path):
    """`concord serve --help` once sent readers to a /docs page the server does not serve."""
    import re

    from fastapi.testclient import TestClient

    from concord.web.app import create_app

    run = concord("serve", "--help")
    assert run.returncode == 0, run.stderr
    described = run.stdout.split("Options")[0]  # the command's description, before the options
    named = re.findall(r"(?<![\w.:/$])/[\w.\-/]+", described)
    assert "/openapi.json" in named, described
    app = create_app(f"sqlite:///{tmp_path / 'concord.db'}", live_analysis=False)
    try:
        with TestClient(app) as client:
            for path in named:
                assert client.get(path).status_code == 200, path
    finally:
        app.state.concord.close()
