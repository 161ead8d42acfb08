"""Reading the logs: signed checkpoints, entries, and the proofs that let anyone check an entry is in a
checkpoint or that a later checkpoint extends an earlier one (:mod:`concord.ledger.merkle`). A log is
as public as its conversation's results (or its space): anyone with the link may read and check it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from concord.ledger.merkle import Tree
from concord.service.accounts.moderators import user_of
from concord.service.caller import Caller
from concord.service.conversations.lifecycle import conversation_by_public_id, record_is_public, require_public_record
from concord.service.conversations.settings import ConversationRecord
from concord.service.conversations.wordings import Wordings, wordings
from concord.service.errors import Invalid, NotFound
from concord.service.log.appending import signer
from concord.service.participation.joining import find_participant
from concord.service.spaces import space_by_id
from concord.store.models import (
    Log,
    LogEntry,
    LogTile,
    Participant,
    Statement,
    VoteEvent,
    being_imported,
)

if TYPE_CHECKING:
    from concord.service.runtime import Runtime

MAX_ENTRIES = 10_000  # entries per page of a log


@dataclass(frozen=True)
class LogRef:
    """Which log: a conversation's (by public id) or a space's (by id)."""

    conversation: str | None = None
    space: int | None = None


@dataclass(frozen=True)
class LogState:
    origin: str
    size: int
    root: str  # hex
    key: str  # the verifier key of the log's checkpoints (committed in entry 0)
    checkpoint: str  # signed note


@dataclass(frozen=True)
class Inclusion:
    entry: int
    size: int
    leaf: str
    body: str | None  # the entry, as hashed (None: a private conversation's, to someone not moderating it)
    proof: list[str]
    checkpoint: str  # the signed checkpoint of the tree of ``size`` entries


def _log(session: Session, ref: LogRef) -> Log:
    if ref.conversation is not None:
        owner = conversation_by_public_id(session, ref.conversation)
        found = session.scalar(select(Log).where(Log.conversation_id == owner.id))
    else:
        space = space_by_id(session, ref.space if ref.space is not None else -1)
        found = session.scalar(select(Log).where(Log.space_id == space.id))
    if found is None:  # every conversation and space has one since migration 0008
        raise NotFound("this log does not exist")
    return found


def _tree(session: Session, log: Log, size: int) -> Tree:
    def leaves(lo: int, hi: int) -> list[bytes]:
        return list(
            session.scalars(
                select(LogEntry.leaf)
                .where(LogEntry.log_id == log.id, LogEntry.seq >= lo, LogEntry.seq < hi)
                .order_by(LogEntry.seq)
            )
        )

    def tiles(lo: int, hi: int) -> list[bytes]:
        return list(
            session.scalars(
                select(LogTile.hash)
                .where(LogTile.log_id == log.id, LogTile.number >= lo, LogTile.number < hi)
                .order_by(LogTile.number)
            )
        )

    return Tree(size, leaves, tiles)


def _state(session: Session, log: Log) -> LogState:
    sign = signer(session)
    checkpoint = sign.sign(log.origin, log.size, bytes.fromhex(log.root))
    return LogState(log.origin, log.size, log.root, str(sign.key), checkpoint)


def _size(log: Log, size: int | None) -> int:
    if size is None:
        return log.size
    if not 1 <= size <= log.size:
        raise Invalid("the log has %(size)s entries: ask for a size from 1 to that", field="size", size=log.size)
    return size


def _checkpoint_at(session: Session, log: Log, size: int, tree: Tree) -> str:
    root = bytes.fromhex(log.root) if size == log.size else tree.root()
    return signer(session).sign(log.origin, size, root)


def conversation_log_state(session: Session, conversation_id: int) -> LogState:
    """A conversation's log now, in the caller's transaction (for pages that show it beside results)."""
    return _state(session, session.scalars(select(Log).where(Log.conversation_id == conversation_id)).one())


def log_state(runtime: Runtime, ref: LogRef) -> LogState:
    """The log's size and root now, with its signed checkpoint."""
    with runtime.transaction() as session:
        return _state(session, _log(session, ref))


def all_log_states(runtime: Runtime) -> list[LogState]:
    """Every log of this instance with its checkpoint: what a witness watches."""
    with runtime.transaction() as session:
        shown = select(Log).where(Log.conversation_id.is_(None) | ~being_imported(Log.conversation_id))
        return [_state(session, log) for log in session.scalars(shown.order_by(Log.id))]


def _record_is_public(session: Session, ref: LogRef, caller: Caller | None) -> bool:
    """A private conversation's entries are for its moderators (a space's log is always public)."""
    if ref.conversation is None:
        return True
    conversation = conversation_by_public_id(session, ref.conversation)
    return record_is_public(session, user_of(session, caller) if caller is not None else None, conversation)


def log_entries(
    runtime: Runtime, ref: LogRef, start: int = 0, count: int = MAX_ENTRIES, caller: Caller | None = None
) -> list[str]:
    """Entries ``start`` … ``start + count - 1`` (fewer at the end of the log), each as hashed; those of
    a private conversation for its moderators only."""
    if start < 0 or not 1 <= count <= MAX_ENTRIES:
        raise Invalid(
            "ask for entries from 0, at most %(most)s at a time", field="start" if start < 0 else "count",
            most=MAX_ENTRIES,
        )  # fmt: skip
    with runtime.transaction() as session:
        log = _log(session, ref)
        if ref.conversation is not None:  # a space's log is always public
            conversation = conversation_by_public_id(session, ref.conversation)
            require_public_record(session, user_of(session, caller) if caller else None, conversation)
        return list(
            session.scalars(
                select(LogEntry.body)
                .where(LogEntry.log_id == log.id, LogEntry.seq >= start, LogEntry.seq < start + count)
                .order_by(LogEntry.seq)
            )
        )


def inclusion(
    runtime: Runtime, ref: LogRef, entry: int, size: int | None = None, caller: Caller | None = None
) -> Inclusion:
    """The proof that entry ``entry`` is in the log's tree of ``size`` entries (by default: now). The
    proof is hashes only; the entry itself (``body``) is left out of a private conversation's, but for
    its moderators: a receipt's holder has its leaf hash, which is what the proof leads from."""
    with runtime.transaction() as session:
        log = _log(session, ref)
        size = _size(log, size)
        if not 0 <= entry < size:
            raise NotFound("no entry %(entry)s in the first %(size)s entries of this log", entry=entry, size=size)
        row = session.execute(
            select(LogEntry.leaf, LogEntry.body).where(LogEntry.log_id == log.id, LogEntry.seq == entry)
        ).one()
        tree = _tree(session, log, size)
        proof = [h.hex() for h in tree.inclusion_proof(entry)]
        body = row.body if _record_is_public(session, ref, caller) else None
        return Inclusion(entry, size, row.leaf.hex(), body, proof, _checkpoint_at(session, log, size, tree))


def consistency(runtime: Runtime, ref: LogRef, first: int, size: int | None = None) -> tuple[int, list[str]]:
    """The proof that the log's tree of ``size`` entries (by default: now) extends its tree of ``first``
    entries; returns the size and the proof."""
    with runtime.transaction() as session:
        log = _log(session, ref)
        size = _size(log, size)
        if not 1 <= first <= size:
            raise Invalid("ask for a first size from 1 to %(size)s", field="first", size=size)
        return size, [h.hex() for h in _tree(session, log, size).consistency_proof(first)]


MAX_RECEIPTS = 1000  # entries in one receipts file made for chosen entries


@dataclass(frozen=True)
class Receipt:
    """What a receipts file holds of a vote: its entry and that entry's leaf hash, nothing else."""

    entry: int
    leaf: str


@dataclass(frozen=True)
class Receipts:
    """A receipts file: the log (its state and signed checkpoint when the file was made) and entries
    with their leaf hashes, newest first. It says neither whose votes they are nor how they went, and
    anyone can have the same file made for any entries (:func:`receipts_for`), so holding one proves
    nothing about who cast them: only the voter knows which entries are theirs."""

    log: LogState
    receipts: list[Receipt]


@dataclass(frozen=True)
class VoteReceipt:
    """One of a participant's own votes, as their receipts page shows it to them."""

    statement: int
    vote: int
    time_ms: int
    entry: int
    leaf: str


def _votes_of(session: Session, log: Log, participant: Participant) -> list[VoteReceipt]:
    rows = session.execute(
        select(Statement.number, VoteEvent.value, VoteEvent.created_ms, VoteEvent.seq, LogEntry.leaf)
        .join(Statement, Statement.id == VoteEvent.statement_id)
        .join(LogEntry, (LogEntry.log_id == log.id) & (LogEntry.seq == VoteEvent.seq))
        .where(VoteEvent.participant_id == participant.id)
        .order_by(VoteEvent.seq.desc())
    ).all()
    return [VoteReceipt(number, value, time, seq, leaf.hex()) for number, value, time, seq, leaf in rows]


def my_receipts(runtime: Runtime, caller: Caller, public_id: str) -> Receipts:
    """The caller's votes in this conversation as a receipts file: exactly what :func:`receipts_for`
    gives anyone for the same entries."""
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        log = _log(session, LogRef(conversation=public_id))
        participant = find_participant(session, conversation, caller)
        mine = _votes_of(session, log, participant) if participant is not None else []
        return Receipts(_state(session, log), [Receipt(vote.entry, vote.leaf) for vote in mine])


def receipts_for(runtime: Runtime, public_id: str, entries: list[int]) -> Receipts:
    """A receipts file for any entries of the conversation's log, for whoever asks: the same file a voter
    downloads of their own votes when the entries are theirs. So a receipt shows nobody how its holder
    voted, and a voter pressed to show a receipt can hand over one of someone else's entry (leaf hashes
    are public, even a private conversation's: they are what its proofs lead from)."""
    if not 1 <= len(entries) <= MAX_RECEIPTS:
        raise Invalid("ask for receipts of 1 to %(most)s entries", field="entry", most=MAX_RECEIPTS)
    with runtime.transaction() as session:
        log = _log(session, LogRef(conversation=public_id))
        outside = [entry for entry in entries if not 0 <= entry < log.size]
        if outside:
            raise NotFound("no entry %(entry)s in the first %(size)s entries of this log", entry=outside[0],
                           size=log.size)  # fmt: skip
        wanted = sorted(set(entries), reverse=True)
        leaves = dict(
            session.execute(
                select(LogEntry.seq, LogEntry.leaf).where(LogEntry.log_id == log.id, LogEntry.seq.in_(wanted))
            ).all()
        )
        return Receipts(_state(session, log), [Receipt(entry, leaves[entry].hex()) for entry in wanted])


@dataclass(frozen=True)
class ReaderReceipts:
    conversation: ConversationRecord
    wordings: Wordings
    receipts: list[VoteReceipt]
    known: bool = False  # this device is a participant of the conversation (it can forget them)


def reader_receipts(runtime: Runtime, caller: Caller, public_id: str, reader: str | None = "en") -> ReaderReceipts:
    """The receipts page: the reader's votes with their entries (shown to them, on their device, but
    never in the receipts file), and the conversation's texts (``reader``: as in :func:`wordings`)."""
    with runtime.transaction() as session:
        conversation = conversation_by_public_id(session, public_id)
        log = _log(session, LogRef(conversation=public_id))
        participant = find_participant(session, conversation, caller)
        mine = _votes_of(session, log, participant) if participant is not None else []
        texts = wordings(session, conversation, reader, [vote.statement for vote in mine])  # each vote's text
        return ReaderReceipts(ConversationRecord.of(conversation), texts, mine, participant is not None)
