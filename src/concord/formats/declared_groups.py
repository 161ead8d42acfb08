"""Declared groups: a CSV that assigns participants to groups the caller knows (region, community).

Consensus and representativeness are then also computed across these groups, so a facilitator can check
that no region or community is left out, not only no opinion group.
"""

from __future__ import annotations

import csv
from pathlib import Path

from concord.formats.errors import InputFileError


def read_groups_file(path: str | Path) -> dict[int, str]:
    """Read ``participant,group`` rows (a header row is optional) into {participant id: group label}."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: no such groups file")
    groups: dict[int, str] = {}
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        for line, row in enumerate(csv.reader(handle), start=1):
            if not row or not any(cell.strip() for cell in row):
                continue
            participant = row[0].strip()
            if line == 1 and not participant.lstrip("-").isdigit():
                continue  # header
            if len(row) < 2 or not row[1].strip():
                raise InputFileError(f"{path}, line {line}: expected 'participant,group', got {row!r}")
            if not participant.lstrip("-").isdigit():
                raise InputFileError(f"{path}, line {line}: participant id must be a whole number, not {participant!r}")
            groups[int(participant)] = row[1].strip()
    if not groups:
        raise InputFileError(f"{path}: no participant is assigned a group")
    return groups
