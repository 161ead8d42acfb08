"""Tallies reported by places that voted elsewhere (on paper, at a district meeting without
connectivity): a CSV of ``space,weight,agree,disagree[,population]`` rows, a header row optional."""

from __future__ import annotations

import csv
import math
from pathlib import Path

from concord.engine.decisions import Place, reported
from concord.formats.errors import InputFileError


def read_tallies(path: str | Path) -> list[Place]:
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: no such tallies file")
    places: list[Place] = []
    with open(path, newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.reader(handle), start=1):
            cells = [cell.strip() for cell in row]
            if not any(cells):
                continue
            if line == 1 and cells[0].lower() == "space":
                continue  # header
            if len(cells) not in (4, 5) or not cells[0]:
                raise InputFileError(f"{path}, line {line}: expected space,weight,agree,disagree[,population]")
            try:
                weight, agree, disagree = float(cells[1]), int(cells[2]), int(cells[3])
                population = float(cells[4]) if len(cells) == 5 and cells[4] else None
            except ValueError:
                raise InputFileError(
                    f"{path}, line {line}: weight, agree, disagree and population are numbers"
                ) from None
            if not all(math.isfinite(number) for number in (weight, population or 0.0)):
                raise InputFileError(f"{path}, line {line}: weight and population are finite numbers")
            if min(weight, agree, disagree, population or 0) < 0:
                raise InputFileError(f"{path}, line {line}: numbers cannot be negative")
            if any(p.name == cells[0] for p in places):
                raise InputFileError(f"{path}, line {line}: {cells[0]!r} is listed twice")
            places.append(reported(cells[0], agree, disagree, weight=weight, population=population))
    if not places:
        raise InputFileError(f"{path}: no places in the file")
    return places
