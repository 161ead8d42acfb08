"""Results that stay small at national scale (issue 28): the results every reader downloads do not
grow with the participants (the opinion map binned, groups without member lists), the map's counts
add up, the reader's own marker sits in their cell, and the same votes in any order give the same
bytes. Every participant's own place stays in the export (tests/test_api_results.py checks it there)."""

from __future__ import annotations

import json
import re
from functools import cache

import numpy as np
import pytest

from concord.engine.synthetic import planted_conversation
from concord.report.contract import OpinionMap
from concord.report.conversation_analysis import AnalysisInputs, Computed, StatementState, compute
from concord.report.opinion_map import GRID, MAX_POINTS, Placements, binned_map, map_svg, place_on_map
from concord.service.decisions.rules import DEFAULT_RULE
from concord.states import StatementStatus

STATEMENTS = 60
MAP_BYTES = 100_000  # the map's JSON at any size: at most GRID² cells × groups entries
RESULTS_BYTES = 2_000_000  # the bound on the whole results at a million participants


def inputs(participants: int, *, order_seed: int | None = None) -> AnalysisInputs:
    made = planted_conversation(participants, STATEMENTS, participants * 20, groups=3, seed=0)
    order = np.arange(len(made.vote))
    if order_seed is not None:  # the same votes arriving in another order
        order = np.random.default_rng(order_seed).permutation(len(order))
    return AnalysisInputs(
        log_size=len(order) + STATEMENTS,
        participant=made.participant[order].astype(np.int64),
        statement=made.statement[order].astype(np.int64),
        vote=made.vote[order].astype(np.int64),
        time=np.arange(len(order), dtype=np.int64) * 1000,  # a vote a second: no arrivals together (blocs)
        statements=[StatementState(n, f"Statement {n}", StatementStatus.ACCEPTED, False) for n in range(STATEMENTS)],
        topic="A national dialogue",
        questions=[],
        answers={},
        rule=DEFAULT_RULE,
    )


@cache
def computed(participants: int, order_seed: int | None = None) -> Computed:
    found = compute(inputs(participants, order_seed=order_seed))
    assert found is not None
    return found


def published(found: Computed) -> bytes:
    """The results as the endpoint sends them, less the run's timings."""
    return json.dumps({k: v for k, v in found.results.items() if k != "timings"}, separators=(",", ":")).encode()


def test_the_results_do_not_grow_with_the_participants():
    small, large = computed(2_000), computed(20_000)
    sizes = {n: len(json.dumps(c.results["map"])) for n, c in ((2_000, small), (20_000, large))}
    assert large.results["map"]["grid"] == GRID and sizes[20_000] < MAP_BYTES, sizes
    assert len(large.results["map"]["x"]) <= GRID * GRID * (len(large.results["groups"]) + 1)
    assert all("participants" not in group for group in large.results["groups"])  # sizes only
    assert len(published(large)) < RESULTS_BYTES
    # ten times the participants, not ten times the bytes: only the statements' part is of any size
    assert len(published(large)) < 1.5 * len(published(small)), (len(published(small)), len(published(large)))


@pytest.mark.parametrize("participants", [300, 20_000])
def test_the_maps_counts_add_up_to_the_participants_and_each_groups_to_its_size(participants):
    found = computed(participants)
    drawn = found.results["map"]
    assert drawn["placed"] == sum(drawn["count"]) == found.results["participants"] == len(found.placements.x)
    for group in found.results["groups"]:
        in_group = sum(c for g, c in zip(drawn["group"], drawn["count"]) if g == group["id"])
        assert in_group == group["size"] == int((found.placements.group == group["id"]).sum())
    ungrouped = sum(c for g, c in zip(drawn["group"], drawn["count"]) if g < 0)
    assert ungrouped == found.results["participants"] - found.results["clustered_participants"]


def test_a_small_conversation_is_drawn_at_its_exact_points():
    found = computed(300)
    drawn, placed = found.results["map"], found.placements
    assert drawn["grid"] == 0 and len(drawn["x"]) <= MAX_POINTS
    exact = sorted(set(zip(placed.x.tolist(), placed.y.tolist(), placed.group.tolist())))
    assert sorted(zip(drawn["x"], drawn["y"], drawn["group"])) == exact


def test_the_same_votes_in_another_order_give_the_same_bytes():
    for participants in (300, 20_000):
        one, other = computed(participants), computed(participants, order_seed=7)
        assert published(one) == published(other)
        assert one.placements.to_bytes() == other.placements.to_bytes()


def test_a_grids_cells_hold_the_participants_that_fall_in_them():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=5_000), rng.normal(size=5_000)
    group = (x > 0).astype(np.int64)
    drawn = binned_map(x, y, group, ["A", "B"], max_points=100, grid=8)
    assert drawn.grid == 8 and drawn.placed == 5_000 and len(drawn.x) <= 8 * 8 * 2
    x0, y0, x1, y1 = drawn.bounds
    recount: dict[tuple[float, float, int], int] = {}
    for px, py, g in zip(x, y, group):
        cell = place_on_map(drawn, float(px), float(py))
        assert abs(cell[0] - px) <= (x1 - x0) / 16 + 1e-4 and abs(cell[1] - py) <= (y1 - y0) / 16 + 1e-4
        recount[(*cell, int(g))] = recount.get((*cell, int(g)), 0) + 1
    assert recount == {(a, b, g): c for a, b, g, c in zip(drawn.x, drawn.y, drawn.group, drawn.count)}
    shuffled = rng.permutation(5_000)
    assert binned_map(x[shuffled], y[shuffled], group[shuffled], ["A", "B"], max_points=100, grid=8) == drawn


def ring_and_dots(svg: str) -> tuple[tuple[float, float, float], dict[tuple[float, float], list[float]]]:
    ring = re.search(r'<circle cx="([\d.]+)" cy="([\d.]+)" r="([\d.]+)"[^>]*class="you"', svg)
    dots: dict[tuple[float, float], list[float]] = {}
    for cx, cy, r in re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)" r="([\d.]+)"/>', svg):
        dots.setdefault((float(cx), float(cy)), []).append(float(r))
    return (float(ring.group(1)), float(ring.group(2)), float(ring.group(3))), dots


def test_the_reader_is_ringed_in_their_own_cell_on_a_large_map():
    found = computed(20_000)
    drawn = OpinionMap(**found.results["map"])
    placed = found.placements
    for row in (0, 777, len(placed.x) - 1):
        you = (float(placed.x[row]), float(placed.y[row]), int(placed.group[row]))
        picture = map_svg(drawn, you=you, size=420)
        (x, y, r), dots = ring_and_dots(picture.svg)
        cell = place_on_map(drawn, you[0], you[1])
        x0, y0, x1, y1 = drawn.bounds
        scale = (420 - 24) / max(x1 - x0, y1 - y0)
        assert (x, y) == (round(12 + (cell[0] - x0) * scale, 1), round(420 - 12 - (cell[1] - y0) * scale, 1))
        assert (x, y) in dots and r > min(dots[(x, y)])  # around a dot of the reader's cell
        # the cell is within half a cell of the reader's own place
        assert abs(cell[0] - you[0]) <= (x1 - x0) / GRID / 2 + 1e-4
    assert picture.binned and picture.shown == picture.total == 20_000
    assert len(picture.svg) < 60_000  # on the results page, whatever the participants


def test_placements_keep_every_participants_place_and_group_exactly():
    placed = computed(300).placements
    again = Placements.from_bytes(placed.to_bytes())
    assert again.as_json() == placed.as_json()
    number = int(placed.participants[5])
    assert again.find(number) == (float(placed.x[5]), float(placed.y[5]), int(placed.group[5]))
    assert again.find(10**6) is None
