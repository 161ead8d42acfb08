"""Tamper-evident logs: one per conversation (its budget's included) and one per space, their entries
and the hashes of complete runs of 256 entries; each vote event's place in its conversation's log;
which log prefix an analysis or a budget outcome was computed from; the instance's Ed25519 signing key.

The logs of an existing database are built here from what it holds: per conversation, entry 0, its
settings, its participants, statements, moderation decisions, translations and their decisions, its
vote events in the order they were stored, then its budget, projects and ballots; per space, entry 0,
the space, its proposals and the tallies reported for them. Each entry carries its row's own time; the
first entry says the log was built from the database (``"built": "0008"``). Entries are written with
log format 1 (:mod:`concord.ledger.events`, which keeps format 1 as it is).

Revision ID: 0008
Revises: 0007
"""

import secrets
from typing import Any

import sqlalchemy as sa
from alembic import op

from concord.engine.decisions import make_rule
from concord.ledger import events
from concord.ledger.checkpoints import Signer
from concord.ledger.entries import GENESIS_PREV, chain
from concord.ledger.merkle import TILE, Frontier

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

DEFAULT_RULE: dict[str, Any] = {"name": "mutual-veto", "parameters": {}}  # as concord.service.rules had it at 0008
BATCH = 20_000


def upgrade() -> None:
    op.create_table(
        "logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=300), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("space_id", sa.Integer(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("last", sa.String(length=64), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("frontier", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["space_id"], ["spaces.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("origin"),
        sa.UniqueConstraint("conversation_id"),
        sa.UniqueConstraint("space_id"),
    )
    op.create_table(
        "log_entries",
        sa.Column("log_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("leaf", sa.LargeBinary(length=32), nullable=False),
        sa.ForeignKeyConstraint(["log_id"], ["logs.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("log_id", "seq"),
    )
    op.create_index("log_entries_by_type", "log_entries", ["log_id", "type", "seq"])
    op.create_table(
        "log_tiles",
        sa.Column("log_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.ForeignKeyConstraint(["log_id"], ["logs.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("log_id", "number"),
    )
    with op.batch_alter_table("vote_events") as batch_op:
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("analyses") as batch_op:
        batch_op.add_column(sa.Column("log_size", sa.BigInteger(), nullable=False, server_default="0"))
    with op.batch_alter_table("budget_outcomes") as batch_op:
        batch_op.add_column(sa.Column("log_size", sa.BigInteger(), nullable=False, server_default="0"))

    name, seed = f"concord-{secrets.token_hex(4)}", secrets.token_bytes(32)
    op.bulk_insert(
        sa.table("instance_secrets", sa.column("name", sa.String), sa.column("value", sa.String)),
        [{"name": "log_key", "value": seed.hex()}, {"name": "log_name", "value": name}],
    )
    _Backfill(op.get_bind(), Signer(name, seed)).run()

    with op.batch_alter_table("vote_events") as batch_op:
        batch_op.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_index("vote_events_in_log_order", ["conversation_id", "seq"])


def downgrade() -> None:
    with op.batch_alter_table("vote_events") as batch_op:
        batch_op.drop_index("vote_events_in_log_order")
        batch_op.drop_column("seq")
    with op.batch_alter_table("analyses") as batch_op:
        batch_op.drop_column("log_size")
    with op.batch_alter_table("budget_outcomes") as batch_op:
        batch_op.drop_column("log_size")
    op.drop_table("log_tiles")
    op.drop_table("log_entries")
    op.drop_table("logs")
    op.execute("DELETE FROM instance_secrets WHERE name IN ('log_key', 'log_name')")


class _Backfill:
    def __init__(self, connection: sa.Connection, signer: Signer) -> None:
        self.db = connection
        self.signer = signer
        self.meta = sa.MetaData()
        self.meta.reflect(connection)
        self.t = self.meta.tables

    def rows(self, table: str, *where: Any, order: str = "id") -> list[Any]:
        t = self.t[table]
        return list(self.db.execute(sa.select(t).where(*where).order_by(t.c[order])))

    def run(self) -> None:
        spaces = {space.id: space for space in self.rows("spaces")}
        for space in spaces.values():
            self.space_log(space, spaces)
        for conversation in self.rows("conversations"):
            self.conversation_log(conversation, spaces)

    def write(self, origin: str, owner: dict[str, int], entries: list[dict[str, Any]]) -> list[int]:
        """Store a log of these entries; returns the seq of each."""
        logs = self.t["logs"]
        log_id = self.db.execute(
            logs.insert()
            .values(origin=origin, size=0, last=GENESIS_PREV, root="", frontier=[], **owner)
            .returning(logs.c.id)
        ).scalar_one()
        frontier, rows, tiles, last = Frontier(), [], [], GENESIS_PREV
        for seq, data, leaf in chain(0, GENESIS_PREV, entries):
            rows.append(
                {"log_id": log_id, "seq": seq, "type": entries[seq]["type"], "body": data.decode(), "leaf": leaf}
            )
            if (tile := frontier.append(leaf)) is not None:
                tiles.append({"log_id": log_id, "number": (seq + 1) // TILE - 1, "hash": tile})
            last = leaf.hex()
        for start in range(0, len(rows), BATCH):
            self.db.execute(self.t["log_entries"].insert(), rows[start : start + BATCH])
        if tiles:
            self.db.execute(self.t["log_tiles"].insert(), tiles)
        self.db.execute(
            logs.update()
            .where(logs.c.id == log_id)
            .values(
                size=len(rows),
                last=last,
                root=frontier.root().hex(),
                frontier=[h.hex() for h in frontier.hashes],
            )
        )
        return [row["seq"] for row in rows]

    def genesis(self, time: int, origin: str, **owner: str) -> dict[str, Any]:
        return {**events.log(time, origin=origin, key=str(self.signer.key), **owner), "built": "0008"}

    def space_log(self, space: Any, spaces: dict[int, Any]) -> None:
        origin = f"{self.signer.key.name}/s/{space.id}"
        entries = [
            self.genesis(space.created_ms, origin, space=space.path),
            events.space(
                space.created_ms,
                {
                    "path": space.path,
                    "parent": spaces[space.parent_id].path if space.parent_id is not None else None,
                    "name": space.name,
                    "description": space.description,
                    "language": space.language,
                    "rule": _rule(space.decision_rule),
                    "weight": events.decimal(space.weight),
                    "population": events.decimal(space.population),
                },
            ),
        ]
        for proposal in self.rows("space_proposals", self.t["space_proposals"].c.space_id == space.id):
            entries.append(
                events.proposal(proposal.created_ms, proposal.id, proposal.text, events.exact(proposal.place_rule))
            )
            tallies = self.t["reported_tallies"]
            for tally in self.rows("reported_tallies", tallies.c.proposal_id == proposal.id, order="space_id"):
                entries.append(
                    events.tally(
                        tally.reported_ms,
                        proposal.id,
                        spaces[tally.space_id].path,
                        tally.agree,
                        tally.disagree,
                        tally.note or "",
                    )
                )
        self.write(origin, {"space_id": space.id}, entries)

    def conversation_log(self, conversation: Any, spaces: dict[int, Any]) -> None:
        t = self.t
        c = conversation
        origin = f"{self.signer.key.name}/c/{c.public_id}"
        entries = [
            self.genesis(c.created_ms, origin, conversation=c.public_id, space=spaces[c.space_id].path),
            events.conversation(
                c.created_ms,
                {
                    "topic": c.topic,
                    "description": c.description,
                    "language": c.language,
                    "moderation": c.moderation,
                    "access": c.access,
                    "participants_can_write": bool(c.participants_can_write),
                    "max_statement_length": c.max_statement_length,
                    "attributes": events.exact(c.attributes or []),
                    "open": bool(c.is_open),
                    "rule": _rule(_rule_in_force(c, spaces)),
                },
            ),
        ]
        participants = self.rows("participants", t["participants"].c.conversation_id == c.id, order="number")
        number_of = {p.id: p.number for p in participants}
        entries += [events.participant(p.created_ms, p.number, events.exact(p.attributes or {})) for p in participants]
        statements = self.rows("statements", t["statements"].c.conversation_id == c.id, order="number")
        statement_number = {s.id: s.number for s in statements}
        entries += [
            events.statement(
                s.created_ms,
                s.number,
                text=s.text,
                language=s.language,
                author=number_of.get(s.author_id),
                seed=bool(s.is_seed),
                status=s.status,
                proposal=bool(s.is_proposal),
                created=s.created_ms,
            )
            for s in statements
        ]
        if statement_number:
            decisions = self.rows(
                "moderation_events", t["moderation_events"].c.statement_id.in_(list(statement_number))
            )
            entries += [
                events.moderation(d.created_ms, statement_number[d.statement_id], d.status, d.reason or "")
                for d in decisions
            ]
        translations = self.rows("translations", t["translations"].c.conversation_id == c.id)
        for tr in translations:
            by = number_of.get(tr.translator_id) if tr.translator_id is not None else None
            entries.append(
                events.translation(
                    tr.created_ms,
                    tr.id,
                    subject=tr.subject,
                    statement=statement_number.get(tr.statement_id) if tr.subject == "statement" else None,
                    language=tr.language,
                    text=tr.text,
                    original=tr.original,
                    status=tr.status,
                    by=by if by is not None else ("moderator" if tr.moderator_id is not None else None),
                )
            )
        if translations:
            decisions = self.rows(
                "translation_decisions", t["translation_decisions"].c.translation_id.in_([tr.id for tr in translations])
            )
            entries += [
                events.translation_decision(d.created_ms, d.translation_id, d.status, d.reason) for d in decisions
            ]
        vote_events = t["vote_events"]
        votes = list(
            self.db.execute(
                sa.select(
                    vote_events.c.id,
                    vote_events.c.participant_id,
                    vote_events.c.statement_id,
                    vote_events.c.value,
                    vote_events.c.created_ms,
                )
                .where(vote_events.c.conversation_id == c.id)
                .order_by(vote_events.c.id)
            )
        )
        first_vote = len(entries)
        entries += [
            events.vote(v.created_ms, number_of[v.participant_id], statement_number[v.statement_id], v.value)
            for v in votes
        ]
        entries += self.budget_entries(c, number_of)
        seqs = self.write(origin, {"conversation_id": c.id}, entries)
        updates = [{"event_id": v.id, "seq": seqs[first_vote + i]} for i, v in enumerate(votes)]
        statement = (
            vote_events.update().where(vote_events.c.id == sa.bindparam("event_id")).values(seq=sa.bindparam("seq"))
        )
        for start in range(0, len(updates), BATCH):
            self.db.execute(statement, updates[start : start + BATCH])

    def budget_entries(self, conversation: Any, number_of: dict[int, int]) -> list[dict[str, Any]]:
        t = self.t
        budgets = self.rows("budgets", t["budgets"].c.conversation_id == conversation.id)
        if not budgets:
            return []
        b = budgets[0]
        parent = None
        if b.parent_id is not None:
            parent = self.db.execute(
                sa.select(t["budgets"].c.public_id).where(t["budgets"].c.id == b.parent_id)
            ).scalar()
        entries = [
            events.budget(
                b.created_ms,
                {
                    "budget": b.public_id,
                    "name": b.name,
                    "description": b.description,
                    "amount": b.amount,
                    "currency": b.currency,
                    "ballot": events.exact(b.ballot),
                    "opens": b.opens_ms,
                    "closes": b.closes_ms,
                    "parent": parent,
                    "split": events.exact(b.split),
                    "meta": events.exact(b.meta or {}),
                },
            )
        ]
        for p in self.rows("budget_projects", t["budget_projects"].c.budget_id == b.id, order="number"):
            entries.append(
                events.project(
                    b.created_ms,
                    p.number,
                    {
                        "code": p.code,
                        "name": p.name,
                        "description": p.description,
                        "cost": p.cost,
                        "category": p.category,
                        "location": p.location,
                        "latitude": events.decimal(p.latitude),
                        "longitude": events.decimal(p.longitude),
                        "extra": events.exact(p.extra or {}),
                    },
                )
            )
        for ballot in self.rows("budget_ballots", t["budget_ballots"].c.budget_id == b.id):
            entries.append(
                events.ballot(
                    ballot.updated_ms,
                    number_of[ballot.participant_id],
                    list(ballot.projects),
                    events.exact(ballot.points),
                    ballot.voter_label,
                    events.exact(ballot.attributes or {}),
                )
            )
        return entries


def _rule_in_force(conversation: Any, spaces: dict[int, Any]) -> dict[str, Any]:
    rule = conversation.decision_rule
    space = spaces.get(conversation.space_id)
    while not rule and space is not None:
        rule = space.decision_rule
        space = spaces.get(space.parent_id) if space.parent_id is not None else None
    rule = rule or DEFAULT_RULE
    return {"name": rule["name"], "parameters": make_rule(rule["name"], rule.get("parameters")).values}


def _rule(rule: dict[str, Any] | None) -> dict[str, Any] | None:
    if not rule:
        return None
    return {"name": rule["name"], "parameters": events.exact(rule.get("parameters") or {})}
