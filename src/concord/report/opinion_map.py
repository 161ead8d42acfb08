"""The opinion map: where participants sit, of a size that does not grow with them, and drawn as SVG.

What is published (:func:`binned_map`, the results' ``map``) is bounded whatever the number of
participants: their exact positions, with how many sit at each, while there are at most
:data:`MAX_POINTS` distinct ones (a small conversation looks as it always did); past that, the
counts per group in the non-empty cells of a :data:`GRID` × :data:`GRID` grid over the positions'
bounds. Every participant's own position and group (:class:`Placements`) go to the export and to
that participant's own page (the "You" marker), not to every reader.

Drawn on the server as plain SVG so it needs no JavaScript, no network and no plotting library, and
shows on a cheap phone. People who voted alike share a point, drawn as one dot whose area grows with
how many they are; on a grid, a cell's dot's area is in proportion to its count against the fullest
cell's.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from html import escape

import numpy as np

from concord.report.contract import OpinionMap

# Okabe–Ito palette: distinguishable with the common colour-vision deficiencies.
GROUP_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#000000")
UNGROUPED_COLOUR = "#9a9a9a"
MAX_POINTS = 1000  # distinct positions sent exactly; past that, a grid
GRID = 32  # cells a side: at most GRID² × groups entries, ~35 bytes each on the page
PLACES = 4  # decimal places of a published position


def group_colour(group: int) -> str:
    return UNGROUPED_COLOUR if group < 0 else GROUP_COLOURS[group % len(GROUP_COLOURS)]


def group_letter(group: int) -> str:
    """Pol.is names groups A, B, C …; past Z they are numbered."""
    return chr(ord("A") + group) if 0 <= group < 26 else str(group + 1)


# --- every participant's place (the export's, and the reader's own) -------------------------------------


@dataclass(frozen=True)
class Placements:
    """Every analysed participant's position on the map (rounded to :data:`PLACES`) and group (−1: not
    clustered), sorted by participant number. Stored as bytes (:meth:`to_bytes`): four little-endian
    int32 columns of n values each, the numbers, x·10⁴, y·10⁴ and the groups; ``round(x·10⁴)/10⁴`` is
    exactly ``numpy.round(x, 4)``, so nothing is lost."""

    participants: np.ndarray  # int64
    x: np.ndarray  # float64, rounded to PLACES
    y: np.ndarray
    group: np.ndarray  # int64

    @classmethod
    def of(cls, participants: np.ndarray, positions: np.ndarray, labels: np.ndarray) -> Placements:
        order = np.argsort(participants, kind="stable")
        xy = np.round(np.asarray(positions, dtype=np.float64)[order, :2], PLACES).reshape(-1, 2)
        return cls(
            np.asarray(participants, dtype=np.int64)[order],
            xy[:, 0],
            xy[:, 1],
            np.asarray(labels, dtype=np.int64)[order],
        )

    def to_bytes(self) -> bytes:
        scale = 10**PLACES
        columns = [self.participants, np.rint(self.x * scale), np.rint(self.y * scale), self.group]
        return b"".join(np.asarray(c).astype("<i4").tobytes() for c in columns)

    @classmethod
    def from_bytes(cls, data: bytes) -> Placements:
        n = len(data) // 16
        columns = np.frombuffer(data, dtype="<i4", count=4 * n).reshape(4, n).astype(np.int64)
        scale = 10**PLACES
        return cls(columns[0], columns[1] / scale, columns[2] / scale, columns[3])

    def as_json(self) -> dict[str, list]:
        """As the export writes them (``conversation.json``'s ``analysis.placements``)."""
        return {
            "participants": self.participants.tolist(),
            "x": self.x.tolist(),
            "y": self.y.tolist(),
            "group": self.group.tolist(),
        }

    def find(self, number: int) -> tuple[float, float, int] | None:
        """One participant's (x, y, group), or None when the analysis did not place them."""
        at = int(np.searchsorted(self.participants, number))
        if at < len(self.participants) and self.participants[at] == number:
            return float(self.x[at]), float(self.y[at]), int(self.group[at])
        return None

    def groups(self) -> dict[int, int]:
        """Participant number → group, for the export's participants-votes.csv (−1s left out)."""
        grouped = self.group >= 0
        return dict(zip(self.participants[grouped].tolist(), self.group[grouped].tolist()))


# --- the published map --------------------------------------------------------------------------------


def binned_map(
    x: np.ndarray,
    y: np.ndarray,
    group: np.ndarray,
    labels: list[str],
    *,
    max_points: int = MAX_POINTS,
    grid: int = GRID,
) -> OpinionMap:
    """The map as published, a function of the multiset of (x, y, group) alone, so the same votes in
    any order give the same bytes. Positions are rounded to :data:`PLACES` first.

    - At most ``max_points`` distinct (x, y, group): each with its count, sorted by (x, y, group).
    - Else, with bounds x0 = min x, x1 = max x (y alike) and w = max(x1 − x0, 10⁻⁹): participant at x
      falls in column i = min(⌊(x − x0)/w · grid⌋, grid − 1), row j likewise; each non-empty
      (i, j, group) is sent once, at its cell's centre (x0 + (i + ½)·w/grid, y0 + (j + ½)·h/grid), with
      its count, sorted by (i, j, group). At most grid² × groups entries, whatever the participants."""
    x = np.round(np.asarray(x, dtype=np.float64), PLACES)
    y = np.round(np.asarray(y, dtype=np.float64), PLACES)
    group = np.asarray(group, dtype=np.int64)
    if len(x) == 0:
        return OpinionMap(0, [0.0, 0.0, 0.0, 0.0], [], [], [], [], 0, list(labels))
    bounds = [float(x.min()), float(y.min()), float(x.max()), float(y.max())]
    exact = _distinct(x, y, group, max_points)
    if exact is not None:
        first, counts = exact
        return OpinionMap(
            0,
            bounds,
            x[first].tolist(),
            y[first].tolist(),
            group[first].tolist(),
            counts.tolist(),
            int(counts.sum()),
            list(labels),
        )
    column, row = _cells(x, y, bounds, grid)
    groups = int(group.max()) + 2  # −1 … max
    tally = np.bincount((column * grid + row) * groups + (group + 1), minlength=grid * grid * groups)
    codes = np.flatnonzero(tally)  # sorted: by column, row, group
    counts = tally[codes]
    cell, member = np.divmod(codes, groups)
    centre_x, centre_y = _centres(*np.divmod(cell, grid), bounds, grid)
    return OpinionMap(
        grid,
        bounds,
        centre_x.tolist(),
        centre_y.tolist(),
        (member - 1).tolist(),
        counts.tolist(),
        int(counts.sum()),
        list(labels),
    )


def _distinct(x: np.ndarray, y: np.ndarray, group: np.ndarray, most: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The rows of the distinct (x, y, group), sorted, with how many share each; None past ``most``
    (found from the distinct x alone when they are already too many: a million rows in a few ms)."""
    scale = 10**PLACES
    xi, yi = np.rint(x * scale).astype(np.int64), np.rint(y * scale).astype(np.int64)  # exact: x is rounded
    if len(np.unique(xi)) > most:
        return None
    order = np.lexsort((group, yi, xi))
    xi, yi, sorted_group = xi[order], yi[order], group[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (xi[1:] != xi[:-1]) | (yi[1:] != yi[:-1]) | (sorted_group[1:] != sorted_group[:-1])
    starts = np.flatnonzero(new)
    if len(starts) > most:
        return None
    return order[starts], np.diff(np.append(starts, len(order)))


def place_on_map(found: OpinionMap, x: float, y: float) -> tuple[float, float]:
    """Where the map draws a participant at (x, y): that point, or their cell's centre on a grid."""
    at_x, at_y = np.round(np.array([x]), PLACES), np.round(np.array([y]), PLACES)
    if not found.grid:
        return float(at_x[0]), float(at_y[0])
    column, row = _cells(at_x, at_y, found.bounds, found.grid)
    centre_x, centre_y = _centres(column, row, found.bounds, found.grid)
    return float(centre_x[0]), float(centre_y[0])


def _cells(x: np.ndarray, y: np.ndarray, bounds: list[float], grid: int) -> tuple[np.ndarray, np.ndarray]:
    x0, y0, x1, y1 = bounds
    width, height = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
    column = np.clip(np.floor((x - x0) / width * grid), 0, grid - 1).astype(np.int64)
    row = np.clip(np.floor((y - y0) / height * grid), 0, grid - 1).astype(np.int64)
    return column, row


def _centres(column: np.ndarray, row: np.ndarray, bounds: list[float], grid: int) -> tuple[np.ndarray, np.ndarray]:
    x0, y0, x1, y1 = bounds
    width, height = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
    return (
        np.round(x0 + (column + 0.5) * width / grid, PLACES),
        np.round(y0 + (row + 0.5) * height / grid, PLACES),
    )


# --- the picture --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapPicture:
    svg: str
    shown: int  # participants drawn (all of them: a grid's dot stands for its cell's)
    total: int  # participants with a position
    binned: bool = False  # drawn on a grid: a dot stands for its cell's participants of one group


def map_svg(
    found: OpinionMap,
    *,
    you: tuple[float, float, int] | None = None,
    size: int = 480,
    title: str = "Opinion map",
    you_label: str = "You",
) -> MapPicture:
    """SVG of a published map; ``you`` (the reader's own x, y and group) is ringed: their own dot, or on
    a grid their group's dot in their cell. Exact points: a dot of radius r·√count (up to 8 r), r from
    3 to 1.4 px as the participants grow. Grid: radius ½·cell·√(count / the largest count), at least
    0.8 px. Ungrouped dots first and larger before smaller, so that none hides another."""
    pad = 12.0
    x0, y0, x1, y1 = found.bounds
    span = float(max(x1 - x0, y1 - y0, 1e-9))
    scale = (size - 2 * pad) / span

    def to_screen(x: float, y: float) -> tuple[float, float]:
        # y grows upwards on the map
        return round(pad + (x - x0) * scale, 1), round(size - pad - (y - y0) * scale, 1)

    people: Counter[tuple[tuple[float, float], int]] = Counter()
    for x, y, group, count in zip(found.x, found.y, found.group, found.count):
        people[(to_screen(x, y), group)] += count
    if found.grid:
        half = max(x1 - x0, 1e-9) / found.grid * scale / 2
        largest = max(people.values(), default=1)

        def radius_of(count: int) -> float:
            return max(round(half * math.sqrt(count / largest), 1), 0.8)
    else:
        base = 3.0 if found.placed < 500 else 2.0 if found.placed < 2000 else 1.4

        def radius_of(count: int) -> float:
            return dot_radius(base, count)

    # Ungrouped dots first so group colours are drawn on top of them; then larger ones under smaller.
    order = sorted(people.items(), key=lambda item: (item[0][1] >= 0, -item[1]))
    layers: list[tuple[int, list[str]]] = []  # runs of one colour, each in one <g fill>: ~35 bytes a dot
    for (point, group), count in order:
        circle = f'<circle cx="{point[0]}" cy="{point[1]}" r="{radius_of(count)}"/>'
        if layers and layers[-1][0] == group:
            layers[-1][1].append(circle)
        else:
            layers.append((group, [circle]))
    dots = "".join(f'<g fill="{group_colour(group)}">{"".join(circles)}</g>' for group, circles in layers)
    marker = ""
    if you is not None:
        x, y = to_screen(*place_on_map(found, you[0], you[1]))
        own = people.get(((x, y), you[2]))
        ring = (radius_of(own) if own else 3.0) + 5  # around the own dot, however large
        # The label goes beside the ring, on the side with room; direction="ltr" makes "start" mean
        # left in a right-to-left page too (else the label would be drawn over its own dot).
        anchor, label_x = ("end", round(x - ring - 3, 1)) if x > size * 0.75 else ("start", round(x + ring + 3, 1))
        marker = (
            f'<circle cx="{x}" cy="{y}" r="{ring}" fill="none" stroke="#000" stroke-width="2.5" class="you"/>'
            f'<text x="{label_x}" y="{round(y + 5, 1)}" font-size="14" font-weight="bold" text-anchor="{anchor}" '
            f'direction="ltr" paint-order="stroke" stroke="#fff" stroke-width="3">{escape(you_label)}</text>'
        )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" role="img" '
        f'aria-label="{escape(title)}" class="opinion-map"><title>{escape(title)}</title>'
        f'<rect width="{size}" height="{size}" fill="#fff" stroke="#ccc"/>'
        f'<g fill-opacity="0.75">{dots}</g>{marker}</svg>'
    )
    return MapPicture(svg, found.placed, found.placed, bool(found.grid))


def opinion_map_svg(
    positions: np.ndarray,
    labels: np.ndarray,
    *,
    highlight: int | None = None,
    size: int = 480,
    title: str = "Opinion map",
    you_label: str = "You",
) -> MapPicture:
    """SVG of the first two coordinates of every row (binned as published, :func:`binned_map`);
    ``highlight`` marks one row (the viewer)."""
    positions = np.asarray(positions, dtype=np.float64)[:, :2].reshape(-1, 2)
    labels = np.asarray(labels, dtype=np.int64)
    found = binned_map(positions[:, 0], positions[:, 1], labels, [])
    you = None
    if highlight is not None and 0 <= highlight < len(positions):
        you = (float(positions[highlight, 0]), float(positions[highlight, 1]), int(labels[highlight]))
    return map_svg(found, you=you, size=size, title=title, you_label=you_label)


def dot_radius(radius: float, people: int) -> float:
    """A dot standing for ``people`` identical voters: its area in proportion, up to eight times wider."""
    return round(radius * min(math.sqrt(people), 8.0), 1)
