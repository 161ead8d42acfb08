"""Tamper-evident logs: one per conversation (its budget's included) and one per space, their entries
and the hashes of complete runs of 256 entries; each vote event's place in its conversation's log;
which log prefix an analysis or a budget outcome was computed from; the instance's Ed25519 signing key.

The logs of an existing database are built here from what it holds: per conversation, entry 0, its
settings, its participants, statements, moderation decisions, translations and their decisions, its
vote events in the order they were stored, then its budget, projects and ballots; per space, entry 0,
the space, its proposals and the tallies reported for them. Each entry carries its row's own time; the
first entry says the log was built from the database (``"built": "0008"``). Entries are written with
log format 1.

Like every migration, this one imports nothing of Concord: what it needs of the log (format 1's entry
types, canonical JSON and the hash chain, the Merkle frontier and its tiles, the verifier key of the
signing key) and of the decision rules (their parameters and defaults) is frozen below, as
``concord.ledger`` and ``concord.engine.decisions`` had it, so later changes there leave what this
migration writes as it is. tests/test_migrations.py checks the logs it builds against the current code.

Revision ID: 0008
Revises: 0007
"""

import base64
import hashlib
import json
import math
import secrets
from typing import Any

import sqlalchemy as sa
from alembic import op
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

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
    _Backfill(op.get_bind(), name, _verifier_key(name, seed)).run()

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
    def __init__(self, connection: sa.Connection, key_name: str, key: str) -> None:
        self.db = connection
        self.key_name = key_name  # the signing key's name, which begins every origin
        self.key = key  # its verifier key, which entry 0 commits
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
        frontier, rows, tiles, last = _Frontier(), [], [], GENESIS_PREV
        for seq, data, leaf in _chain(0, GENESIS_PREV, entries):
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
        return {**Format1.log(time, origin=origin, key=self.key, **owner), "built": "0008"}

    def space_log(self, space: Any, spaces: dict[int, Any]) -> None:
        origin = f"{self.key_name}/s/{space.id}"
        entries = [
            self.genesis(space.created_ms, origin, space=space.path),
            Format1.space(
                space.created_ms,
                {
                    "path": space.path,
                    "parent": spaces[space.parent_id].path if space.parent_id is not None else None,
                    "name": space.name,
                    "description": space.description,
                    "language": space.language,
                    "rule": _rule(space.decision_rule),
                    "weight": Format1.decimal(space.weight),
                    "population": Format1.decimal(space.population),
                },
            ),
        ]
        for proposal in self.rows("space_proposals", self.t["space_proposals"].c.space_id == space.id):
            entries.append(
                Format1.proposal(proposal.created_ms, proposal.id, proposal.text, Format1.exact(proposal.place_rule))
            )
            tallies = self.t["reported_tallies"]
            for tally in self.rows("reported_tallies", tallies.c.proposal_id == proposal.id, order="space_id"):
                entries.append(
                    Format1.tally(
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
        origin = f"{self.key_name}/c/{c.public_id}"
        entries = [
            self.genesis(c.created_ms, origin, conversation=c.public_id, space=spaces[c.space_id].path),
            Format1.conversation(
                c.created_ms,
                {
                    "topic": c.topic,
                    "description": c.description,
                    "language": c.language,
                    "moderation": c.moderation,
                    "access": c.access,
                    "participants_can_write": bool(c.participants_can_write),
                    "max_statement_length": c.max_statement_length,
                    "attributes": Format1.exact(c.attributes or []),
                    "open": bool(c.is_open),
                    "rule": _rule(_rule_in_force(c, spaces)),
                },
            ),
        ]
        participants = self.rows("participants", t["participants"].c.conversation_id == c.id, order="number")
        number_of = {p.id: p.number for p in participants}
        entries += [
            Format1.participant(p.created_ms, p.number, Format1.exact(p.attributes or {})) for p in participants
        ]
        statements = self.rows("statements", t["statements"].c.conversation_id == c.id, order="number")
        statement_number = {s.id: s.number for s in statements}
        entries += [
            Format1.statement(
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
                Format1.moderation(d.created_ms, statement_number[d.statement_id], d.status, d.reason or "")
                for d in decisions
            ]
        translations = self.rows("translations", t["translations"].c.conversation_id == c.id)
        for tr in translations:
            by = number_of.get(tr.translator_id) if tr.translator_id is not None else None
            entries.append(
                Format1.translation(
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
                Format1.translation_decision(d.created_ms, d.translation_id, d.status, d.reason) for d in decisions
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
            Format1.vote(v.created_ms, number_of[v.participant_id], statement_number[v.statement_id], v.value)
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
            Format1.budget(
                b.created_ms,
                {
                    "budget": b.public_id,
                    "name": b.name,
                    "description": b.description,
                    "amount": b.amount,
                    "currency": b.currency,
                    "ballot": Format1.exact(b.ballot),
                    "opens": b.opens_ms,
                    "closes": b.closes_ms,
                    "parent": parent,
                    "split": Format1.exact(b.split),
                    "meta": Format1.exact(b.meta or {}),
                },
            )
        ]
        for p in self.rows("budget_projects", t["budget_projects"].c.budget_id == b.id, order="number"):
            entries.append(
                Format1.project(
                    b.created_ms,
                    p.number,
                    {
                        "code": p.code,
                        "name": p.name,
                        "description": p.description,
                        "cost": p.cost,
                        "category": p.category,
                        "location": p.location,
                        "latitude": Format1.decimal(p.latitude),
                        "longitude": Format1.decimal(p.longitude),
                        "extra": Format1.exact(p.extra or {}),
                    },
                )
            )
        for ballot in self.rows("budget_ballots", t["budget_ballots"].c.budget_id == b.id):
            entries.append(
                Format1.ballot(
                    ballot.updated_ms,
                    number_of[ballot.participant_id],
                    list(ballot.projects),
                    Format1.exact(ballot.points),
                    ballot.voter_label,
                    Format1.exact(ballot.attributes or {}),
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
    return {"name": rule["name"], "parameters": _rule_values(rule["name"], rule.get("parameters"))}


def _rule(rule: dict[str, Any] | None) -> dict[str, Any] | None:
    if not rule:
        return None
    return {"name": rule["name"], "parameters": Format1.exact(rule.get("parameters") or {})}


# --- Frozen: what this migration uses of concord.engine.decisions (the rules' parameters and defaults),
# concord.ledger.checkpoints (the verifier key), .entries (canonical JSON, the hash chain), .merkle (the
# frontier and its tiles) and .events (log format 1), copied as they were; never import them here.

_RULE_PARAMETERS: dict[str, dict[str, tuple[Any, float | None, float | None, type]]] = {
    # rule: {parameter: (default, low, high, kind)}, as each Rule's ``parameters`` declares them
    "majority": {"threshold": (0.5, 0.5, 1.0, float)},
    "consensus": {"threshold": (0.6, 0.5, 1.0, float)},
    "mutual-veto": {"majority": (0.5, 0.5, 1.0, float), "veto": (0.6, 0.5, 1.0, float)},
    "concurrent-majority": {"attribute": (None, None, None, str), "quota": (None, 1, 1000, int)},
    "parallel-consent": {
        "attribute": (None, None, None, str),
        "communities": (None, None, None, list),
        "overall": (0.5, 0.5, 1.0, float),
        "each": (0.5, 0.5, 1.0, float),
    },
    "weighted-majority": {
        "attribute": (None, None, None, str),
        "communities": (None, None, None, list),
        "overall": (0.6, 0.5, 1.0, float),
        "each": (0.4, 0.0, 1.0, float),
    },
}


def _rule_values(rule: str, given: dict[str, Any] | None) -> dict[str, Any]:
    """``make_rule(rule, given).values``: the given parameters, checked, with defaults for the rest."""
    if rule not in _RULE_PARAMETERS:
        raise ValueError(f"no decision rule {rule!r}: use one of {', '.join(_RULE_PARAMETERS)}")
    declared, given = _RULE_PARAMETERS[rule], given or {}
    unknown = set(given) - set(declared)
    if unknown:
        raise ValueError(f"{rule} takes no parameter {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for name, (default, low, high, kind) in declared.items():
        value = values[name] = given.get(name, default)
        if value is None:
            continue
        if kind in (int, float):
            lowest = f"{low:g}" if low is not None else "-inf"
            highest = f"{high:g}" if high is not None else "inf"
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"{rule}: {name} must be a number between {lowest} and {highest}, not {value!r}")
            if (low is not None and value < low) or (high is not None and value > high):
                raise ValueError(f"{rule}: {name} must be between {lowest} and {highest}")
        words = isinstance(value, list) and all(isinstance(word, str) for word in value)
        if (kind is str and not isinstance(value, str)) or (kind is list and not words):
            raise ValueError(f"{rule}: {name} must be {'a text' if kind is str else 'a list of texts'}, not {value!r}")
    return values


def _verifier_key(name: str, seed: bytes) -> str:
    """The signed-note verifier key (name+keyid+base64(0x01 ‖ public key)) of an Ed25519 seed."""
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    ed25519 = b"\x01"  # the signed-note signature type
    key_id = hashlib.sha256(name.encode("utf-8") + b"\n" + ed25519 + public).digest()[:4]
    return f"{name}+{key_id.hex()}+{base64.b64encode(ed25519 + public).decode('ascii')}"


GENESIS_PREV = "0" * 64
TILE_HEIGHT = 8
TILE = 1 << TILE_HEIGHT  # leaves under one stored subtree hash
EMPTY_ROOT = hashlib.sha256(b"").digest()


def _leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def _node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class _Frontier:
    """The roots of the perfect subtrees of a tree of ``size`` leaves (RFC 9162), largest first."""

    def __init__(self) -> None:
        self.size = 0
        self.hashes: list[bytes] = []

    def append(self, leaf: bytes) -> bytes | None:
        """Add one leaf hash; returns the hash of the tile this leaf completed, if it completed one."""
        completed = None
        node, height, size = leaf, 0, self.size
        while size & 1:  # each trailing one bit is a subtree of the same height to join
            node = _node_hash(self.hashes.pop(), node)
            height += 1
            size >>= 1
            if height == TILE_HEIGHT:
                completed = node
        self.hashes.append(node)
        self.size += 1
        return completed

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        root = self.hashes[-1]
        for subtree in reversed(self.hashes[:-1]):
            root = _node_hash(subtree, root)
        return root


def _canonical(value: dict[str, Any]) -> bytes:
    """The entry's bytes: RFC 8785 for integer-only JSON."""
    _check_exact(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _check_exact(value: Any) -> None:
    if isinstance(value, float):
        raise ValueError(f"a log entry holds no floating-point numbers (got {value!r}); log it as text")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"a log entry's keys are text (got {key!r})")
            _check_exact(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_exact(item)


def _chain(first_seq: int, prev: str, bodies: list[dict[str, Any]]) -> list[tuple[int, bytes, bytes]]:
    """Number and link a run of entries appended after ``prev``: (seq, bytes, leaf hash) for each."""
    linked = []
    for seq, body in enumerate(bodies, start=first_seq):
        data = _canonical({**body, "seq": seq, "prev": prev})
        leaf = _leaf_hash(data)
        linked.append((seq, data, leaf))
        prev = leaf.hex()
    return linked


Entry = dict[str, Any]


class Format1:
    """The entry types of log format 1 that this migration writes, from plain values."""

    @staticmethod
    def decimal(value: float | None) -> str | None:
        """A float as the shortest text that reads back as the same float ("0.5"), None as None."""
        return None if value is None else repr(float(value))

    @staticmethod
    def exact(value: Any) -> Any:
        """A JSON value with every float written as :meth:`decimal` text."""
        if isinstance(value, float):
            return Format1.decimal(value)
        if isinstance(value, dict):
            return {key: Format1.exact(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [Format1.exact(item) for item in value]
        return value

    @staticmethod
    def log(time: int, *, origin: str, key: str, conversation: str | None = None, space: str | None = None) -> Entry:
        entry: Entry = {"type": "log", "time": time, "format": 1, "origin": origin, "key": key}
        if conversation is not None:
            entry["conversation"] = conversation
        if space is not None:
            entry["space"] = space
        return entry

    @staticmethod
    def conversation(time: int, settings: dict[str, Any]) -> Entry:
        return {"type": "conversation", "time": time, **settings}

    @staticmethod
    def participant(time: int, number: int, attributes: dict[str, Any] | None = None) -> Entry:
        entry: Entry = {"type": "participant", "time": time, "participant": number}
        if attributes:
            entry["attributes"] = attributes
        return entry

    @staticmethod
    def statement(
        time: int,
        number: int,
        *,
        text: str,
        language: str,
        author: int | None,
        seed: bool,
        status: str,
        proposal: bool,
        created: int,
    ) -> Entry:
        return {
            "type": "statement",
            "time": time,
            "statement": number,
            "text": text,
            "language": language,
            "author": author,
            "seed": seed,
            "status": status,
            "proposal": proposal,
            "created": created,
        }

    @staticmethod
    def moderation(time: int, statement: int, status: str, reason: str) -> Entry:
        return {"type": "moderation", "time": time, "statement": statement, "status": status, "reason": reason}

    @staticmethod
    def translation(
        time: int,
        number: int,
        *,
        subject: str,
        statement: int | None,
        language: str,
        text: str,
        original: str,
        status: str,
        by: int | str | None,
    ) -> Entry:
        return {
            "type": "translation",
            "time": time,
            "translation": number,
            "subject": subject,
            "statement": statement,
            "language": language,
            "text": text,
            "original": original,
            "status": status,
            "by": by,
        }

    @staticmethod
    def translation_decision(time: int, number: int, status: str, reason: str) -> Entry:
        return {"type": "translation-decision", "time": time, "translation": number, "status": status, "reason": reason}

    @staticmethod
    def vote(time: int, participant: int, statement: int, value: int) -> Entry:
        return {"type": "vote", "time": time, "participant": participant, "statement": statement, "vote": value}

    @staticmethod
    def budget(time: int, fields: dict[str, Any]) -> Entry:
        return {"type": "budget", "time": time, **fields}

    @staticmethod
    def project(time: int, number: int, fields: dict[str, Any]) -> Entry:
        return {"type": "project", "time": time, "project": number, **fields}

    @staticmethod
    def ballot(
        time: int,
        participant: int,
        projects: list[int],
        points: list[Any] | None,
        voter: str | None,
        attributes: dict[str, Any],
    ) -> Entry:
        return {
            "type": "ballot",
            "time": time,
            "participant": participant,
            "projects": projects,
            "points": points,
            "voter": voter,
            "attributes": attributes,
        }

    @staticmethod
    def space(time: int, fields: dict[str, Any]) -> Entry:
        return {"type": "space", "time": time, **fields}

    @staticmethod
    def proposal(time: int, number: int, text: str, place_rule: dict[str, Any]) -> Entry:
        return {"type": "proposal", "time": time, "proposal": number, "text": text, "place_rule": place_rule}

    @staticmethod
    def tally(time: int, proposal: int, place: str, agree: int, disagree: int, note: str) -> Entry:
        return {
            "type": "tally",
            "time": time,
            "proposal": proposal,
            "place": place,
            "agree": agree,
            "disagree": disagree,
            "note": note,
        }
