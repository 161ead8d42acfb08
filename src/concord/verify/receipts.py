"""Checking vote receipts: that each vote's entry is in a signed checkpoint of its conversation's log
(an inclusion proof, RFC 9162 §2.1.3), with the key the receipt was given with. The proof comes from
the server (``fetch``) or from a file saved earlier; either way nothing of the server is trusted but
the arithmetic.

A receipt is an entry's number and its leaf hash, which anyone can compute from the public log for any
entry (:func:`receipts_from_log`). So it proves inclusion to the voter who knows the entry is theirs,
and nothing to anyone else about who cast it: a voter pressed to show how they voted can hand over a
receipt for another voter's entry, which checks exactly like their own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from concord.formats.errors import InputFileError
from concord.ledger.checkpoints import CheckpointError, VerifierKey, read_checkpoint
from concord.ledger.merkle import leaf_hash, verify_inclusion
from concord.verify.witness import api_path


@dataclass(frozen=True)
class ReceiptCheck:
    entry: int
    included: bool
    size: int  # of the checkpoint it was checked against
    problem: str = ""


def receipts_from_log(log: dict[str, Any], bodies: dict[int, str]) -> dict[str, Any]:
    """A receipts file made from public data alone: the log's state (``GET …/log``) and the entries it
    names, by number, as ``…/log/entries`` gives them. It is the file the server gives a voter of their
    own votes when the entries are theirs, newest first."""
    ordered = sorted(bodies, reverse=True)
    return {"log": log, "receipts": [{"entry": n, "leaf": leaf_hash(bodies[n].encode("utf-8")).hex()} for n in ordered]}


def receipts_in(document: Any) -> tuple[str, str, list[dict[str, Any]]]:
    """The log (origin), its key and the receipts of a receipts file (what the receipts page and
    ``GET …/receipts`` give)."""
    try:
        log, receipts = document["log"], document["receipts"]
        origin, key = str(log["origin"]), str(log["key"])
        checked = [{"entry": int(r["entry"]), "leaf": str(r["leaf"])} for r in receipts]
    except (KeyError, TypeError, ValueError):
        raise InputFileError('not a receipts file: expected {"log": {"origin", "key"}, "receipts": [...]}') from None
    return origin, key, checked


def check_receipt(receipt: dict[str, Any], key: str, proof: dict[str, Any]) -> ReceiptCheck:
    """Is the receipt's entry in the checkpoint ``proof`` carries, signed with ``key``?"""
    entry = receipt["entry"]
    try:
        checkpoint = read_checkpoint(proof["checkpoint"], VerifierKey.parse(key))
    except CheckpointError as error:
        return ReceiptCheck(entry, False, 0, str(error))
    size = checkpoint.size
    if int(proof["entry"]) != entry or int(proof["size"]) != size:
        return ReceiptCheck(entry, False, size, "the proof is of another entry or another checkpoint")
    leaf = bytes.fromhex(receipt["leaf"])
    # A private conversation's proof leaves its entry out: the proof from the receipt's leaf still holds.
    if proof.get("body") is not None and leaf_hash(proof["body"].encode("utf-8")) != leaf:
        return ReceiptCheck(entry, False, size, "the log holds another entry at this place than the one voted")
    path = [bytes.fromhex(h) for h in proof["proof"]]
    if not verify_inclusion(entry, size, leaf, path, checkpoint.root):
        return ReceiptCheck(entry, False, size, "the proof does not lead to the signed root: the entry is not in it")
    return ReceiptCheck(entry, True, size)


def check_receipts(document: Any, fetch: Callable[[str], Any]) -> list[ReceiptCheck]:
    """Every receipt of a receipts file, against the log's checkpoint now."""
    origin, key, receipts = receipts_in(document)
    return [check_receipt(r, key, fetch(f"{api_path(origin)}/proof?entry={r['entry']}")) for r in receipts]
