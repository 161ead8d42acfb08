"""The self-contained HTML report of ``concord analyze --html``: one file, no network, readable offline
and printable — the opinion map, the groups and what sets each apart, and the consensus tables."""

from __future__ import annotations

import numpy as np

from concord.engine.analysis import Analysis
from concord.report.bidi import isolate_direction
from concord.report.contract import AnalysisResults
from concord.report.opinion_map import GROUP_COLOURS, UNGROUPED_COLOUR, group_colour, opinion_map_svg

SHOWN = 20


def render_html(analysis: Analysis, results: AnalysisResults, *, source: str = "") -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    environment = Environment(
        loader=PackageLoader("concord.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        finalize=isolate_direction,
    )
    picture = opinion_map_svg(analysis.projection.positions, analysis.groups.labels, size=520)
    template = environment.get_template("report.html.j2")
    return template.render(
        results=results,
        source=source,
        map_svg=picture.svg,
        map_binned=picture.binned,
        map_total=picture.total,
        colour=group_colour,
        ungrouped_colour=UNGROUPED_COLOUR,
        palette=GROUP_COLOURS,
        shown=SHOWN,
        unclustered=int((analysis.groups.labels < 0).sum()),
        explained=_explained_variance(analysis),
    )


def _explained_variance(analysis: Analysis) -> list[float]:
    """Share of the votes' variance each map axis carries (on the centred, imputed matrix)."""
    projection = analysis.projection
    if projection.total_variance <= 0:
        return [0.0, 0.0]
    return [float(v) / projection.total_variance for v in np.asarray(projection.variance)[:2]]
