"""One-time invitation codes.

Through the JSON API on SQLite and on a real PostgreSQL server (each test gets a fresh database, see
``database_url`` in conftest.py); refused requests are checked to leave every table as it was.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from api_helpers import error_of, moderator_of, ok, table_count
from concord.store.models import (
    Invitation,
)

# --- invitations ----------------------------------------------------------------------------------


def test_invitations_are_for_moderators_and_codes_are_shown_once(site):
    conversation = site.new_conversation(access="invite")
    url = f"/api/conversations/{conversation}/invitations"
    issued = ok(site.admin.post(url, json={}, headers=site.headers), 201)
    assert len(issued) == 1 and len(issued[0]["code"]) == 10
    assert not set(issued[0]["code"]) & set("01OIL")  # no characters that read alike
    with site.app.state.concord.sessions.begin() as session:
        stored = session.scalars(select(Invitation.code_hash)).all()
    assert issued[0]["code"] not in stored
    error_of(TestClient(site.app).post(url, json={"count": 1}), 401)
    outsider, headers = moderator_of(site, "/x")
    error_of(outsider.post(url, json={"count": 1}, headers=headers), 403)
    error_of(outsider.get(url), 403)
    assert table_count(site.app, Invitation) == 1
    assert len(ok(site.admin.post(url, json={"count": 1000}, headers=site.headers), 201)) == 1000
