"""Schema migrations bring a database written by an older Concord up to date without losing data."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from fastapi.testclient import TestClient
from sqlalchemy import Engine, MetaData, Table, inspect, select, text

from concord.report.contract import RESULTS_VERSION
from concord.service import spaces
from concord.service.accounts.moderators import system_actor
from concord.service.conversations import lifecycle as conversations
from concord.service.conversations import statements
from concord.service.participation import joining as participation
from concord.service.participation import voting
from concord.store.database import migrate, open_database, session_factory
from concord.store.models import AnalysisRecord, Conversation, Statement
from conftest import ROOT

HEAD = "0016"

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
    from concord.service.startup import open_runtime
    from concord.web.app import create_app

    url = f"sqlite:///{tmp_path / 'old.db'}"
    runtime = open_runtime(url, rate_limits=False)
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

    from concord.service.translations import texts as translations
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


def old_database(engine: Engine) -> dict[str, Table]:
    """Bring an empty database to 0007 and write there, as Concord before the logs did, a space with a
    rule, a conversation (participants with declared answers, statements, a moderation decision with its
    reason, a translation, votes, a changed vote) and a budget's conversation with projects and ballots.
    Returns the tables as they were at 0007."""
    migrate(engine, "0007")
    meta = MetaData()
    meta.reflect(engine)
    t = dict(meta.tables)
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
    return t


def test_0008_builds_a_verifiable_log_from_what_an_older_database_holds(tmp_path):
    """A conversation written before logs existed (participants with declared answers, statements, a
    moderation decision with its reason, a translation, votes, a changed vote, a budget with ballots)
    gets its log from 0008: its export verifies, its votes keep their order, and the log goes on."""
    from concord.service.conversations.exchange import export_polis_folder
    from concord.service.live_analysis import LiveAnalysis
    from concord.store.models import Log, VoteEvent
    from concord.verify.exports import verify_export

    engine = open_database(f"sqlite:///{tmp_path / 'old.db'}")
    old_database(engine)

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


def more_of_an_old_database(engine: Engine, t: dict[str, Table]) -> None:
    """What else 0008 builds logs from, beside :func:`old_database`'s: a place below the space (its rule
    inherited) and a space with no rule (so the default rule), a proposal with tallies from two places, a
    conversation long enough to fill a tile, a closed one with a rule of its own, a participant's
    statement and translations (one decided), and a budget below another with its split and a points
    ballot."""
    conversation = {
        "description": "",
        "language": "fa-AF",
        "is_open": True,
        "moderation": "pre",
        "participants_can_write": False,
        "access": "link",
        "max_statement_length": 280,
        "attributes": [],
        "xid_secret": "k",
        "allow_unsigned_xid": False,
        "next_statement_number": 2,
        "next_participant_number": 2,
        "created_ms": 100,
    }
    space = {"description": "", "language": "fa-AF", "created_ms": 90, "weight": 1.0}
    statement = {
        "language": "fa-AF",
        "author_id": None,
        "is_seed": True,
        "status": "accepted",
        "is_proposal": False,
        "created_ms": 110,
    }
    participants = [(40, 3, 0, {}), (41, 3, 1, {}), (42, 4, 0, {}), (43, 5, 0, {}), (44, 5, 1, {"region": "north"})]
    rows = {
        "spaces": [
            {**space, "id": 2, "parent_id": 1, "slug": "g", "path": "/herat/g", "name": "غوریان", "population": 1200.5},
            {**space, "id": 3, "slug": "kabul", "path": "/kabul", "name": "کابل", "weight": 2.5, "language": "ps"},
        ],
        "conversations": [
            {**conversation, "id": 3, "public_id": "many", "space_id": 2, "topic": "Many votes"},
            {**conversation, "id": 4, "public_id": "budget2", "space_id": 3, "topic": "Kabul"},
            {
                **conversation,
                "id": 5,
                "public_id": "own",
                "space_id": 1,
                "topic": "Its own rule",
                "attributes": [{"name": "region", "options": ["north", "south"]}],
                "decision_rule": {"name": "concurrent-majority", "parameters": {"quota": 2}},
                "is_open": False,
                "closed_ms": 500,
            },
        ],
        "space_proposals": [
            {
                "id": 1,
                "space_id": 1,
                "text": "Wells first",
                "place_rule": {"name": "double-majority", "parameters": {"threshold": 0.55}},
                "created_ms": 92,
            }
        ],
        "reported_tallies": [
            {"proposal_id": 1, "space_id": 2, "agree": 30, "disagree": 12, "note": "", "reported_ms": 94},
            {"proposal_id": 1, "space_id": 1, "agree": 7, "disagree": 9, "note": "late", "reported_ms": 95},
        ],
        "participants": [
            {
                "id": p,
                "conversation_id": c,
                "number": number,
                "token_hash": f"m{p}",
                "xid": None,
                "attributes": attributes,
                "created_ms": 60 + p,
            }
            for p, c, number, attributes in participants
        ],
        "statements": [
            {**statement, "id": 10, "conversation_id": 3, "number": 0, "text": "One", "normalized": "one"},
            {**statement, "id": 11, "conversation_id": 5, "number": 0, "text": "Two", "normalized": "two"},
            {
                **statement,
                "id": 12,
                "conversation_id": 5,
                "number": 1,
                "text": "Three",
                "normalized": "three",
                "author_id": 44,
                "is_seed": False,
                "status": "pending",
            },
        ],
        "moderation_events": [{"statement_id": 12, "status": "pending", "reason": "", "created_ms": 121}],
        "translations": [
            {
                "id": 2,
                "conversation_id": 5,
                "subject": "statement",
                "statement_id": 11,
                "language": "ps",
                "text": "دوه",
                "original": "Two",
                "status": "accepted",
                "translator_id": 44,
                "created_ms": 122,
            },
            {
                "id": 3,
                "conversation_id": 5,
                "subject": "topic",
                "statement_id": None,
                "language": "en",
                "text": "Its own rule",
                "original": "Its own rule",
                "status": "pending",
                "translator_id": None,
                "created_ms": 123,
            },
        ],
        "translation_decisions": [{"translation_id": 2, "status": "accepted", "reason": "خوب", "created_ms": 124}],
        "vote_events": [
            {
                "conversation_id": 3,
                "participant_id": 40 + i % 2,
                "statement_id": 10,
                "value": i % 3 - 1,
                "created_ms": i,
            }
            for i in range(300)
        ],
        "budgets": [
            {
                "id": 2,
                "public_id": "b2",
                "space_id": 3,
                "conversation_id": 4,
                "name": "Kabul",
                "description": "below b1",
                "amount": "2500.50",
                "currency": "AFN",
                "ballot": {"type": "points", "points": 10, "min_projects": 1},
                "opens_ms": 100,
                "closes_ms": 900,
                "parent_id": 1,
                "split": {"by": "region", "shares": {"north": 0.6, "south": 0.4}},
                "meta": {"source": "pabulib", "ratio": 0.75},
                "created_ms": 102,
            }
        ],
        "budget_projects": [
            {
                "id": 4,
                "budget_id": 2,
                "number": 1,
                "code": "K1",
                "name": "Road",
                "description": "",
                "cost": "1200",
                "category": "roads",
                "location": "Kabul",
                "latitude": 34.5,
                "longitude": 69.25,
                "extra": {"score": 1.5, "votes": 3},
            }
        ],
        "budget_ballots": [
            {
                "budget_id": 2,
                "participant_id": 42,
                "projects": [1],
                "points": [7.5],
                "voter_label": "v-1",
                "attributes": {"age": 30, "share": 0.5},
                "updated_ms": 103,
            }
        ],
    }
    with engine.begin() as db:
        for table, values in rows.items():
            for columns in {tuple(row) for row in values}:  # one insert per set of columns given
                db.execute(t[table].insert(), [row for row in values if tuple(row) == columns])


def concord_imports(source: str) -> list[tuple[int, str]]:
    """Where a module's source imports Concord, anywhere (inside functions too): ``import concord…``,
    ``from concord… import``, a relative import, or ``importlib.import_module``/``__import__`` of a
    name that is not plainly another package's."""
    import ast

    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = ["." * node.level + (node.module or "")]
        elif isinstance(node, ast.Call) and (
            getattr(node.func, "attr", None) == "import_module" or getattr(node.func, "id", None) == "__import__"
        ):
            literal = node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
            names = [node.args[0].value if literal else "<computed>"]
        else:
            continue
        found += [(node.lineno, name) for name in names if name.split(".")[0] in ("concord", "", "<computed>")]
    return found


def test_no_migration_imports_concord():
    """A migration is history: it does what it did when it was written, whatever Concord's code does
    now, so no versioned migration imports Concord (at the top or inside a function): one that needs
    Concord's code keeps a frozen copy of it (as 0008 does of the log and the rules)."""
    assert concord_imports("import concord.ledger") == [(1, "concord.ledger")]
    assert concord_imports("def f():\n    from concord.ledger import events") == [(2, "concord.ledger")]
    assert concord_imports("from . import frozen\nimport importlib\nimportlib.import_module('concord')") == [
        (1, "."),
        (3, "concord"),
    ]
    assert concord_imports("import concordance, sqlalchemy as sa\nfrom alembic import op") == []
    versions = ROOT / "src" / "concord" / "store" / "migrations" / "versions"
    checked = {path.name: concord_imports(path.read_text(encoding="utf-8")) for path in sorted(versions.glob("*.py"))}
    assert "0008_logs.py" in checked and len(checked) >= 12
    assert {name: found for name, found in checked.items() if found} == {}


# What 0008 wrote from old_database and more_of_an_old_database with the key below, computed when 0008 still
# imported concord.ledger and concord.engine.decisions: the frozen copies it holds now must write the same.
ROOTS_0008 = {
    "s/1": "88f3a65c0ce242263f8ae077303b9e796ef6507089b0de8119db064e44cfdc78",
    "s/2": "3c4416903fe5127d51656387a3ac62119059aac3ff40d5563d70b06450f30e3c",
    "s/3": "5c241a6e9af84ee0bb48ff5d2957e0b22621aef626f15ca2adc01032be261bb8",
    "c/old1": "b78ec8b734431649c4bbeb29404c63cc102b28eab3bf3d864c7140dc9b2da593",
    "c/budget1": "aa5745cc084ae96dc63170e8f2e18f9504603d20b378ee7bf98ff978544f652e",
    "c/many": "91afb958ac3a46f6b3aa00c029d29a0aa2e51c81ae8734129530a8880c339308",
    "c/budget2": "d315044a8cdf2f8d36b7e6e0cd1df38f867d4590b6735900031fde260681d164",
    "c/own": "cf6cde2ce647ed403c91648f2359ea0f5679125ead12aa8c3588a0929ab8ef05",
}


def test_0008_writes_what_it_always_wrote_and_the_current_ledger_code_verifies_it(database_url, monkeypatch):
    """0008 keeps its own frozen copies of log format 1, the hash chain, the Merkle frontier, the key and
    the rules' defaults: from the same old database and key it writes the same logs byte for byte (their
    roots as they were), and the current code reads them: every entry canonical and chained, the roots,
    frontiers and tiles its Merkle code computes, inclusion proofs through the tiles, the key its signer
    derives, checkpoints that verify, and entries that replay (the rules in force with their defaults)."""
    import secrets

    from concord.engine.decisions import make_rule
    from concord.ledger import entries, events, merkle
    from concord.ledger.checkpoints import Signer, VerifierKey, read_checkpoint
    from concord.verify.replay import replay
    from concord.verify.space_replay import ReplayedSpace

    engine = open_database(database_url)
    t = old_database(engine)
    more_of_an_old_database(engine, t)
    with monkeypatch.context() as fixed:  # the key 0008 makes, the same in every run
        fixed.setattr(secrets, "token_hex", lambda n: "5f2c81a0")
        fixed.setattr(secrets, "token_bytes", lambda n: bytes(range(n)))
        migrate(engine, "0008")
    migrate(engine)

    meta = MetaData()
    meta.reflect(engine)
    logs, log_entries, log_tiles = meta.tables["logs"], meta.tables["log_entries"], meta.tables["log_tiles"]
    roots, rules, tiles_of = {}, {}, {}
    with engine.connect() as db:
        secret = dict(db.execute(text("SELECT name, value FROM instance_secrets WHERE name LIKE 'log_%'")).all())
        signer = Signer(secret["log_name"], bytes.fromhex(secret["log_key"]))
        assert signer.key.name == "concord-5f2c81a0"
        for log in db.execute(select(logs).order_by(logs.c.id)):
            rows = db.execute(select(log_entries).where(log_entries.c.log_id == log.id).order_by("seq")).all()
            stored = db.execute(select(log_tiles).where(log_tiles.c.log_id == log.id).order_by("number")).all()
            bodies = [entries.parse(row.body.encode("utf-8")) for row in rows]
            unlinked = [{k: v for k, v in body.items() if k not in ("seq", "prev")} for body in bodies]
            linked = entries.chain(0, entries.GENESIS_PREV, unlinked)
            assert [(row.seq, row.body.encode("utf-8"), bytes(row.leaf)) for row in rows] == linked
            assert [row.type for row in rows] == [body["type"] for body in bodies]
            frontier = merkle.Frontier()
            tiles = [tile for _, _, leaf in linked if (tile := frontier.append(leaf)) is not None]
            assert [(row.number, bytes(row.hash)) for row in stored] == list(enumerate(tiles))
            assert (log.size, log.last) == (len(rows), linked[-1][2].hex())
            assert (log.root, log.frontier) == (frontier.root().hex(), [h.hex() for h in frontier.hashes])
            leaves = [leaf for _, _, leaf in linked]
            tree = merkle.Tree(
                log.size, lambda lo, hi, leaves=leaves: leaves[lo:hi], lambda lo, hi, tiles=tiles: tiles[lo:hi]
            )  # proofs that read the stored tiles
            for index in {0, log.size // 2, log.size - 1}:
                proof = tree.inclusion_proof(index)
                assert merkle.verify_inclusion(index, log.size, leaves[index], proof, frontier.root())

            genesis = bodies[0]
            assert (genesis["format"], genesis["origin"], genesis["built"]) == (events.FORMAT, log.origin, "0008")
            assert VerifierKey.parse(genesis["key"]) == signer.key
            note = signer.sign(log.origin, log.size, frontier.root())
            assert read_checkpoint(note, VerifierKey.parse(genesis["key"])).root.hex() == log.root
            name = log.origin.split("/", 1)[1]
            roots[name], tiles_of[name] = log.root, len(tiles)
            if log.conversation_id is not None:
                state = replay(bodies)
                assert (state.size, state.key) == (log.size, genesis["key"])
                rules[name] = state.rule()
                make_rule(rules[name]["name"], rules[name]["parameters"])  # a rule the current code makes
            else:
                space = ReplayedSpace()
                for body in bodies:
                    space.apply(body)
                rules[name] = space.settings["rule"]

    assert rules == {
        "s/1": {"name": "majority", "parameters": {"threshold": "0.6"}},  # a space's own rule, as set
        "s/2": None,
        "s/3": None,
        "c/old1": {"name": "majority", "parameters": {"threshold": 0.6}},  # the rule in force: its space's
        "c/budget1": {"name": "majority", "parameters": {"threshold": 0.6}},
        "c/many": {"name": "majority", "parameters": {"threshold": 0.6}},  # its space's parent's
        "c/budget2": {"name": "mutual-veto", "parameters": {"majority": 0.5, "veto": 0.6}},  # the default
        "c/own": {"name": "concurrent-majority", "parameters": {"attribute": None, "quota": 2}},  # its own
    }
    assert tiles_of["c/many"] == 1 and sum(tiles_of.values()) == 1
    assert roots == ROOTS_0008
