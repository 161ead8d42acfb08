"""Schema migrations bring a database written by an older Concord up to date without losing data."""

from __future__ import annotations

from sqlalchemy import select, text

from concord.service import conversations, participation, spaces, statements
from concord.service.accounts import system_actor
from concord.store.database import migrate, open_database, session_factory
from concord.store.models import Conversation, Statement

COMMON = "We should " + "really " * 100


def test_0002_recomputes_the_duplicate_keys_that_0001_cut_at_700_characters(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'old.db'}")
    migrate(engine, "0001")
    sessions = session_factory(engine)
    actor = system_actor()
    with sessions.begin() as session:
        space = spaces.create_space(session, actor, parent_path=None, slug="old", name="Old")
        conversation = conversations.create_conversation(
            session, actor, space, conversations.ConversationSettings(topic="Long", max_statement_length=1000)
        )
        statements.add_statement(session, conversation, COMMON + "build schools", moderator=actor)
        statements.add_statement(session, conversation, "A short one", moderator=actor)
        conversation_id = conversation.id
    with engine.begin() as connection:  # what 0001's code stored: the first 700 normalised characters
        for statement_id, written in connection.execute(text("SELECT id, text FROM statements")).all():
            connection.execute(
                text("UPDATE statements SET normalized = :key WHERE id = :id"),
                {"key": statements.normalised(written)[:700], "id": statement_id},
            )

    migrate(engine)

    with sessions.begin() as session:
        keys = dict(session.execute(select(Statement.number, Statement.normalized)).all())
        assert keys == {0: statements.duplicate_key(COMMON + "build schools"), 1: "a short one"}
        assert keys[0].startswith("sha256:")
        conversation = session.get(Conversation, conversation_id)
        author = participation.join(session, conversation).participant
        statements.add_statement(session, conversation, COMMON + "build clinics", author=author)
        assert session.scalar(select(Statement.number).where(Statement.text == COMMON + "build clinics")) == 2
