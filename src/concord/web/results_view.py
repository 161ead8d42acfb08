"""What the results page shows, built from a stored analysis: the opinion map with the viewer marked,
each group with what sets it apart, statements every group supports, and how declared groups voted."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from concord.report.opinion_map import group_colour, opinion_map_svg
from concord.store.models import AnalysisRecord
from concord.web.i18n import Language, translations

MAP_DOTS = 1500  # keeps the results page light on slow networks; the caption says how many are drawn
SHOWN = 8
# Group names in the reader's script: Pol.is's A, B, C …, and the Arabic-script alphabet for Dari/Pashto.
GROUP_LETTERS = {
    "en": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "fa_AF": ["الف", "ب", "پ", "ت", "ث", "ج", "چ", "ح", "خ", "د"],
    "ps": ["الف", "ب", "پ", "ت", "ټ", "ث", "ج", "چ", "ح", "خ"],
}


def group_name(group: int, language: Language) -> str:
    letters = GROUP_LETTERS.get(language.code, GROUP_LETTERS["en"])
    return letters[group] if group < len(letters) else str(group + 1)


@dataclass
class GroupView:
    name: str
    colour: str
    size: int
    representative: list[dict]
    is_yours: bool = False


@dataclass
class DeclaredView:
    attribute: str
    groups: list[dict]
    consensus: list[dict]


@dataclass
class ResultsView:
    available: bool
    map_svg: str = ""
    map_shown: int = 0
    map_total: int = 0
    clustered: int = 0
    participants: int = 0
    votes: int = 0
    groups: list[GroupView] = field(default_factory=list)
    consensus: list[dict] = field(default_factory=list)
    bridging: list[dict] = field(default_factory=list)
    declared: list[DeclaredView] = field(default_factory=list)
    your_group: str | None = None


def _with_group_shares(entries: list[dict], votes: dict, names: list[str]) -> list[dict]:
    """Attach each group's agree and disagree share to consensus entries (how every group voted)."""
    shown = []
    for entry in entries:
        counts = votes.get(str(entry["statement"]), [])
        entry = dict(entry)
        entry["by_group"] = [
            {"name": name, "agree": a / s if s else 0.0, "disagree": d / s if s else 0.0, "seen": s}
            for name, (a, d, s) in zip(names, counts)
        ]
        shown.append(entry)
    return shown


def results_view(record: AnalysisRecord | None, participant_number: int | None, language: Language) -> ResultsView:
    if record is None or not record.results.get("groups"):
        return ResultsView(available=False)
    results = record.results
    gettext = translations(language.code).gettext
    points = results["map"]
    positions = np.column_stack([points["x"], points["y"]]) if points["x"] else np.zeros((0, 2))
    labels = np.asarray(points["group"], dtype=np.int64)
    you = None
    if participant_number is not None and participant_number in points["participants"]:
        you = points["participants"].index(participant_number)
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
    names = [group_name(g["id"], language) for g in results["groups"]]
    groups = [
        GroupView(
            name=names[i],
            colour=group_colour(g["id"]),
            size=g["size"],
            representative=g["representative"],
            is_yours=your_group == g["id"],
        )
        for i, g in enumerate(results["groups"])
    ]
    declared = [
        DeclaredView(
            attribute=attribute,
            groups=comparison["groups"],
            consensus=_with_group_shares(
                comparison["consensus"][:SHOWN], comparison["group_votes"], [g["name"] for g in comparison["groups"]]
            ),
        )
        for attribute, comparison in (results.get("declared") or {}).items()
    ]
    return ResultsView(
        available=True,
        map_svg=picture.svg,
        map_shown=picture.shown,
        map_total=picture.total,
        clustered=results["clustered_participants"],
        participants=results["participants"],
        votes=results["votes"],
        groups=groups,
        consensus=_with_group_shares(results["consensus"][:SHOWN], results.get("group_votes", {}), names),
        bridging=results.get("bridging", [])[:5],
        declared=declared,
        your_group=names[your_group] if your_group is not None else None,
    )
