"""Helpers of the JSON API tests (tests/test_api_*.py): answers checked for their status and error body,
snapshots of every table (a refused request must store nothing), anonymous participants with a
browser of their own, and a site of nested spaces with a seeded conversation."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from concord.service.participation import joining as participation
from concord.service.participation import voting
from concord.store.models import (
    AnalysisRecord,
    Conversation,
    Invitation,
    ModerationEvent,
    Participant,
    Space,
    SpaceRole,
    Statement,
    User,
    Vote,
    VoteEvent,
)
from conftest import POLIS_DATA, log_in

SMALL_CONVERSATION = POLIS_DATA / "london.youth.policing"
EXPORT_FILES = {
    "votes.csv",
    "comments.csv",
    "participants-votes.csv",
    "summary.csv",
    "translations.csv",
    "log.jsonl",
    "checkpoint.txt",
    "conversation.json",
}


# --- helpers ------------------------------------------------------------------------------------


def error_of(response, status: int, code: str | None = None, reason: str | None = None) -> dict:
    """The ``{"error": {code, message, reason}}`` body of a refused API request."""
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {response.text}"
    body = response.json()
    assert set(body) == {"error"}, body
    detail = body["error"]
    assert {"code", "message", "reason"} <= set(detail), detail
    assert isinstance(detail["message"], str) and detail["message"], detail
    if code is not None:
        assert detail["code"] == code, detail
    if reason is not None:
        assert detail["reason"] == reason, detail
    return detail


def ok(response, status: int = 200):
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {response.text}"
    return response.json() if response.content else None


def cast(answer: dict) -> dict:
    """A vote's answer without its receipt (which test_log.py checks): what was stored."""
    receipt = answer.pop("receipt")
    assert set(receipt) == {"entry", "leaf"} and len(receipt["leaf"]) == 64
    return answer


def snapshot(app) -> dict:
    """Everything a refused request must leave as it was."""
    with app.state.concord.sessions.begin() as session:

        def count(model) -> int:
            return session.scalar(select(func.count()).select_from(model))

        state = {
            model.__tablename__: count(model)
            for model in (
                Space,
                User,
                SpaceRole,
                Conversation,
                Participant,
                Statement,
                ModerationEvent,
                Invitation,
                Vote,
                VoteEvent,
                AnalysisRecord,
            )
        }
        state["invitations_used"] = session.scalar(
            select(func.count()).select_from(Invitation).where(Invitation.used.is_(True))
        )
        state["conversations_rows"] = [
            (
                c.public_id,
                c.topic,
                c.description,
                c.language,
                c.is_open,
                c.moderation,
                c.participants_can_write,
                c.access,
                c.max_statement_length,
                json.dumps(c.attributes),
                c.next_statement_number,
                c.next_participant_number,
            )
            for c in session.scalars(select(Conversation).order_by(Conversation.id))
        ]
        state["statements_rows"] = session.execute(
            select(Statement.id, Statement.status, Statement.text).order_by(Statement.id)
        ).all()
        state["participants_rows"] = [
            (p.id, p.token_hash, p.xid, json.dumps(p.attributes, sort_keys=True))
            for p in session.scalars(select(Participant).order_by(Participant.id))
        ]
        state["votes_rows"] = session.execute(
            select(Vote.participant_id, Vote.statement_id, Vote.value).order_by(Vote.participant_id, Vote.statement_id)
        ).all()
        return state


def db_id(app, public_id: str) -> int:
    with app.state.concord.sessions.begin() as session:
        return session.scalar(select(Conversation.id).where(Conversation.public_id == public_id))


def table_count(app, model, **where) -> int:
    with app.state.concord.sessions.begin() as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return session.scalar(query)


@dataclass
class Person:
    """An anonymous participant with a browser (cookie jar) of their own; by default it sends its
    token in the X-Participant-Token header, as API clients do."""

    client: TestClient
    conversation: str
    token: str | None = None
    number: int | None = None
    csrf: str | None = None

    @property
    def headers(self) -> dict:
        return {"X-Participant-Token": self.token} if self.token else {}

    def join(self, **body):
        response = self.client.post(
            f"/api/conversations/{self.conversation}/participants", json=body, headers=self.headers
        )
        if response.status_code == 201:
            data = response.json()
            self.token, self.number, self.csrf = data["token"], data["number"], data["csrf_token"]
        return response

    def vote(self, statement, vote: str = "agree"):
        return self.client.post(
            f"/api/conversations/{self.conversation}/votes",
            json={"statement": statement, "vote": vote},
            headers=self.headers,
        )

    def write(self, text):
        return self.client.post(
            f"/api/conversations/{self.conversation}/statements", json={"text": text}, headers=self.headers
        )

    def next(self) -> dict:
        return ok(self.client.get(f"/api/conversations/{self.conversation}/next", headers=self.headers))

    def me(self):
        return self.client.get(f"/api/conversations/{self.conversation}/me", headers=self.headers)


@dataclass
class Site:
    """Spaces /a, /a/b, /a/b/c and /x, made by an administrator, and a conversation in /a/b."""

    app: object
    admin: TestClient
    headers: dict
    spaces: dict[str, dict] = field(default_factory=dict)
    conversation: str = ""
    seeds: list[int] = field(default_factory=list)  # the numbers of the conversation's seeded statements

    def space(self, slug: str, parent: str | None = None, **extra) -> dict:
        body = {"slug": slug, "name": slug.upper(), "parent_id": self.spaces[parent]["id"] if parent else None, **extra}
        made = ok(self.admin.post("/api/spaces", json=body, headers=self.headers), 201)
        self.spaces[made["path"]] = made
        return made

    def new_conversation(self, path: str = "/a/b", **settings) -> str:
        body = {"topic": "How should the district spend its budget?", **settings}
        made = ok(
            self.admin.post(f"/api/spaces/{self.spaces[path]['id']}/conversations", json=body, headers=self.headers),
            201,
        )
        return made["id"]

    def seed(self, conversation: str, *texts: str) -> list[int]:
        return [
            ok(
                self.admin.post(
                    f"/api/conversations/{conversation}/statements", json={"text": text}, headers=self.headers
                ),
                201,
            )["number"]
            for text in texts
        ]

    def person(self, conversation: str | None = None, join: bool = True, **body) -> Person:
        someone = Person(TestClient(self.app), conversation or self.conversation)
        if join:
            ok(someone.join(**body), 201)
        return someone

    def moderate(self, conversation: str, number: int, status: str, reason: str = ""):
        return self.admin.post(
            f"/api/conversations/{conversation}/statements/{number}/moderation",
            json={"status": status, "reason": reason},
            headers=self.headers,
        )


SEEDS = [
    "Clean water should reach every village first",
    "Schools need more women teachers",
    "Roads between provinces must be repaired",
    "Local councils should control their own budget",
]


def small_site(app, admin: TestClient) -> Site:
    """Spaces /a and /a/b and a conversation in /a/b, on an app made with other options than ``site``'s."""
    built = Site(app, admin, log_in(admin))
    built.space("a")
    built.space("b", "/a")
    built.conversation = built.new_conversation()
    return built


def moderator_of(site: Site, path: str, username: str = "zarghuna.moderator") -> tuple[TestClient, dict]:
    other = TestClient(site.app)
    return other, log_in(other, username, admin=False, spaces=(path,))


def bulk_votes(app, public_id: str, rows: list[list[int | None]], attributes: list[dict] | None = None) -> list[int]:
    """Participants joined and votes cast through the service layer in one transaction (fast set-up
    for analyses); ``rows[i][j]`` is participant i's vote on the statement written (j + 1)-th, number
    j + 1 (None: not seen)."""
    numbers = []
    names = {1: "agree", -1: "disagree", 0: "pass"}
    with app.state.concord.sessions.begin() as session:
        conversation = session.scalar(select(Conversation).where(Conversation.public_id == public_id))
        for i, row in enumerate(rows):
            joined = participation.join(session, conversation, attributes=(attributes or [None] * len(rows))[i])
            numbers.append(joined.participant.number)
            for statement, value in enumerate(row, start=1):
                if value is not None:
                    voting.record_vote(session, conversation, joined.participant, statement, names[value])
    return numbers


def zip_folder(folder, prefix: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            if path.suffix == ".csv":
                archive.write(path, prefix + path.name)
    return buffer.getvalue()
