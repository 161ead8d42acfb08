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
from concord.service.translations.spaces import add_space_translation
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
DEMO_SPACE_NAME = "Demo"
DEMO_SPACE_DESCRIPTION = "A space to try Concord with a real conversation."
# The demo space's name and description in Dari and Pashto (written by the project, awaiting review by
# native speakers, as the conversation's translations are).
DEMO_SPACE_TRANSLATIONS = {
    "fa-AF": {"name": "نمایشی", "description": "فضایی برای آزمودن کانکورد با یک گفتگوی واقعی."},
    "ps": {"name": "ننداره", "description": "د یوې رښتینې خبرې اترې سره د کانکورډ د ازمویلو ځای."},
}


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
            name=DEMO_SPACE_NAME,
            description=DEMO_SPACE_DESCRIPTION,
        )
        for language, texts in DEMO_SPACE_TRANSLATIONS.items():
            for subject, text in texts.items():
                add_space_translation(session, actor, space, subject, language, text)
        imported = import_polis_folder(session, actor, space, DEMO_EXPORT)
        imported.conversation.description = DEMO_DESCRIPTION
        for po in sorted(DEMO_TRANSLATIONS.glob("*.po")):
            import_po(session, actor, imported.conversation, po.stem, po.read_bytes(), po.name)
        return imported.conversation.id
