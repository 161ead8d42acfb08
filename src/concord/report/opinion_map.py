"""The opinion map as SVG: each participant a dot at their position, coloured by group.

Drawn on the server as plain SVG so it needs no JavaScript, no network and no plotting library, and
shows on a cheap phone. Participants who voted alike share a point, drawn as one dot whose area grows
with how many they are. Very large conversations are thinned to a fixed number of dots, chosen by a
seeded draw so the picture is reproducible; the caption says so.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from html import escape

import numpy as np

# Okabe–Ito palette: distinguishable with the common colour-vision deficiencies.
GROUP_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#000000")
UNGROUPED_COLOUR = "#9a9a9a"
MAX_DOTS = 4000


def group_colour(group: int) -> str:
    return UNGROUPED_COLOUR if group < 0 else GROUP_COLOURS[group % len(GROUP_COLOURS)]


def group_letter(group: int) -> str:
    """Pol.is names groups A, B, C …; past Z they are numbered."""
    return chr(ord("A") + group) if 0 <= group < 26 else str(group + 1)


@dataclass(frozen=True)
class MapPicture:
    svg: str
    shown: int  # dots drawn
    total: int  # participants with a position


def opinion_map_svg(
    positions: np.ndarray,
    labels: np.ndarray,
    *,
    highlight: int | None = None,
    size: int = 480,
    max_dots: int = MAX_DOTS,
    title: str = "Opinion map",
    you_label: str = "You",
) -> MapPicture:
    """SVG of the first two coordinates; ``highlight`` marks one participant row (the viewer)."""
    positions = np.asarray(positions, dtype=np.float64)[:, :2]
    total = len(positions)
    rows = np.arange(total)
    if total > max_dots:
        rows = np.sort(np.random.default_rng(0).choice(total, size=max_dots, replace=False))
    pad = 12.0
    if total:
        low, high = positions.min(axis=0), positions.max(axis=0)
        span = float(max(high[0] - low[0], high[1] - low[1], 1e-9))
    else:
        low, span = np.zeros(2), 1.0
    scale = (size - 2 * pad) / span

    def to_screen(point: np.ndarray) -> tuple[float, float]:
        x = pad + (point[0] - low[0]) * scale
        y = size - pad - (point[1] - low[1]) * scale  # y grows upwards on the map
        return round(float(x), 1), round(float(y), 1)

    radius = 3.0 if len(rows) < 500 else 2.0 if len(rows) < 2000 else 1.4
    # Ungrouped dots first so group colours are drawn on top of them. People who voted alike sit at the
    # same point: one dot stands for them all, its area growing with their number (the caption says so).
    rows = rows[np.argsort(labels[rows] >= 0, kind="stable")]
    people = Counter((to_screen(positions[row]), int(labels[row])) for row in rows)
    dots = [
        f'<circle cx="{x}" cy="{y}" r="{dot_radius(radius, count)}" fill="{group_colour(group)}"/>'
        for ((x, y), group), count in people.items()
    ]
    marker = ""
    if highlight is not None and 0 <= highlight < total:
        x, y = to_screen(positions[highlight])
        ring = dot_radius(radius, people.get(((x, y), int(labels[highlight])), 1)) + 5  # around the own dot
        # The label goes beside the ring, on the side with room; direction="ltr" makes "start" mean
        # left in a right-to-left page too (else the label would be drawn over its own dot).
        anchor, label_x = ("end", x - ring - 3) if x > size * 0.75 else ("start", x + ring + 3)
        marker = (
            f'<circle cx="{x}" cy="{y}" r="{ring}" fill="none" stroke="#000" stroke-width="2.5" class="you"/>'
            f'<text x="{label_x}" y="{y + 5}" font-size="14" font-weight="bold" text-anchor="{anchor}" '
            f'direction="ltr" paint-order="stroke" stroke="#fff" stroke-width="3">{escape(you_label)}</text>'
        )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" role="img" '
        f'aria-label="{escape(title)}" class="opinion-map"><title>{escape(title)}</title>'
        f'<rect width="{size}" height="{size}" fill="#fff" stroke="#ccc"/>'
        f'<g fill-opacity="0.75">{"".join(dots)}</g>{marker}</svg>'
    )
    return MapPicture(svg, len(rows), total)


def dot_radius(radius: float, people: int) -> float:
    """A dot standing for ``people`` identical voters: its area in proportion, up to eight times wider."""
    return round(radius * min(math.sqrt(people), 8.0), 1)
