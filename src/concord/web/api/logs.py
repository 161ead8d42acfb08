"""The tamper-evident logs: checkpoints, entries and proofs of a conversation's log or a space's, and
every checkpoint of the instance for witnesses. Read-only and public (as results are)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import PlainTextResponse, Response

from concord.service.log import views as log_views
from concord.service.log.views import MAX_ENTRIES, MAX_RECEIPTS, LogRef
from concord.web import schemas
from concord.web.api.routing import api_router
from concord.web.context import caller, runtime

router = api_router("logs")
Start = Annotated[schemas.LogPosition, Query(description="The first entry.")]
Count = Annotated[schemas.EntryCount, Query(description="How many entries at most.")]
Entry = Annotated[schemas.LogPosition, Query(description="The entry to prove.")]
Size = Annotated[
    schemas.LogSize | None, Query(description="The size of the tree to prove against (default: the log now).")
]
First = Annotated[schemas.LogSize, Query(description="The size of the earlier tree.")]


@router.get("/logs", response_model=schemas.CheckpointsOut)
def all_checkpoints(request: Request) -> dict:
    """Every log of this instance with its signed checkpoint: what `concord witness` watches."""
    return {"logs": [asdict(state) for state in log_views.all_log_states(runtime(request))]}


@router.get("/conversations/{conversation_id}/receipts", response_model=schemas.ReceiptsOut)
def receipts(
    conversation_id: str,
    request: Request,
    response: Response,
    entry: Annotated[
        list[schemas.LogPosition] | None,
        Query(
            description=f"Entries to make receipts of, whoever asks (at most {MAX_RECEIPTS}); "
            "without: the caller's votes."
        ),
    ] = None,
) -> dict:
    """A receipts file: the log's signed checkpoint and entries with their leaf hashes, newest first, to
    check anywhere (`concord verify --receipt`). Without ``entry``, the caller's votes; with it, any
    entries: the same file, so a receipt shows nobody whose vote it names."""
    if entry:
        found = log_views.receipts_for(runtime(request), conversation_id, entry)
    else:
        found = log_views.my_receipts(runtime(request), caller(request), conversation_id)
    response.headers["Content-Disposition"] = f'attachment; filename="receipts-{conversation_id}.json"'
    response.headers["Cache-Control"] = "no-store"  # whose they are stays with the voter: no cached copy
    return asdict(found)


def _space(space_id: int) -> LogRef:
    return LogRef(space=space_id)


# --- a conversation's log ---------------------------------------------------------------------------


@router.get("/conversations/{conversation_id}/log", response_model=schemas.LogOut)
def conversation_log(conversation_id: str, request: Request) -> dict:
    """The log's size and root now, with their signed checkpoint."""
    return _state(request, LogRef(conversation=conversation_id))


@router.get("/conversations/{conversation_id}/log/checkpoint", response_class=PlainTextResponse)
def conversation_checkpoint(conversation_id: str, request: Request) -> str:
    """The signed checkpoint alone, as text (the c2sp.org tlog-checkpoint format)."""
    return _checkpoint(request, LogRef(conversation=conversation_id))


@router.get("/conversations/{conversation_id}/log/entries", response_class=Response)
def conversation_entries(
    conversation_id: str, request: Request, start: Start = 0, count: Count = MAX_ENTRIES
) -> Response:
    """Entries from ``start``, one JSON object per line exactly as hashed (JSON Lines); a private
    conversation's for its moderators only."""
    return _entries(request, LogRef(conversation=conversation_id), start, count)


@router.get("/conversations/{conversation_id}/log/proof", response_model=schemas.InclusionOut)
def conversation_proof(conversation_id: str, request: Request, entry: Entry, size: Size = None) -> dict:
    """The proof that an entry is in the tree of ``size`` entries, with that tree's signed checkpoint."""
    return _proof(request, LogRef(conversation=conversation_id), entry, size)


@router.get("/conversations/{conversation_id}/log/consistency", response_model=schemas.ConsistencyOut)
def conversation_consistency(conversation_id: str, request: Request, first: First, size: Size = None) -> dict:
    """The proof that the tree of ``size`` entries extends the tree of the ``first`` entries."""
    return _consistency(request, LogRef(conversation=conversation_id), first, size)


# --- a space's log ----------------------------------------------------------------------------------


@router.get("/spaces/{space_id}/log", response_model=schemas.LogOut)
def space_log(space_id: schemas.IdInPath, request: Request) -> dict:
    """The space's log (its settings, proposals and reported tallies): size, root and checkpoint."""
    return _state(request, _space(space_id))


@router.get("/spaces/{space_id}/log/checkpoint", response_class=PlainTextResponse)
def space_checkpoint(space_id: schemas.IdInPath, request: Request) -> str:
    return _checkpoint(request, _space(space_id))


@router.get("/spaces/{space_id}/log/entries", response_class=Response)
def space_entries(
    space_id: schemas.IdInPath, request: Request, start: Start = 0, count: Count = MAX_ENTRIES
) -> Response:
    return _entries(request, _space(space_id), start, count)


@router.get("/spaces/{space_id}/log/proof", response_model=schemas.InclusionOut)
def space_proof(space_id: schemas.IdInPath, request: Request, entry: Entry, size: Size = None) -> dict:
    return _proof(request, _space(space_id), entry, size)


@router.get("/spaces/{space_id}/log/consistency", response_model=schemas.ConsistencyOut)
def space_consistency(space_id: schemas.IdInPath, request: Request, first: First, size: Size = None) -> dict:
    return _consistency(request, _space(space_id), first, size)


# --- shared by both ---------------------------------------------------------------------------------


def _state(request: Request, ref: LogRef) -> dict:
    return asdict(log_views.log_state(runtime(request), ref))


def _checkpoint(request: Request, ref: LogRef) -> str:
    return log_views.log_state(runtime(request), ref).checkpoint


def _entries(request: Request, ref: LogRef, start: int, count: int) -> Response:
    lines = log_views.log_entries(runtime(request), ref, start, count, caller(request))
    return Response("".join(line + "\n" for line in lines), media_type="application/jsonl; charset=utf-8")


def _proof(request: Request, ref: LogRef, entry: int, size: int | None) -> dict:
    return asdict(log_views.inclusion(runtime(request), ref, entry, size, caller(request)))


def _consistency(request: Request, ref: LogRef, first: int, size: int | None) -> dict:
    size, proof = log_views.consistency(runtime(request), ref, first, size)
    return {"first": first, "size": size, "proof": proof}
