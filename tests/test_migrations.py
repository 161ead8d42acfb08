"""Schema migrations bring a database written by an older Concord up to date without losing data."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from fastapi.testclient import TestClient
from sqlalchemy import inspect, select, text

from concord.report.contract import RESULTS_VERSION
from concord.service import conversations, participation, spaces, statements, voting
from concord.service.accounts import system_actor
from concord.store.database import migrate, open_database, session_factory
from concord.store.models import AnalysisRecord, Conversation, Statement
from conftest import ROOT

HEAD = "0012"

COMMON = "We should " + "really " * 100


def test_0002_recomputes_the_duplicate_keys_that_0001_cut_at_700_characters(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'old.db'}")
    migrate(engine, "0001")
    sessions = session_factory(engine)
    with engine.begin() as connection:  # rows as 0001's code wrote them: keys cut at 700 normalised characters
        connection.execute(
            text("INSERT INTO spaces (id, slug, path, name, description, language, created_ms) "
                 "VALUES (1, 'old', '/old', 'Old', '', 'en', 0)")
        )  # fmt: skip
        connection.execute(
            text("INSERT INTO conversations (id, public_id, space_id, topic, description, language, is_open, "
                 "moderation, participants_can_write, access, max_statement_length, attributes, "
                 "next_statement_number, next_participant_number, created_ms) "
                 "VALUES (1, 'oldone', 1, 'Long', '', 'en', 1, 'post', 1, 'link', 1000, '[]', 2, 0, 0)")
        )  # fmt: skip
        for number, written in enumerate([COMMON + "build schools", "A short one"]):
            connection.execute(
                text("INSERT INTO statements (conversation_id, number, text, normalized, is_seed, status, "
                     "created_ms) VALUES (1, :number, :text, :key, 1, 'accepted', 0)"),
                {"number": number, "text": written, "key": statements.normalised(written)[:700]},
            )  # fmt: skip
    conversation_id = 1

    migrate(engine)

    with sessions.begin() as session:
        keys = dict(session.execute(select(Statement.number, Statement.normalized)).all())
        assert keys == {0: statements.duplicate_key(COMMON + "build schools"), 1: "a short one"}
        assert keys[0].startswith("sha256:")
        conversation = session.get(Conversation, conversation_id)
        author = participation.join(session, conversation).participant
        statements.add_statement(session, conversation, COMMON + "build clinics", author=author)
        assert session.scalar(select(Statement.number).where(Statement.text == COMMON + "build clinics")) == 2


def test_the_alembic_command_upgrades_a_postgresql_database(postgres_cluster):
    """An operator's `alembic upgrade head`, from the repository's root with its alembic.ini, on the
    database in CONCORD_DATABASE_URL given as a plain postgresql:// URL (the app's psycopg 3 driver)."""
    name = postgres_cluster.create_database()
    try:
        url = postgres_cluster.url(name)
        run = subprocess.run(
            [sys.executable, "-m", "alembic", "upgrade", "head"],
            cwd=ROOT,
            env={**os.environ, "CONCORD_DATABASE_URL": url},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, run.stderr
        engine = open_database(url)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == HEAD
            columns = {c["name"] for c in inspect(connection).get_columns("analyses")}
        engine.dispose()
        assert {"results_version", "priorities"} <= columns
        again = subprocess.run(
            [sys.executable, "-m", "alembic", "current"],
            cwd=ROOT,
            env={**os.environ, "CONCORD_DATABASE_URL": url},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert f"{HEAD} (head)" in again.stdout, again.stdout + again.stderr
    finally:
        postgres_cluster.drop_database(name)


def test_analyses_stored_before_0003_are_computed_again_at_start_up(tmp_path):
    """0003 marks existing analyses as of version 0: readers treat them as missing (never as results
    of another shape) and a starting server analyses those conversations again."""
    from concord.service.runtime import Runtime
    from concord.web.app import create_app

    url = f"sqlite:///{tmp_path / 'old.db'}"
    runtime = Runtime.open(url, rate_limits=False)
    actor = system_actor()
    with runtime.transaction() as session:
        space = spaces.create_space(session, actor, parent_path=None, slug="old", name="Old")
        conversation = conversations.create_conversation(
            session, actor, space, conversations.ConversationSettings(topic="Before 0003")
        )
        numbers = [
            statements.add_statement(session, conversation, f"Idea {i}", moderator=actor).number for i in range(3)
        ]
        for i in range(6):
            voter = participation.join(session, conversation).participant
            for number in numbers:
                voting.record_vote(session, conversation, voter, number, "agree" if (i + number) % 2 else "disagree")
        public_id, conversation_id = conversation.public_id, conversation.id
    runtime.live.analyse_now(conversation_id)
    with runtime.transaction() as session:  # what an analysis stored before 0003 looks like
        session.execute(text("UPDATE analyses SET results_version = 0, priorities = NULL"))
    runtime.close()

    idle = create_app(url, live_analysis=False)
    with TestClient(idle) as client:  # no analysis running: the old payload is hidden, not served
        assert client.get(f"/api/conversations/{public_id}/results").json()["results"] is None
        assert "There are no results yet" in client.get(f"/c/{public_id}/results").text
    idle.state.concord.close()

    app = create_app(url, rate_limits=False, debounce=0.05)
    with TestClient(app) as client:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            body = client.get(f"/api/conversations/{public_id}/results").json()
            if body["results"] is not None:
                break
            time.sleep(0.1)
        assert body["results"]["version"] == RESULTS_VERSION
        assert "routing" not in body["results"]
    with app.state.concord.transaction() as session:
        record = session.get(AnalysisRecord, conversation_id)
        assert record.results_version == RESULTS_VERSION
        assert set(record.priorities) == {str(n) for n in numbers}
    app.state.concord.close()


def test_0006_gives_every_statement_its_conversations_language_and_the_schema_matches_the_models(tmp_path):
    """Statements written before languages were recorded are in their conversation's language; after
    0006 the database has exactly the tables, columns and indexes the models declare."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from concord.service import translations
    from concord.states import Translated
    from concord.store.models import Base

    engine = open_database(f"sqlite:///{tmp_path / 'old.db'}")
    migrate(engine, "0005")
    with engine.begin() as connection:  # rows as 0005's code wrote them: statements without a language
        connection.execute(
            text("INSERT INTO spaces (id, slug, path, name, description, language, created_ms, weight) "
                 "VALUES (1, 'kabul', '/kabul', 'کابل', '', 'fa-AF', 0, 1)")
        )  # fmt: skip
        for number, language in ((1, "fa-AF"), (2, "en")):
            connection.execute(
                text("INSERT INTO conversations (id, public_id, space_id, topic, description, language, is_open, "
                     "moderation, participants_can_write, access, max_statement_length, attributes, xid_secret, "
                     "allow_unsigned_xid, next_statement_number, next_participant_number, created_ms) "
                     "VALUES (:id, :public, 1, 'آب', '', :language, 1, 'post', 1, 'link', 140, '[]', 'k', 0, 1, 0, 0)"),
                {"id": number, "public": f"old{number}", "language": language},
            )  # fmt: skip
            connection.execute(
                text("INSERT INTO statements (conversation_id, number, text, normalized, is_seed, status, "
                     "created_ms, is_proposal) VALUES (:id, 0, 'چاه‌ها اول', 'چاه ها اول', 1, 'accepted', 0, 0)"),
                {"id": number},
            )  # fmt: skip

    migrate(engine)

    sessions = session_factory(engine)
    with sessions.begin() as session:
        languages = dict(session.execute(select(Statement.conversation_id, Statement.language)).all())
        assert languages == {1: "fa-AF", 2: "en"}
        conversation = session.get(Conversation, 2)
        original = translations.original_of(session, conversation, Translated.STATEMENT, 0)
        added = translations.add_translation(
            session, conversation, original, "ps", "څاګانې لومړی", moderator=system_actor()
        )
        assert added.status == "accepted" and added.original == "چاه‌ها اول"
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == [], differences


def test_0008_builds_a_verifiable_log_from_what_an_older_database_holds(tmp_path):
    """A conversation written before logs existed (participants with declared answers, statements, a
    moderation decision with its reason, a translation, votes, a changed vote, a budget with ballots)
    gets its log from 0008: its export verifies, its votes keep their order, and the log goes on."""
    from sqlalchemy import MetaData

    from concord.service.exchange import export_polis_folder
    from concord.service.live_analysis import LiveAnalysis
    from concord.service.verification import verify_export
    from concord.store.models import Log, VoteEvent

    engine = open_database(f"sqlite:///{tmp_path / 'old.db'}")
    migrate(engine, "0007")
    meta = MetaData()
    meta.reflect(engine)
    t = meta.tables
    questions = [{"name": "region", "options": ["north", "south"]}]
    with engine.begin() as db:
        db.execute(
            t["spaces"].insert(),
            [
                {
                    "id": 1,
                    "slug": "herat",
                    "path": "/herat",
                    "name": "هرات",
                    "description": "",
                    "language": "fa-AF",
                    "created_ms": 1,
                    "weight": 1.0,
                    "decision_rule": {"name": "majority", "parameters": {"threshold": 0.6}},
                }
            ],
        )
        for conversation_id, public_id in ((1, "old1"), (2, "budget1")):
            db.execute(
                t["conversations"].insert(),
                [
                    {
                        "id": conversation_id,
                        "public_id": public_id,
                        "space_id": 1,
                        "topic": "آب",
                        "description": "",
                        "language": "fa-AF",
                        "is_open": True,
                        "moderation": "post",
                        "participants_can_write": True,
                        "access": "link",
                        "max_statement_length": 140,
                        "attributes": questions,
                        "xid_secret": "k",
                        "allow_unsigned_xid": False,
                        "next_statement_number": 3,
                        "next_participant_number": 8,
                        "created_ms": 2,
                    }
                ],
            )
        db.execute(
            t["participants"].insert(),
            [
                {
                    "id": p,
                    "conversation_id": 1,
                    "number": p - 1,
                    "token_hash": f"t{p}",
                    "xid": None,
                    "attributes": {"region": "north" if p % 2 else "south"},
                    "created_ms": 3,
                }
                for p in range(1, 9)
            ],
        )
        db.execute(
            t["statements"].insert(),
            [
                {
                    "id": s,
                    "conversation_id": 1,
                    "number": s - 1,
                    "text": f"چاه {s}",
                    "language": "fa-AF",
                    "normalized": f"چاه {s}",
                    "author_id": 1 if s == 3 else None,
                    "is_seed": s != 3,
                    "status": "rejected" if s == 3 else "accepted",
                    "created_ms": 4,
                    "is_proposal": s == 1,
                }
                for s in range(1, 4)
            ],
        )
        db.execute(
            t["moderation_events"].insert(),
            [{"statement_id": 3, "status": "rejected", "reason": "تکراری", "moderator_id": None, "created_ms": 5}],
        )
        db.execute(
            t["translations"].insert(),
            [
                {
                    "id": 1,
                    "conversation_id": 1,
                    "subject": "statement",
                    "statement_id": 1,
                    "language": "ps",
                    "text": "څاه",
                    "original": "چاه 1",
                    "status": "accepted",
                    "translator_id": None,
                    "moderator_id": None,
                    "created_ms": 6,
                }
            ],
        )
        votes = [(p, s, 1 if (p + s) % 3 else -1) for p in range(1, 9) for s in (1, 2)] + [(1, 1, -1)]
        db.execute(
            t["vote_events"].insert(),
            [
                {"conversation_id": 1, "participant_id": p, "statement_id": s, "value": v, "created_ms": 10 + i}
                for i, (p, s, v) in enumerate(votes)
            ],
        )
        current = {(p, s): v for p, s, v in votes}
        db.execute(
            t["votes"].insert(),
            [
                {"participant_id": p, "statement_id": s, "conversation_id": 1, "value": v, "updated_ms": 50}
                for (p, s), v in current.items()
            ],
        )
        db.execute(
            t["participants"].insert(),
            [
                {
                    "id": 20 + p,
                    "conversation_id": 2,
                    "number": p,
                    "token_hash": f"b{p}",
                    "xid": None,
                    "attributes": {},
                    "created_ms": 3,
                }
                for p in range(4)
            ],
        )
        db.execute(
            t["budgets"].insert(),
            [
                {
                    "id": 1,
                    "public_id": "b1",
                    "space_id": 1,
                    "conversation_id": 2,
                    "name": "بودجه",
                    "description": "",
                    "amount": "100",
                    "currency": "AFN",
                    "ballot": {"type": "approval", "max_projects": None, "max_cost": None},
                    "opens_ms": None,
                    "closes_ms": None,
                    "parent_id": None,
                    "split": None,
                    "meta": {},
                    "created_ms": 2,
                }
            ],
        )
        db.execute(
            t["budget_projects"].insert(),
            [
                {
                    "id": n,
                    "budget_id": 1,
                    "number": n,
                    "code": str(n),
                    "name": f"پروژه {n}",
                    "description": "",
                    "cost": str(30 * n),
                    "category": "",
                    "location": "",
                    "latitude": 34.35 if n == 1 else None,
                    "longitude": None,
                    "extra": {},
                }
                for n in (1, 2, 3)
            ],
        )
        db.execute(
            t["budget_ballots"].insert(),
            [
                {
                    "budget_id": 1,
                    "participant_id": 20 + p,
                    "projects": [1 + p % 3],
                    "points": None,
                    "voter_label": None,
                    "attributes": {},
                    "updated_ms": 7,
                }
                for p in range(4)
            ],
        )

    migrate(engine)

    sessions = session_factory(engine)
    with sessions.begin() as session:
        logs = {log.origin.split("/", 1)[1]: log.size for log in session.scalars(select(Log))}
        assert logs == {"s/1": 2, "c/old1": 2 + 8 + 3 + 1 + 1 + 17, "c/budget1": 2 + 4 + 1 + 3 + 4}
        seqs = session.scalars(select(VoteEvent.seq).where(VoteEvent.conversation_id == 1).order_by(VoteEvent.id))
        assert list(seqs) == list(range(15, 32)), "the votes keep the order they were stored in"
    for public_id in ("old1", "budget1"):
        folder = tmp_path / public_id
        folder.mkdir()
        with sessions.begin() as session:
            export_polis_folder(
                session, session.scalar(select(Conversation).where(Conversation.public_id == public_id)), folder
            )
        checked = verify_export(folder)
        assert checked.entries == logs[f"c/{public_id}"]

    LiveAnalysis(sessions).analyse_now(1)  # the log goes on from what 0008 built
    with sessions.begin() as session:
        conversation = session.get(Conversation, 1)
        voter = participation.join(session, conversation, attributes={"region": "south"}).participant
        voting.record_vote(session, conversation, voter, 1, "agree")
    LiveAnalysis(sessions).analyse_now(1)
    folder = tmp_path / "again"
    folder.mkdir()
    with sessions.begin() as session:
        export_polis_folder(session, session.get(Conversation, 1), folder)
    checked = verify_export(folder)
    assert checked.votes == 18 and checked.analysis == checked.entries
