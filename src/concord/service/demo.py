"""The living example a new install starts with: a demo space holding a real conversation (shipped in
``concord/demo`` with its CC BY 4.0 attribution), open for anyone to join and vote."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from concord.service.accounts.moderators import system_actor
from concord.service.conversations.exchange import import_polis_folder
from concord.service.spaces import create_space
from concord.service.translations.files import import_po
from concord.store.models import Space

DEMO_EXPORT = Path(__file__).resolve().parents[1] / "demo" / "scoop-hivemind.taxes"
# Dari and Pashto translations of its topic, description and every shown statement (written by the
# project, awaiting review by native speakers; see demo/ATTRIBUTION.md), as PO files a translator edits.
DEMO_TRANSLATIONS = DEMO_EXPORT.parent / "translations"
# Short, so that the vote card is seen without scrolling on a phone; the export's own description
# (Markdown, and written when the original conversation closed) is not shown.
DEMO_DESCRIPTION = (
    "A real conversation about taxes in New Zealand (2018), from the Computational Democracy Project's open "
    "data (CC BY 4.0). Vote on its statements: your votes join those already cast."
)


def ensure_demo(sessions: sessionmaker) -> int | None:
    """On an empty database, create the demo space and conversation; return its conversation id."""
    with sessions.begin() as session:
        if session.scalar(select(func.count()).select_from(Space)):
            return None
        actor = system_actor()
        space = create_space(
            session,
            actor,
            parent_path=None,
            slug="demo",
            name="Demo",
            description="A space to try Concord with a real conversation.",
        )
        imported = import_polis_folder(session, actor, space, DEMO_EXPORT)
        imported.conversation.description = DEMO_DESCRIPTION
        for po in sorted(DEMO_TRANSLATIONS.glob("*.po")):
            import_po(session, actor, imported.conversation, po.stem, po.read_bytes(), po.name)
        return imported.conversation.id
