"""Moving conversations in and out in the Pol.is export format, so analysis outside Concord is always
possible: a conversation exported and imported again gives the same analysis.

Imported participants keep their Pol.is participant ids as numbers and statements their comment ids;
every vote event is kept with its time. Imported participants have no token, so nobody can vote as them.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from concord.formats.errors import InputFileError
from concord.formats.polis import Statement as ExportedStatement
from concord.formats.polis import VoteEvents, read_export
from concord.formats.polis_writer import write_export
from concord.formats.translations import TRANSLATIONS, TextRow, read_translations, text_rows, write_translations
from concord.languages import guess_language
from concord.ledger import events as ledger_events
from concord.report.contract import read_conversation_results
from concord.report.opinion_map import Placements
from concord.service.accounts.moderators import user_of
from concord.service.caller import Caller
from concord.service.clock import now_ms
from concord.service.conversations.lifecycle import (
    ConversationDetail,
    conversation_by_public_id,
    create_conversation,
    detail_of,
    require_public_record,
)
from concord.service.conversations.settings import (
    DESCRIPTION_LENGTH,
    STATEMENT_LENGTH_RANGE,
    TOPIC_LENGTH,
    ConversationSettings,
)
from concord.service.conversations.statements import DUPLICATE_KEY_LENGTH, duplicate_key
from concord.service.errors import Invalid
from concord.service.log.appending import append_all, conversation_log_id
from concord.service.log.files import CHECKPOINT_FILE, LOG_FILE, write_log
from concord.service.spaces import require_moderator, space_by_id
from concord.states import StatementStatus, Translated, TranslationStatus
from concord.store.database import read_snapshot
from concord.store.models import (
    AnalysisRecord,
    Conversation,
    Participant,
    Space,
    Statement,
    Translation,
    User,
    Vote,
    VoteEvent,
)

if TYPE_CHECKING:
    from concord.service.runtime import Runtime

# Pol.is shows unmoderated (0) statements, so they are accepted here.
STATUS_OF_MODERATED = {1: StatementStatus.ACCEPTED, 0: StatementStatus.ACCEPTED, -1: StatementStatus.REJECTED}
MODERATED_OF_STATUS = {StatementStatus.ACCEPTED: 1, StatementStatus.PENDING: 0, StatementStatus.REJECTED: -1}
MAX_UPLOAD_BYTES = 32 * 1024 * 1024  # an uploaded .zip; larger conversations go through `concord import`
MAX_UNPACKED_BYTES = 256 * 1024 * 1024  # what its files may expand to, in all
MAX_MEMBERS = 16  # entries in the archive
# What an import reads; log.jsonl and checkpoint.txt are only digested into the import's log entry.
EXPORT_FILES = {
    "votes.csv",
    "comments.csv",
    "participants-votes.csv",
    "summary.csv",
    TRANSLATIONS,
    LOG_FILE,
    CHECKPOINT_FILE,
}
UNPACK_CHUNK = 1 << 20
BATCH = 20_000


@dataclass(frozen=True)
class Imported:
    conversation: Conversation
    participants: int
    statements: int
    vote_events: int


def import_polis_folder(
    session: Session, user: User | None, space: Space, folder: str | Path, topic: str | None = None
) -> Imported:
    export = read_export(folder, keep_events=True)
    events = export.events
    assert events is not None  # kept, as asked
    texts = read_translations(Path(folder, TRANSLATIONS)) if Path(folder, TRANSLATIONS).is_file() else []
    topic = (topic or export.topic or Path(folder).name)[:TOPIC_LENGTH]
    longest = max((len(s.text) for s in export.statements.values()), default=0)
    settings = ConversationSettings(
        topic=topic,
        description=export.description[:DESCRIPTION_LENGTH],
        language=_written_in(texts) or guess_language(f"{topic} {export.description}", [space.language]) or "en",
        max_statement_length=max(ConversationSettings.max_statement_length, min(STATEMENT_LENGTH_RANGE[1], longest)),
    )
    conversation = create_conversation(session, user, space, settings)
    session.flush()
    now = now_ms()
    connection = session.connection()
    log_id = conversation_log_id(connection, conversation.id)

    participant_numbers = set(export.votes.participant_ids.tolist())
    participant_numbers |= {s.author_id for s in export.statements.values() if s.author_id is not None}
    session.execute(
        insert(Participant),
        [
            {
                "conversation_id": conversation.id,
                "number": int(number),
                "token_hash": None,
                "xid": None,
                "attributes": {},
                "created_ms": now,
            }
            for number in sorted(participant_numbers)
        ],
    )
    participant_id = dict(
        session.execute(
            select(Participant.number, Participant.id).where(Participant.conversation_id == conversation.id)
        ).all()
    )

    statement_numbers = sorted(set(export.statements) | set(export.votes.statement_ids.tolist()))
    languages = {row.comment: row.language for row in texts if row.subject == "comment" and row.original}
    seen_texts: set[str] = set()
    rows = []
    for number in statement_numbers:
        source = export.statements.get(number) or ExportedStatement(id=number, text=f"Statement {number}")
        key = duplicate_key(source.text) or f"#{number}"
        if key in seen_texts:  # Pol.is allowed exact repeats; keep them apart (the number makes it unique)
            key = f"#{number} {key}"[:DUPLICATE_KEY_LENGTH]
        seen_texts.add(key)
        rows.append(
            {
                "conversation_id": conversation.id,
                "number": int(number),
                "text": source.text,
                "language": languages.get(number)
                or guess_language(source.text, [conversation.language])
                or conversation.language,
                "normalized": key,
                "author_id": participant_id.get(source.author_id) if source.author_id is not None else None,
                "is_seed": False,
                "status": STATUS_OF_MODERATED.get(source.moderated, StatementStatus.ACCEPTED),
                "created_ms": source.timestamp or now,
            }
        )
    session.execute(insert(Statement), rows)
    counts = {"participants": len(participant_numbers), "statements": len(rows), "votes": len(events.vote)}
    number_of = {pid: number for number, pid in participant_id.items()}
    append_all(
        connection,
        log_id,
        [
            ledger_events.imported(now, "polis", _digests(folder), counts),
            *(ledger_events.participant(now, int(number), {}) for number in sorted(participant_numbers)),
            *(_statement_entry(row, number_of) for row in rows),
        ],
    )
    statement_id = dict(
        session.execute(
            select(Statement.number, Statement.id).where(Statement.conversation_id == conversation.id)
        ).all()
    )

    pid, sid = _ids_of(participant_id, events.participant), _ids_of(statement_id, events.statement)
    for start in range(0, len(events.vote), BATCH):
        stop = start + BATCH
        columns = [
            array[start:stop].tolist()
            for array in (events.participant, events.statement, events.vote, events.timestamp, pid, sid)
        ]
        seqs = append_all(
            connection,
            log_id,
            (ledger_events.vote(t, p, s, v) for p, s, v, t, _, _ in zip(*columns)),
            chunk=BATCH,
        )
        session.execute(
            insert(VoteEvent),
            [
                {
                    "conversation_id": conversation.id,
                    "participant_id": p,
                    "statement_id": s,
                    "value": v,
                    "created_ms": t,
                    "seq": seq,
                }
                for (_, _, v, t, p, s), seq in zip(zip(*columns), seqs)
            ],
        )
    matrix = export.votes
    current = [
        {
            "participant_id": int(p),
            "statement_id": int(s),
            "conversation_id": conversation.id,
            "value": int(v),
            "updated_ms": now,
        }
        for p, s, v in zip(
            _ids_of(participant_id, matrix.participant_ids[matrix.vote_rows]),
            _ids_of(statement_id, matrix.statement_ids[matrix.indices]),
            matrix.values,
        )
    ]
    for start in range(0, len(current), BATCH):
        session.execute(insert(Vote), current[start : start + BATCH])
    conversation.next_statement_number = max(statement_numbers, default=-1) + 1
    conversation.next_participant_number = max(participant_numbers, default=-1) + 1
    _import_translations(session, user, conversation, texts, statement_id, Path(folder, TRANSLATIONS))
    session.flush()
    return Imported(conversation, len(participant_numbers), len(statement_numbers), len(events.vote))


def _digests(folder: str | Path) -> dict[str, str]:
    """The SHA-256 of each export file imported, for the log's import entry."""
    return {
        name: hashlib.sha256(Path(folder, name).read_bytes()).hexdigest()
        for name in sorted(EXPORT_FILES)
        if Path(folder, name).is_file()
    }


def _statement_entry(row: dict, number_of: dict[int, int]) -> dict:
    """The log entry of a statement inserted as ``row``; ``number_of``: participant numbers by id."""
    author = number_of[row["author_id"]] if row["author_id"] is not None else None
    return ledger_events.statement(
        row["created_ms"],
        row["number"],
        text=row["text"],
        language=row["language"],
        author=author,
        seed=False,
        status=str(row["status"]),
        proposal=False,
        created=row["created_ms"],
    )


def _written_in(texts: list[TextRow]) -> str | None:
    """The language the topic (else the description) was written in, per the translations file."""
    for subject in ("topic", "description"):
        for row in texts:
            if row.subject == subject and row.original:
                return row.language
    return None


def _import_translations(
    session: Session,
    user: User | None,
    conversation: Conversation,
    texts: list[TextRow],
    statement_id: dict[int, int],
    path: Path,
) -> None:
    """The translations of a translations file, accepted as they were; each must translate a text of
    this export as it is (a comment's original row must be its comment-body)."""
    originals: dict[tuple[str, int | None], str] = {
        ("topic", None): conversation.topic,
        ("description", None): conversation.description,
    }
    texts_of = dict(
        session.execute(select(Statement.id, Statement.text).where(Statement.conversation_id == conversation.id)).all()
    )
    for number, sid in statement_id.items():
        originals["comment", number] = texts_of[sid]
    for row in texts:
        if row.subject == "comment" and row.comment not in statement_id:
            raise InputFileError(f"{path}, line {row.line}: no comment {row.comment} in comments.csv")
        if row.original and row.subject == "comment" and row.text != originals["comment", row.comment]:
            raise InputFileError(
                f"{path}, line {row.line}: the original of comment {row.comment} is not its comment-body"
            )
    stale = {
        (row.subject, row.comment) for row in texts if row.original and row.text != originals[row.subject, row.comment]
    }  # a topic given on import instead of the export's: its translations translate another text
    now = now_ms()
    rows = [
        {
            "conversation_id": conversation.id,
            "subject": Translated.STATEMENT if row.subject == "comment" else Translated(row.subject),
            "statement_id": statement_id[row.comment] if row.comment is not None else None,
            "language": row.language,
            "text": row.text,
            "original": originals[row.subject, row.comment],
            "status": TranslationStatus.ACCEPTED,
            "translator_id": None,
            "moderator_id": user.id if user is not None else None,
            "created_ms": now,
        }
        for row in texts
        if not row.original and (row.subject, row.comment) not in stale
    ]
    session.add_all(Translation(**row) for row in rows)  # through the ORM: each gets its log entry


def _ids_of(id_by_number: dict[int, int], numbers: np.ndarray) -> np.ndarray:
    """Database ids for an array of per-conversation numbers (vectorised lookup)."""
    known = np.array(sorted(id_by_number), dtype=np.int64)
    ids = np.array([id_by_number[n] for n in known.tolist()], dtype=np.int64)
    return ids[np.searchsorted(known, numbers)]


def import_polis_zip(
    session: Session, user: User | None, space: Space, data: bytes, topic: str | None = None
) -> Imported:
    """An uploaded .zip of an export folder (the files at its top level or in one folder). Only the
    export's own files are unpacked, and only within the limits: a small archive that expands to
    gigabytes (a zip bomb) is refused as soon as it passes them, whatever sizes it declares."""
    require_moderator(session, user, space)
    if len(data) > MAX_UPLOAD_BYTES:
        raise Invalid("the upload is larger than %(megabytes)s MB", field="file", megabytes=MAX_UPLOAD_BYTES // 2**20)
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except zipfile.BadZipFile:
        raise Invalid("the upload is not a .zip file of a Pol.is export") from None
    with TemporaryDirectory() as tmp, archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise Invalid(
                "the archive holds %(entries)s entries; a Pol.is export has at most %(most)s",
                field="file",
                entries=len(members),
                most=MAX_MEMBERS,
            )
        unpacked = 0
        for member in members:
            name = Path(member.filename).name
            if member.is_dir() or name not in EXPORT_FILES:
                continue
            unpacked += _unpack(archive, member, Path(tmp) / name, MAX_UNPACKED_BYTES - unpacked)
        try:
            return import_polis_folder(session, user, space, tmp, topic)
        except InputFileError as error:
            raise Invalid(str(error).replace(tmp + "/", "").replace(tmp, "the upload")) from None


def _unpack(archive: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path, allowed: int) -> int:
    """Copy one member out, counting what it really expands to; returns its size."""
    written = 0
    try:
        with archive.open(member) as source, open(target, "wb") as sink:
            while chunk := source.read(UNPACK_CHUNK):
                written += len(chunk)
                if written > allowed:
                    raise Invalid(
                        "the export is larger than %(megabytes)s MB once unpacked",
                        field="file",
                        megabytes=MAX_UNPACKED_BYTES // 2**20,
                    )
                sink.write(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, OSError) as error:
        raise Invalid(
            "%(name)s cannot be unpacked: %(error)s", field="file", name=target.name, error=str(error)
        ) from None
    return written


def export_polis_folder(session: Session, conversation: Conversation, folder: str | Path) -> list[str]:
    """Write votes.csv (every event, in log order), comments.csv, participants-votes.csv (with the latest
    analysis's groups), summary.csv, translations.csv, the conversation's log (log.jsonl) with its signed
    checkpoint (checkpoint.txt), and conversation.json (settings, the log's size and root, the latest
    results and the log prefix they are of). Call it in a :func:`read_snapshot` transaction, so the
    files and the log agree."""
    rows = session.execute(
        select(Participant.number, Statement.number, VoteEvent.value, VoteEvent.created_ms)
        .join(Participant, Participant.id == VoteEvent.participant_id)
        .join(Statement, Statement.id == VoteEvent.statement_id)
        .where(VoteEvent.conversation_id == conversation.id)
        .order_by(VoteEvent.seq)
    ).all()
    columns = np.array(rows, dtype=np.int64).reshape(-1, 4)
    events = VoteEvents(columns[:, 0], columns[:, 1], columns[:, 2], columns[:, 3])
    authors = dict(
        session.execute(
            select(Participant.id, Participant.number).where(Participant.conversation_id == conversation.id)
        ).all()
    )
    statements = [
        ExportedStatement(
            id=s.number,
            text=s.text,
            author_id=authors.get(s.author_id) if s.author_id is not None else None,
            moderated=MODERATED_OF_STATUS[s.status],
            timestamp=s.created_ms,
        )
        for s in session.scalars(select(Statement).where(Statement.conversation_id == conversation.id))
    ]
    record = session.get(AnalysisRecord, conversation.id)
    placed = None  # every participant's place and group, when the stored analysis is current
    if record is not None and record.placements is not None and read_conversation_results(record.results):
        placed = Placements.from_bytes(record.placements)
    groups = placed.groups() if placed is not None else {}
    written = write_export(
        folder, events, statements, topic=conversation.topic, description=conversation.description, groups=groups
    )
    texts = _texts_of(session, conversation)
    write_translations(Path(folder, TRANSLATIONS), texts)
    written.append(TRANSLATIONS)
    log = write_log(session, conversation.id, folder)
    written += [LOG_FILE, CHECKPOINT_FILE]
    summary = {
        "topic": conversation.topic,
        "description": conversation.description,
        "language": conversation.language,
        "space": conversation.space.path,
        "files": [*written, "conversation.json"],
        "translations": {
            "file": TRANSLATIONS,
            "languages": sorted({row.language for row in texts}),
        },
        "settings": {
            "moderation": conversation.moderation,
            "access": conversation.access,
            "participants_can_write": conversation.participants_can_write,
            "max_statement_length": conversation.max_statement_length,
            "attributes": conversation.attributes,
            "is_open": conversation.is_open,
            "closes_ms": conversation.closes_ms,
        },
        "outcome": conversation.outcome or "",
        "log": {"file": LOG_FILE, "checkpoint": CHECKPOINT_FILE, **log},
        "analysis": None
        if record is None
        else {
            "computed_ms": record.computed_ms,
            "vote_count": record.vote_count,
            "log_size": record.log_size,
            "results": record.results,
            # every participant's place on the map and group (the results carry them binned)
            "placements": placed.as_json() if placed is not None else None,
        },
    }
    Path(folder, "conversation.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    return [*written, "conversation.json"]


def _texts_of(session: Session, conversation: Conversation) -> list[TextRow]:
    """Every text of the conversation in every language: originals with the language each was
    written in, then the accepted translations of the texts as they are now."""
    statements = session.execute(
        select(Statement.number, Statement.language, Statement.text).where(Statement.conversation_id == conversation.id)
    ).all()
    accepted = session.execute(
        select(Translation.subject, Statement.number, Translation.language, Translation.text, Translation.original)
        .outerjoin(Statement, Statement.id == Translation.statement_id)
        .where(Translation.conversation_id == conversation.id, Translation.status == TranslationStatus.ACCEPTED)
    ).all()
    return text_rows(
        conversation.topic,
        conversation.description,
        conversation.language,
        [(number, language, text) for number, language, text in statements],
        [(str(subject), number, language, text, original) for subject, number, language, text, original in accepted],
    )


def export_polis_zip(session: Session, conversation: Conversation) -> bytes:
    with TemporaryDirectory() as tmp:
        names = export_polis_folder(session, conversation, tmp)
        buffer = BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in names:
                archive.write(Path(tmp) / name, f"{conversation.public_id}/{name}")
        return buffer.getvalue()


# --- use cases ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Download:
    filename: str
    media_type: str
    data: bytes


def check_import_allowed(runtime: Runtime, caller: Caller, space_id: int) -> None:
    """Refuse an import into this space before its upload is read, unless the caller moderates it."""
    with runtime.transaction() as session:
        require_moderator(session, user_of(session, caller), space_by_id(session, space_id))


def import_upload(
    runtime: Runtime, caller: Caller, space_id: int, data: bytes, topic: str | None = None
) -> ConversationDetail:
    """An uploaded Pol.is export (.zip) as a new conversation in this space, analysed at once."""
    with runtime.transaction() as session:
        space = space_by_id(session, space_id)
        imported = import_polis_zip(session, user_of(session, caller), space, data, topic)
        detail = detail_of(session, imported.conversation)
    runtime.live.analyse_now(detail.conversation.id)
    return detail


def export_download(runtime: Runtime, caller: Caller, public_id: str) -> Download:
    """The conversation in Pol.is export format with its log, checkpoint and conversation.json, as a
    .zip: public as its results are, so that anyone can verify them, unless the conversation is private
    (then for its moderators only)."""
    with runtime.transaction() as session:
        conversation_by_public_id(session, public_id)  # one past its closing time closes: the snapshot only reads
    with runtime.transaction() as session:
        read_snapshot(session)
        conversation = conversation_by_public_id(session, public_id)
        require_public_record(session, user_of(session, caller), conversation)
        return Download(f"{public_id}.zip", "application/zip", export_polis_zip(session, conversation))
