"""The opinion map as SVG: each participant a dot at their position, coloured by group.

Drawn on the server as plain SVG so it needs no JavaScript, no network and no plotting library, and
shows on a cheap phone. Very large conversations are thinned to a fixed number of dots, chosen by a
seeded draw so the picture is reproducible; the caption says so.
"""

from __future__ import annotations

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
    # Ungrouped dots first so group colours are drawn on top of them.
    rows = rows[np.argsort(labels[rows] >= 0, kind="stable")]
    dots = []
    for row in rows:
        x, y = to_screen(positions[row])
        dots.append(f'<circle cx="{x}" cy="{y}" r="{radius}" fill="{group_colour(int(labels[row]))}"/>')
    marker = ""
    if highlight is not None and 0 <= highlight < total:
        x, y = to_screen(positions[highlight])
        # The label goes beside its marker, on the side with room; direction="ltr" makes "start" mean
        # left in a right-to-left page too (else the label would be drawn over its own marker).
        anchor, label_x = ("end", x - 11) if x > size * 0.75 else ("start", x + 11)
        marker = (
            f'<circle cx="{x}" cy="{y}" r="8" fill="none" stroke="#000" stroke-width="2.5"/>'
            f'<text x="{label_x}" y="{y + 4}" font-size="14" font-weight="bold" text-anchor="{anchor}" '
            f'direction="ltr">{escape(you_label)}</text>'
        )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" role="img" '
        f'aria-label="{escape(title)}" class="opinion-map"><title>{escape(title)}</title>'
        f'<rect width="{size}" height="{size}" fill="#fff" stroke="#ccc"/>'
        f'<g fill-opacity="0.75">{"".join(dots)}</g>{marker}</svg>'
    )
    return MapPicture(svg, len(rows), total)
