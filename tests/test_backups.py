"""`concord backup` and `concord restore` on SQLite and PostgreSQL: a backup taken while the server runs
comes back whole (its votes, and logs that verify), later changes are not in it, and nothing is ever
overwritten: an existing backup file or a database with data in it is refused with one line."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

from sqlalchemy import create_engine, func, select

from api_helpers import ok
from concord.store.models import VoteEvent
from concord.verify.exports import verify_export
from conftest import ADMIN_PASSWORD


def concord(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "concord", *args], capture_output=True, text=True, timeout=300)


def votes_in(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(VoteEvent)).scalar_one()
    finally:
        engine.dispose()


def test_a_backup_comes_back_whole_and_its_logs_verify(site, database_url, tmp_path, request):
    person = site.person()
    for number in site.seeds[:3]:
        ok(person.vote(number, "agree"), 201)
    before = votes_in(database_url)
    file = tmp_path / "concord.backup"
    made = concord("backup", str(file), "--database", database_url)
    assert made.returncode == 0, made.stderr
    ok(person.vote(site.seeds[3], "disagree"), 201)  # after the backup: not in it

    if database_url.startswith("sqlite"):
        target = f"sqlite:///{tmp_path / 'restored.db'}"
    else:
        cluster = request.getfixturevalue("postgres_cluster")
        target = cluster.url(cluster.create_database())
    restored = concord("restore", str(file), "--database", target)
    assert restored.returncode == 0, restored.stderr
    assert votes_in(target) == before == votes_in(database_url) - 1

    from fastapi.testclient import TestClient

    from concord.web.app import create_app

    with TestClient(create_app(target, live_analysis=False)) as client:
        ok(client.post("/api/session", json={"username": "admin", "password": ADMIN_PASSWORD}))
        answer = client.get(f"/api/conversations/{site.conversation}/export")
        assert answer.status_code == 200, answer.text
    folder = tmp_path / "export"
    folder.mkdir()
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        for member in archive.infolist():
            (folder / Path(member.filename).name).write_bytes(archive.read(member))
    assert verify_export(folder).votes == before

    again = concord("backup", str(file), "--database", database_url)
    assert again.returncode == 2 and again.stderr.startswith("concord: error:") and "exists" in again.stderr
    over = concord("restore", str(file), "--database", database_url)
    assert over.returncode == 2 and over.stderr.startswith("concord: error:"), over.stderr
    assert votes_in(database_url) == before + 1  # untouched
    wrong = tmp_path / "not-a-backup"
    wrong.write_text("hello")
    refused = concord("restore", str(wrong), "--database", f"sqlite:///{tmp_path / 'other.db'}")
    assert refused.returncode == 2 and "is not a SQLite backup" in refused.stderr
