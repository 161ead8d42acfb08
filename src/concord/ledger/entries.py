"""Log entries as bytes: one canonical JSON object per entry, chained to the entry before it.

Canonical: keys sorted, no spaces, UTF-8 without escapes beyond JSON's own, integers only (money and
weights are logged as decimal text). This is RFC 8785 (JCS) for objects without floating-point numbers,
so any language's JCS library writes the same bytes and anyone can write a verifier.

Every entry holds ``seq`` (its position, from 0), ``prev`` (the hex leaf hash of the entry before it,
64 zeros for the first), ``type`` and ``time`` (milliseconds since the Unix epoch), then what its type
says. The hash chain makes a changed entry visible from the next one; the Merkle tree over the same
leaf hashes (:mod:`.merkle`) lets one entry be proven included with a few hashes.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from concord.ledger.merkle import leaf_hash

GENESIS_PREV = "0" * 64


class EntryError(ValueError):
    """An entry that cannot be encoded (a float, a non-string key) or read back."""


def canonical(value: dict[str, Any]) -> bytes:
    """The entry's bytes: RFC 8785 for integer-only JSON."""
    _check_exact(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _check_exact(value: Any) -> None:
    if isinstance(value, float):
        raise EntryError(f"a log entry holds no floating-point numbers (got {value!r}); log it as text")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise EntryError(f"a log entry's keys are text (got {key!r})")
            _check_exact(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_exact(item)


def chain(first_seq: int, prev: str, bodies: list[dict[str, Any]]) -> list[tuple[int, bytes, bytes]]:
    """Number and link a run of entries appended after ``prev`` (the hex leaf hash of the last one, or
    :data:`GENESIS_PREV`): (seq, bytes, leaf hash) for each."""
    linked = []
    for seq, body in enumerate(bodies, start=first_seq):
        data = canonical({**body, "seq": seq, "prev": prev})
        leaf = leaf_hash(data)
        linked.append((seq, data, leaf))
        prev = leaf.hex()
    return linked


def digest(document: Any) -> str:
    """The hex SHA-256 of a JSON document that may hold floats (an analysis's results, a budget's
    report), written with sorted keys, no spaces and UTF-8; a float as the shortest text that reads back
    as the same double (Python's ``repr``, as ECMAScript writes most numbers)."""
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse(data: bytes) -> dict[str, Any]:
    """One entry read back; it must be canonical (so its hash is the one the log signed)."""
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise EntryError(f"not JSON: {error}") from None
    if not isinstance(value, dict):
        raise EntryError("not a JSON object")
    if canonical(value) != data:
        raise EntryError("not in canonical form (keys sorted, no spaces, integers only)")
    return value
