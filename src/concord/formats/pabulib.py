"""pabulib ``.pb`` files (pabulib.org; ``../shared/docs/anchors.md`` §3.3): a participatory budget in
three ``;``-separated sections, each a line ``META``, ``PROJECTS`` or ``VOTES`` followed by its header
row. Read into what the file says, exactly (every field kept as its text, in its order, so writing it
back loses nothing), checked with the line of the first problem; and turned into an election to decide.
A big file is read a ballot at a time (:class:`PabulibStream`: an import of 1.3 million ballots, whose
cells kept as lists would take gigabytes); :func:`parse_pabulib` keeps every ballot of the same reading.

META is ``key;value``: ``budget`` and ``vote_type`` are required (approval, choose-1, cumulative,
ordinal or scoring), ``num_projects`` and ``num_votes`` must match when given, and the ballot limits
(``min_length``, ``max_length``, ``min_sum_cost``, ``max_sum_cost``, ``max_sum_points``) are enforced —
or, reading a past election's record as cast (``strict=False``), each ballot breaking them is noted with
its line and counted as cast: a real Warsaw 2018 file holds ballots over its own ``max_sum_cost``.
PROJECTS needs ``project_id`` and a positive ``cost``; VOTES needs ``voter_id`` and ``vote`` (project
ids separated by commas, in rank order for ordinal ballots), and ``points`` beside it for cumulative and
scoring ballots; other columns (``age``, ``sex``, ``district`` …) are the voters' attributes. The
election decided (:meth:`PabulibFile.election`) carries the points of cumulative and scoring ballots
and the ranks of ordinal ones, which decide it (:mod:`~concord.engine.budgets.equal_shares_utilities`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from concord.engine.budgets.election import Election, Project, election_of
from concord.formats.errors import InputFileError

VOTE_TYPES = ("approval", "choose-1", "cumulative", "ordinal", "scoring")
SECTIONS = ("meta", "projects", "votes")
MAX_BYTES = 256 * 1024 * 1024
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE](?P<exponent>[+-]?[0-9]+))?")
MOST_CHARACTERS = 40  # of a number's text: a cent of a quadrillion needs 20
MOST_EXPONENT = 40  # 1e40 is beyond any budget; 1e1000000 would take seconds to convert, 1e10000000 minutes
WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")  # a count: fits any integer column, in ASCII digits only


@dataclass
class PabulibFile:
    """A ``.pb`` file as written: every field as text, in order."""

    meta: dict[str, str] = field(default_factory=dict)
    project_columns: list[str] = field(default_factory=list)
    projects: list[list[str]] = field(default_factory=list)
    vote_columns: list[str] = field(default_factory=list)
    votes: list[list[str]] = field(default_factory=list)
    meta_header: list[str] = field(default_factory=lambda: ["key", "value"])
    # Each ballot's project ids, as read (so that deciding does not split every vote again).
    listed: list[list[str]] | None = field(default=None, compare=False, repr=False)
    # Read with strict=False: each ballot that breaks the file's own limits, as "line N: what".
    rule_breaks: list[str] = field(default_factory=list, compare=False, repr=False)

    @property
    def vote_type(self) -> str:
        return self.meta.get("vote_type", "approval")

    def column(self, rows: list[list[str]], columns: list[str], name: str) -> list[str]:
        at = columns.index(name)
        return [row[at] for row in rows]

    def election(self) -> Election:
        """The election to decide: the budget, the projects in the file's order, and each voter's
        listed projects; with cumulative and scoring ballots each one's points, with ordinal ballots
        each one's rank (1 the first), as the file gives them."""
        ids = self.column(self.projects, self.project_columns, "project_id")
        costs = [_number(cost) for cost in self.column(self.projects, self.project_columns, "cost")]
        position = {project: index for index, project in enumerate(ids)}
        lists = self.listed or [_ids(vote) for vote in self.column(self.votes, self.vote_columns, "vote")]
        budget = _number(self.meta["budget"])
        projects = tuple(Project(project, cost) for project, cost in zip(ids, costs))
        chosen = [[position[p] for p in listed] for listed in lists]
        return election_of(budget, projects, chosen, self.vote_type, self._points(lists))

    def _points(self, lists: list[list[str]]) -> list[list[Fraction]] | None:
        """Each ballot's points, where the ballots give them."""
        if self.vote_type not in ("cumulative", "scoring"):
            return None
        at = self.vote_columns.index("points") if "points" in self.vote_columns else None
        given = [
            [_number(part) for part in row[at].split(",") if part.strip()] if at is not None else []
            for row in self.votes
        ]
        if len(given) != len(lists) or any(len(g) != len(listed) for g, listed in zip(given, lists)):
            raise InputFileError("the points of a ballot do not match its projects")
        return given

    def voter_attributes(self) -> dict[str, list[str | None]]:
        """The voters' attributes (every VOTES column but the ballot's own), "" and "none" as unknown."""
        found = {}
        for at, name in enumerate(self.vote_columns):
            if name in ("voter_id", "vote", "points"):
                continue
            found[name] = [None if row[at].strip().lower() in ("", "none") else row[at] for row in self.votes]
        return found


def read_pabulib(path: str | Path, *, strict: bool = True) -> PabulibFile:
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: no such .pb file")
    if path.stat().st_size > MAX_BYTES:
        raise InputFileError(f"{path}: larger than {MAX_BYTES // 2**20} MB")
    return parse_pabulib(path.read_bytes(), str(path), strict=strict)


def parse_pabulib(data: bytes, name: str, *, strict: bool = True) -> PabulibFile:
    """A ``.pb`` file's content, checked; :class:`InputFileError` names the line of the first problem.
    Not ``strict``, a ballot over the file's own limits is kept and noted in ``rule_breaks``."""
    votes: list[list[str]] = []
    listed: list[list[str]] = []

    def keep(cells: list[str], chosen: list[str]) -> None:
        votes.append(cells)
        listed.append(chosen)

    parsed = PabulibStream(data, name, strict=strict).check(keep)
    parsed.votes, parsed.listed = votes, listed
    return parsed


def _require(cells: list[str], names: tuple[str, ...], file: str, line: int, section: str) -> None:
    missing = [column for column in names if column not in cells]
    if missing:
        raise InputFileError(f"{file}, line {line}: the {section} header needs {' and '.join(missing)}")


def _check_width(cells: list[str], columns: list[str], file: str, line: int) -> None:
    if len(cells) != len(columns):
        raise InputFileError(f"{file}, line {line}: {len(cells)} fields where the header has {len(columns)}")


def _check_meta(key: str, value: str, file: str, line: int) -> None:
    if key == "budget" and _number(value, file, line, "the budget") <= 0:
        raise InputFileError(f"{file}, line {line}: the budget must be more than 0, not {value}")
    if key == "vote_type" and value not in VOTE_TYPES:
        raise InputFileError(f"{file}, line {line}: vote_type must be one of {', '.join(VOTE_TYPES)}, not {value!r}")
    if key in ("num_projects", "num_votes", "min_length", "max_length") and not WHOLE_NUMBER.fullmatch(value):
        raise InputFileError(f"{file}, line {line}: {key} must be a whole number, not {value!r}")
    if key in ("min_sum_cost", "max_sum_cost", "min_points", "max_points", "min_sum_points", "max_sum_points"):
        _number(value, file, line, key)


def _check_ballot(
    parsed: PabulibFile, cells: list[str], projects: dict[str, Fraction], file: str, line: int, strict: bool = True
) -> list[str]:
    """The ballot's project ids, once checked."""
    if "budget" not in parsed.meta:
        raise InputFileError(f"{file}, line {line}: META has no budget")
    chosen = _ids(cells[parsed.vote_columns.index("vote")])
    for project in chosen:
        if project not in projects:
            raise InputFileError(f"{file}, line {line}: a vote for project {project}, which is not in PROJECTS")
    if len(set(chosen)) != len(chosen):
        raise InputFileError(f"{file}, line {line}: a ballot lists a project twice")
    meta, vote_type = parsed.meta, parsed.vote_type
    if vote_type == "choose-1" and len(chosen) > 1:
        raise InputFileError(f"{file}, line {line}: a choose-1 ballot lists {len(chosen)} projects")
    points: list[Fraction] = []
    if vote_type in ("cumulative", "scoring"):
        if "points" not in parsed.vote_columns:
            raise InputFileError(f"{file}, line {line}: {vote_type} ballots need a points column")
        written = [part.strip() for part in cells[parsed.vote_columns.index("points")].split(",") if part.strip()]
        if len(written) != len(chosen):
            raise InputFileError(f"{file}, line {line}: {len(chosen)} projects but {len(written)} points")
        points = [_number(value, file, line, "points") for value in written]
        if any(value < 0 for value in points):
            raise InputFileError(f"{file}, line {line}: points cannot be negative")
    for broken in _limits_broken(meta, chosen, projects, points):
        if strict:
            raise InputFileError(f"{file}, line {line}: {broken}")
        parsed.rule_breaks.append(f"line {line}: {broken}")
    return chosen


def _limits_broken(
    meta: dict[str, str], chosen: list[str], projects: dict[str, Fraction], points: list[Fraction]
) -> Iterator[str]:
    """What a ballot breaks of the limits the file's META sets for ballots."""
    if "max_length" in meta and len(chosen) > int(meta["max_length"]):
        yield f"the ballot lists {len(chosen)} projects, more than max_length {meta['max_length']}"
    if "min_length" in meta and len(chosen) < int(meta["min_length"]):
        yield f"the ballot lists {len(chosen)} projects, fewer than min_length {meta['min_length']}"
    if "max_sum_cost" in meta or "min_sum_cost" in meta:
        total = sum((projects[p] for p in chosen), Fraction(0))
        if "max_sum_cost" in meta and total > _number(meta["max_sum_cost"]):
            yield f"the ballot's projects cost {total}, over max_sum_cost {meta['max_sum_cost']}"
        if "min_sum_cost" in meta and total < _number(meta["min_sum_cost"]):
            yield f"the ballot's projects cost {total}, under min_sum_cost {meta['min_sum_cost']}"
    if points and "max_sum_points" in meta and sum(points) > _number(meta["max_sum_points"]):
        yield f"{sum(points)} points, over max_sum_points {meta['max_sum_points']}"


def _ids(vote: str) -> list[str]:
    return [part.strip() for part in vote.split(",") if part.strip()]


def read_number(text: str) -> Fraction | None:
    """A number as pabulib writes it, or None."""
    try:
        return _number(text)
    except InputFileError:
        return None


def _number(text: str, file: str = "", line: int = 0, what: str = "a number") -> Fraction:
    """A number as pabulib writes it (a decimal comma is read as a point, as pabutools does), exactly.
    Bounded by its text before it is converted: ``Fraction("1e10000000")`` alone takes half a minute, so a
    20-byte line could otherwise tie a worker up."""
    written = text.strip().replace(",", ".")
    if len(written) > MOST_CHARACTERS:
        raise InputFileError(
            f"{file}, line {line}: {what} must be a number of at most {MOST_CHARACTERS} characters,"
            f" not {written[:MOST_CHARACTERS]!r}… ({len(written)} characters)"
        )
    match = NUMBER.fullmatch(written)
    if match is None:
        raise InputFileError(f"{file}, line {line}: {what} must be a number, not {text!r}")
    if match.group("exponent") is not None and abs(int(match.group("exponent"))) > MOST_EXPONENT:
        raise InputFileError(
            f"{file}, line {line}: {what} must have an exponent from -{MOST_EXPONENT} to {MOST_EXPONENT},"
            f" not {written!r}"
        )
    return Fraction(written)


def write_pabulib(parsed: PabulibFile) -> str:
    """The file's text: what was read, field for field."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    out.write("META\n")
    writer.writerow(parsed.meta_header)
    for key, value in parsed.meta.items():
        writer.writerow([key, value])
    out.write("PROJECTS\n")
    writer.writerow(parsed.project_columns)
    writer.writerows(parsed.projects)
    out.write("VOTES\n")
    writer.writerow(parsed.vote_columns)
    writer.writerows(parsed.votes)
    return out.getvalue()


# --- reading: a ballot at a time -----------------------------------------------------------------

LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")  # as io.StringIO(text, newline="") splits lines


def _lines(text: str) -> Iterator[str]:
    """The text's lines, as ``io.StringIO(text, newline="")`` gives them (its copy of the text takes four
    bytes a character: 40 MB more for a 10 MB file)."""
    return (found.group() for found in LINE.finditer(text))


class PabulibStream:
    """A ``.pb`` file's content, read twice: checked (:meth:`check`), then its ballots (:meth:`votes`)."""

    def __init__(self, data: bytes, name: str, *, strict: bool = True) -> None:
        self.name, self.strict = name, strict
        self.digest = hashlib.sha256(data).hexdigest()
        try:
            self.text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            raise InputFileError(f"{name}, line {line}: not UTF-8 text") from None
        self.head = PabulibFile()  # META, the projects and the VOTES header: everything but the ballots
        self.voters = 0
        self.costs: dict[str, Fraction] = {}  # project id → its cost
        self._checked = False

    def _rows(self) -> Iterator[tuple[int, str, list[str]]]:
        """(line, section, cells) of each line that is not a section's keyword or header, after the checks
        of the file's structure (as pabulib's); a header line sets the section's columns."""
        name, parsed = self.name, self.head
        section, header_next = "", False
        seen: list[str] = []
        reader = csv.reader(_lines(self.text), delimiter=";")
        for row in reader:
            line = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if "\x00" in "".join(row):
                raise InputFileError(f"{name}, line {line}: a NUL character")
            keyword = row[0].strip().lower()
            if len(row) == 1 and keyword in SECTIONS:
                if keyword in seen or SECTIONS.index(keyword) != len(seen):
                    raise InputFileError(
                        f"{name}, line {line}: the sections are META, PROJECTS and VOTES, once each, in order"
                    )
                section, header_next = keyword, True
                seen.append(keyword)
                continue
            if not section:
                raise InputFileError(f"{name}, line {line}: a .pb file starts with META")
            cells = [cell.strip() for cell in row]
            if header_next:
                header_next = False
                if len(set(cells)) != len(cells):
                    raise InputFileError(f"{name}, line {line}: a column named twice in the {section.upper()} header")
                if section == "meta":
                    parsed.meta_header = cells
                elif section == "projects":
                    _require(cells, ("project_id", "cost"), name, line, "PROJECTS")
                    parsed.project_columns = cells
                else:
                    _require(cells, ("voter_id", "vote"), name, line, "VOTES")
                    parsed.vote_columns = cells
                continue
            yield line, section, cells
        for required in ("meta", "projects", "votes"):
            if required not in seen:
                raise InputFileError(f"{name}: no {required.upper()} section")

    def check(self, each_vote: Callable[[list[str], list[str]], None] | None = None) -> PabulibFile:
        """Read and check the whole file (:class:`InputFileError` names the line of the first problem);
        ``each_vote`` sees each checked ballot's cells and project ids. META, the projects and the
        columns, without the ballots."""
        name, parsed = self.name, PabulibFile()
        self.head, self.voters = parsed, 0
        project_lines: dict[str, int] = {}
        costs: dict[str, Fraction] = {}
        voter_ids = array("q")  # each voter id's hash: a voter given twice is found without keeping the ids
        voter_at = -1
        for line, section, cells in self._rows():
            if section == "meta":
                if len(cells) != 2 or not cells[0]:
                    raise InputFileError(f"{name}, line {line}: META lines are key;value")
                if cells[0] in parsed.meta:
                    raise InputFileError(f"{name}, line {line}: {cells[0]} is given twice")
                parsed.meta[cells[0]] = cells[1]
                _check_meta(cells[0], cells[1], name, line)
            elif section == "projects":
                _check_width(cells, parsed.project_columns, name, line)
                project = cells[parsed.project_columns.index("project_id")]
                if not project or "," in project:
                    raise InputFileError(f"{name}, line {line}: a project_id is a non-empty text without commas")
                if project in project_lines:
                    raise InputFileError(
                        f"{name}, line {line}: project {project} is listed twice (line {project_lines[project]})"
                    )
                cost = _number(cells[parsed.project_columns.index("cost")], name, line, "cost")
                if cost <= 0:
                    raise InputFileError(f"{name}, line {line}: project {project} must cost more than 0, not {cost}")
                project_lines[project] = line
                costs[project] = cost
                parsed.projects.append(cells)
            else:
                if voter_at < 0:
                    voter_at = parsed.vote_columns.index("voter_id")
                _check_width(cells, parsed.vote_columns, name, line)
                chosen = _check_ballot(parsed, cells, costs, name, line, self.strict)
                voter_ids.append(hash(cells[voter_at]))
                self.voters += 1
                if each_vote is not None:
                    each_vote(cells, chosen)
        self.costs = costs
        self._check_totals(voter_ids)
        self._checked = True
        return parsed

    def _check_totals(self, voter_ids: array) -> None:
        """As pabulib's: the budget is given, the counts META gives are the file's, no voter votes twice."""
        parsed, file = self.head, self.name
        if "budget" not in parsed.meta:
            raise InputFileError(f"{file}: META has no budget")
        for key, found in (("num_projects", len(parsed.projects)), ("num_votes", self.voters)):
            if key in parsed.meta and int(parsed.meta[key]) != found:
                raise InputFileError(f"{file}: META says {key} {parsed.meta[key]}, the file has {found}")
        hashes = np.sort(np.frombuffer(voter_ids, dtype=np.int64)) if len(voter_ids) else np.zeros(0, np.int64)
        twice = set(hashes[1:][hashes[1:] == hashes[:-1]].tolist())
        if not twice:
            return
        at = self.head.vote_columns.index("voter_id")
        seen: set[str] = set()
        for index, (cells, _) in enumerate(self._votes()):  # only the ids whose hash came twice are kept
            voter = cells[at]
            if hash(voter) in twice:
                if voter in seen:
                    raise InputFileError(f"{file}: voter {voter} votes twice (vote {index + 1})")
                seen.add(voter)

    def votes(self) -> Iterator[tuple[list[str], list[str]]]:
        """Each ballot's cells and the ids of its projects, in the file's order, once :meth:`check`ed."""
        if not self._checked:
            raise RuntimeError("check the file before reading its ballots")
        return self._votes()

    def _votes(self) -> Iterator[tuple[list[str], list[str]]]:
        vote = self.head.vote_columns.index("vote")
        for _, section, cells in self._rows():
            if section == "votes":
                yield cells, _ids(cells[vote])
