"""A witness: anyone, anywhere, keeps the checkpoints a Concord instance has shown it and checks that
each new one extends the last (a consistency proof, RFC 9162 §2.1.4). A server that rewrites a log's
history, shows it shorter, or signs with another key is caught by a single witness that saw the
earlier checkpoint. No database: the state is a small JSON file, and the server is reached through a
``fetch(path) -> JSON`` callable (plain HTTP GETs in ``concord witness``)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from concord.ledger.checkpoints import CheckpointError, VerifierKey, read_checkpoint
from concord.ledger.merkle import verify_consistency

Fetch = Callable[[str], Any]


@dataclass
class Report:
    seen: int = 0
    new: int = 0
    grew: int = 0
    alarms: list[str] = field(default_factory=list)


def api_path(origin: str) -> str:
    """Where a log's proofs are, from its origin ("name/c/<conversation>" or "name/s/<space>")."""
    _, kind, owner = origin.rsplit("/", 2)
    return f"/api/conversations/{owner}/log" if kind == "c" else f"/api/spaces/{owner}/log"


def witness(fetch: Fetch, state_file: Path) -> Report:
    """Check every log the server lists against what this witness saw before, then remember the new
    checkpoints (those that passed)."""
    seen: dict[str, dict[str, Any]] = json.loads(state_file.read_text()) if state_file.is_file() else {}
    report, listed = Report(), set()
    for log in fetch("/api/logs")["logs"]:
        report.seen += 1
        origin = log["origin"]
        before = seen.get(origin)
        try:
            key = VerifierKey.parse(before["key"] if before else log["key"])
            checkpoint = read_checkpoint(log["checkpoint"], key)
        except CheckpointError as error:
            report.alarms.append(f"{origin}: {error}" + (" (the key it was first seen with)" if before else ""))
            continue
        listed.add(origin)
        if checkpoint.origin != origin:
            report.alarms.append(f"{origin}: its checkpoint is of another log, {checkpoint.origin}")
            continue
        if before is None:
            report.new += 1
        else:
            alarm = _inconsistency(fetch, origin, before, checkpoint.size, checkpoint.root)
            if alarm:
                report.alarms.append(f"{origin}: {alarm}")
                continue
            report.grew += checkpoint.size > before["size"]
        seen[origin] = {
            "key": str(key),
            "size": checkpoint.size,
            "root": checkpoint.root.hex(),
            "checkpoint": str(checkpoint),
        }
    state_file.write_text(json.dumps(seen, indent=1, sort_keys=True))
    return report


def _inconsistency(fetch: Fetch, origin: str, before: dict[str, Any], size: int, root: bytes) -> str | None:
    old_size, old_root = int(before["size"]), bytes.fromhex(before["root"])
    if size < old_size:
        return f"it now shows {size} entries; this witness saw {old_size}: history was cut (rolled back)"
    if size == old_size:
        if root != old_root:
            return f"two different logs of {size} entries (roots {_short(old_root)} and {_short(root)}): a fork"
        return None
    answer = fetch(f"{api_path(origin)}/consistency?first={old_size}&size={size}")
    proof = [bytes.fromhex(h) for h in answer["proof"]]
    if not verify_consistency(old_size, size, old_root, root, proof):
        return (
            f"its {size} entries do not extend the {old_size} this witness saw (root {_short(old_root)}): "
            "history was rewritten (a fork)"
        )
    return None


def _short(root: bytes) -> str:
    return base64.b64encode(root).decode()[:12] + "…"
