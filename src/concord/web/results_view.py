"""What the results page shows, built from the typed results of the latest analysis: the opinion map
with the reader marked, each group with what sets it apart, statements every group supports, and how
declared groups voted; group names in the reader's script."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from concord.report.contract import Bridging, Consensus, Decisions, DeclaredGroup, Representative
from concord.report.opinion_map import group_colour, opinion_map_svg
from concord.service.results import ResultsForReader
from concord.web.i18n import Language, translations

MAP_DOTS = 1500  # keeps the results page light on slow networks; the caption says how many are drawn
SHOWN = 8
CLOSEST = 3  # when no statement is every group's, this many of the best-ranked, labelled as not
# Group names in the reader's script: Pol.is's A, B, C …, and the Arabic-script alphabet for Dari/Pashto.
GROUP_LETTERS = {
    "en": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "fa_AF": ["الف", "ب", "پ", "ت", "ث", "ج", "چ", "ح", "خ", "د"],
    "ps": ["الف", "ب", "پ", "ت", "ټ", "ث", "ج", "چ", "ح", "خ"],
}


def group_name(group: int, language: Language) -> str:
    letters = GROUP_LETTERS.get(language.code, GROUP_LETTERS["en"])
    return letters[group] if group < len(letters) else str(group + 1)


@dataclass(frozen=True)
class GroupView:
    name: str
    colour: str
    size: int
    representative: list[Representative]
    is_yours: bool = False


@dataclass(frozen=True)
class GroupShare:
    """How one group voted on a statement."""

    name: str
    agree: float
    disagree: float
    seen: int


@dataclass(frozen=True)
class ConsensusView:
    statement: int
    direction: str
    score: float
    text: str
    by_group: list[GroupShare]


@dataclass(frozen=True)
class CommonGround:
    """What every group agrees (or disagrees) on, by the rule of :mod:`concord.engine.consensus`; only
    when nothing passes, the closest statements, which the page labels as not every group's."""

    agreed: list[ConsensusView]
    closest: list[ConsensusView]


@dataclass(frozen=True)
class DeclaredView:
    attribute: str
    groups: list[DeclaredGroup]
    common_ground: CommonGround


@dataclass(frozen=True)
class ResultsView:
    available: bool
    computed_ms: int = 0
    map_svg: str = ""
    map_shown: int = 0
    map_total: int = 0
    clustered: int = 0
    participants: int = 0
    votes: int = 0
    groups: list[GroupView] = field(default_factory=list)
    common_ground: CommonGround = field(default_factory=lambda: CommonGround([], []))
    bridging: list[Bridging] = field(default_factory=list)
    declared: list[DeclaredView] = field(default_factory=list)
    your_group: str | None = None
    decisions: Decisions | None = None
    body_names: dict[str, str] = field(default_factory=dict)  # a group's letter → its name in the reader's script


def common_ground(entries: list[Consensus], votes: dict[str, list[list[int]]], names: list[str]) -> CommonGround:
    agreed = [entry for entry in entries if entry.every_group][:SHOWN]
    if agreed:
        return CommonGround(_with_group_shares(agreed, votes, names), [])
    voted_on = [entry for entry in entries if any(seen for _, _, seen in votes.get(str(entry.statement), []))]
    return CommonGround([], _with_group_shares(voted_on[:CLOSEST], votes, names))


def _with_group_shares(
    entries: list[Consensus], votes: dict[str, list[list[int]]], names: list[str]
) -> list[ConsensusView]:
    """Each consensus entry with every group's agree and disagree share (how every group voted)."""
    return [
        ConsensusView(
            statement=entry.statement,
            direction=entry.direction,
            score=entry.score,
            text=entry.text,
            by_group=[
                GroupShare(name, a / s if s else 0.0, d / s if s else 0.0, s)
                for name, (a, d, s) in zip(names, votes.get(str(entry.statement), []))
            ],
        )
        for entry in entries
    ]


def results_view(found: ResultsForReader, language: Language) -> ResultsView:
    results = found.results
    if results is None or not results.groups:
        return ResultsView(available=False)
    gettext = translations(language.code).gettext
    points = results.map
    positions = np.column_stack([points.x, points.y]) if points.x else np.zeros((0, 2))
    labels = np.asarray(points.group, dtype=np.int64)
    you = None
    if found.participant_number is not None and found.participant_number in points.participants:
        you = points.participants.index(found.participant_number)
    picture = opinion_map_svg(
        positions,
        labels,
        highlight=you,
        size=420,
        max_dots=MAP_DOTS,
        title=gettext("Opinion map"),
        you_label=gettext("You"),
    )
    your_group = int(labels[you]) if you is not None and labels[you] >= 0 else None
    names = [group_name(g.id, language) for g in results.groups]
    groups = [
        GroupView(
            name=names[i],
            colour=group_colour(g.id),
            size=g.size,
            representative=g.representative,
            is_yours=your_group == g.id,
        )
        for i, g in enumerate(results.groups)
    ]
    declared = [
        DeclaredView(
            attribute=attribute,
            groups=comparison.groups,
            common_ground=common_ground(
                comparison.consensus, comparison.group_votes, [g.name for g in comparison.groups]
            ),
        )
        for attribute, comparison in results.declared.items()
    ]
    return ResultsView(
        available=True,
        computed_ms=found.computed_ms or 0,
        map_svg=picture.svg,
        map_shown=picture.shown,
        map_total=picture.total,
        clustered=results.clustered_participants,
        participants=results.participants,
        votes=results.votes,
        groups=groups,
        common_ground=common_ground(results.consensus, results.group_votes, names),
        bridging=[entry for entry in results.bridging if not entry.opposed_by_a_group][:5],
        declared=declared,
        your_group=names[your_group] if your_group is not None else None,
        decisions=results.decisions,
        body_names={g.label: name for g, name in zip(results.groups, names)},
    )
