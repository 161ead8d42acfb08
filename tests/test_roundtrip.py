"""Pol.is export → Concord → Pol.is export loses nothing the analysis uses.

For each real conversation in ../shared/data/polis: import it into a fresh database, export it again,
and check that analysing the export gives exactly the analysis of the original folder (the same opinion
groups over the same participants, the same consensus scores, the same bridging intercepts). Then import
the export and export once more: the files must come out byte for byte the same (a fixed point).

Every conversation runs on SQLite; a few smaller ones also on PostgreSQL (the same code path, a
different database; each costs a few seconds there).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from concord.engine.analysis import analyze
from concord.formats.polis import read_export
from concord.service.accounts.moderators import system_actor
from concord.service.conversations.exchange import export_polis_folder, import_polis_folder
from concord.service.spaces import create_space
from concord.store.database import migrate, open_database, session_factory
from conftest import CONVERSATIONS, POLIS_DATA, analysed

POSTGRES_CONVERSATIONS = ["london.youth.policing", "brexit-consensus", "scoop-hivemind.freshwater"]

# The largest export (2,031 participants × 896 statements) took 48 s of the suite's 20 minutes here; its
# analysis is still checked against Pol.is's in test_real_conversations.
LARGEST = {"american-assembly.bowling-green"}
CASES = [pytest.param("sqlite", name, id=f"sqlite-{name}") for name in CONVERSATIONS if name not in LARGEST] + [
    pytest.param("postgresql", name, id=f"postgresql-{name}")
    for name in POSTGRES_CONVERSATIONS
    if name in CONVERSATIONS
]


def import_then_export(sessions, source: Path, target: Path, slug: str) -> Path:
    actor = system_actor()
    with sessions.begin() as session:
        space = create_space(session, actor, parent_path=None, slug=slug, name=f"Round trip {slug}")
        imported = import_polis_folder(session, actor, space, source)
        conversation = imported.conversation
    with sessions.begin() as session:
        conversation = session.merge(conversation)
        written = export_polis_folder(session, conversation, target)
    assert {"votes.csv", "comments.csv", "summary.csv", "conversation.json"} <= set(written)
    return target


@pytest.mark.parametrize("database_url, name", CASES, indirect=["database_url"])
def test_export_of_an_import_gives_the_same_analysis(database_url, name, tmp_path):
    engine = open_database(database_url)
    try:
        migrate(engine)
        sessions = session_factory(engine)
        first = import_then_export(sessions, POLIS_DATA / name, tmp_path / "first", "first")

        original_export, original = analysed(name)
        exported = read_export(first)
        again = analyze(exported.votes)

        assert np.array_equal(again.matrix.participant_ids, original.matrix.participant_ids)
        assert np.array_equal(again.matrix.statement_ids, original.matrix.statement_ids)
        assert np.array_equal(again.matrix.moderated_out, original.matrix.moderated_out)
        assert again.matrix.n_votes == original.matrix.n_votes
        assert again.groups.k == original.groups.k
        assert np.array_equal(again.groups.labels, original.groups.labels)
        for group in range(original.groups.k):
            assert np.array_equal(
                again.matrix.participant_ids[again.groups.labels == group],
                original.matrix.participant_ids[original.groups.labels == group],
            )
        assert np.array_equal(again.opinion.consensus.agree, original.opinion.consensus.agree)
        assert np.array_equal(again.opinion.consensus.disagree, original.opinion.consensus.disagree)
        assert np.array_equal(again.bridging.intercept, original.bridging.intercept)
        # Statement texts and the moderators' removals travel too.
        for number, statement in original_export.statements.items():
            assert exported.statements[number].text == statement.text
            assert (exported.statements[number].moderated == -1) == (statement.moderated == -1)

        second = import_then_export(sessions, first, tmp_path / "second", "second")
        for file in ("votes.csv", "comments.csv", "participants-votes.csv"):
            assert (second / file).read_bytes() == (first / file).read_bytes(), f"{file} changed on a second round"
    finally:
        engine.dispose()
