"""Cumulative and ordinal ballots decided as their voters meant them: equal shares with additive
utilities (points: pabutools' ``Additive_Cardinal_Sat``; ranks: Borda scores, ``Additive_Borda_Sat``),
completed by add1, exactly pabutools' ``method_of_equal_shares(…, sat_class=…, voter_budget_increment=1)``:

- on random small cumulative and ordinal elections, on ties (few distinct ballots, ids that sort
  differently as text), on decimal costs and points, and on elections with hundreds of raises;
- every stretch of raises the search skips funds the same projects in the same order (checked raise by
  raise), and the raise kept is the one a search one raise at a time keeps;
- on every cumulative and ordinal file in ../shared/data/pabulib (pabutools' outcomes recorded in
  tests/data/pabulib_pabutools.json, with the satisfaction they were computed with), in seconds;
- points change the outcome from what the approval reading gives; a project ranked last carries no
  utility; who paid what, by points, is what each voter paid;
- pabulib files carry the points and ranks into the election; ``concord budget`` says which satisfaction
  decided."""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budget_utility_helpers import as_utility_pabulib, ballots_of, pabutools_utility_outcomes
from concord.engine.budgets.election import BudgetDataError, Election, Project, ballots_with_values
from concord.engine.budgets.equal_shares_utilities import (
    UtilityRound,
    _AddOne,
    _Run,
    decided_by_utilities,
    equal_shares_utilities,
    equal_shares_utilities_add_one,
    satisfaction_of,
    utilities,
)
from concord.engine.budgets.outcome import decide_budget
from concord.formats.pabulib import parse_pabulib, read_pabulib, write_pabulib

ROOT = Path(__file__).resolve().parents[1]
PABULIB = Path(os.environ.get("CONCORD_PABULIB_DATA", ROOT.parent / "shared" / "data" / "pabulib"))
RECORDED = ROOT / "tests" / "data" / "pabulib_pabutools.json"


def election_of(kind: str, projects: tuple[Project, ...], lists, values, budget) -> Election:
    ballots, marks = ballots_with_values(lists, values, len(projects))
    return Election(Fraction(budget), projects, ballots, kind, marks)


def concord_outcomes(election: Election) -> dict[str, list[str]]:
    ids = [project.id for project in election.projects]
    return {
        "equal_shares": [ids[i] for i in equal_shares_utilities(election).funded],
        "add1": [ids[i] for i in equal_shares_utilities_add_one(election).run.funded],
        "decided": [ids[i] for i in decide_budget(election).funded],
    }


@st.composite
def utility_elections(draw, costs=(1, 2, 3, 5, 7, 10, 20, 30, 50), ids=None, templates=None, points=(0, 5)):
    kind = draw(st.sampled_from(["cumulative", "ordinal"]))
    count = draw(st.integers(1, 7))
    names = ids or [f"{draw(st.sampled_from(['p', 'q', '1', '2', '10']))}{i}" for i in range(count)]
    count = min(count, len(names))
    projects = tuple(Project(names[i], Fraction(draw(st.sampled_from(costs)))) for i in range(count))

    def ballot():
        chosen = draw(st.lists(st.integers(0, count - 1), max_size=count, unique=True))
        if kind == "ordinal":
            return chosen, list(range(1, len(chosen) + 1))
        return chosen, [draw(st.integers(*points)) for _ in chosen]

    if templates:
        shapes = [ballot() for _ in range(draw(st.integers(1, templates)))]
        cast = [draw(st.sampled_from(shapes)) for _ in range(draw(st.integers(1, 30)))]
    else:
        cast = [ballot() for _ in range(draw(st.integers(1, 25)))]
    budget = draw(st.sampled_from([7, 10, 30, 37, 50, 61, 100]))
    return election_of(kind, projects, [c for c, _ in cast], [v for _, v in cast], budget)


@settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(election=utility_elections())
def test_random_cumulative_and_ordinal_elections_are_decided_as_pabutools_decides_them(election):
    assert concord_outcomes(election) == pabutools_utility_outcomes(election)


@settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(election=utility_elections(costs=(10, 20), ids=["9", "10", "1", "100", "2", "20", "3"], templates=3))
def test_ties_are_broken_as_pabutools_breaks_them(election):
    """Projects of two costs, ballots of three kinds: exact ties in most rounds, broken by id as text."""
    assert concord_outcomes(election) == pabutools_utility_outcomes(election)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(election=utility_elections(costs=(Fraction(25, 2), Fraction(101, 4), Fraction(333, 100), Fraction(7, 3))))
def test_decimal_costs_are_exact(election):
    assert concord_outcomes(election) == pabutools_utility_outcomes(election)


def seeded(seed: int, kind: str | None = None) -> Election:
    """A few voters, costs in thousands, half the total cost as the budget: hundreds of raises."""
    rng = random.Random(seed)
    kind = kind or rng.choice(["cumulative", "ordinal"])
    count = rng.randint(3, 6)
    projects = tuple(Project(f"p{i}", Fraction(rng.randint(5, 60) * 100)) for i in range(count))
    lists = [rng.sample(range(count), rng.randint(1, count)) for _ in range(rng.randint(5, 14))]
    values = [list(range(1, len(c) + 1)) if kind == "ordinal" else [rng.randint(1, 5) for _ in c] for c in lists]
    return election_of(kind, projects, lists, values, sum(int(p.cost) for p in projects) // 2)


@pytest.mark.parametrize("seed", [0, 5, 9, 12, 15, 20, 24])  # 269 to 1,851 raises
def test_add1_with_hundreds_of_raises_is_pabutools_add1(seed):
    election = seeded(seed)
    added = equal_shares_utilities_add_one(election)
    ids = [project.id for project in election.projects]
    theirs = pabutools_utility_outcomes(election)
    assert [ids[i] for i in added.run.funded] == theirs["add1"]
    assert [ids[i] for i in decide_budget(election).funded] == theirs["decided"]
    assert added.raises >= 250 and added.runs < added.raises / 5


def funded_at(search: _AddOne, raises: int) -> list[int]:
    return _Run(search.profile, search.base + raises).run().funded


@pytest.mark.parametrize("seed", range(12))
def test_every_raise_in_a_stretch_shown_the_same_funds_the_same(seed):
    """Each stretch the search skipped (a run far ahead showing it the same) funds, raise by raise (or in
    a long one its first and last fifty and every 13th), what the run at its start funds; and the raise
    kept is the one a search one raise at a time keeps (pabutools')."""
    election = seeded(seed, "cumulative" if seed % 2 else "ordinal")
    search = _AddOne(election)
    kept = search.search()
    assert search.shown or kept < 10
    for start, end in search.shown:
        expected = funded_at(search, start)
        raises = range(start + 1, end + 1)
        if len(raises) > 200:
            raises = [*raises[:50], *raises[50:-50:13], *raises[-50:]]
        for at in raises:
            assert funded_at(search, at) == expected, (start, at, end)
    raises = 0
    while (ends := search.ends(funded_at(search, raises))) is None:
        raises += 1
    assert kept == (raises - 1 if ends == "over" else raises)


# --- what points and ranks change ----------------------------------------------------------------------


def test_points_change_the_outcome_from_what_the_approval_reading_gives():
    """Ten voters list both playgrounds, costing 60 each (budget 100: one fits). Read as approvals the
    two tie and "A" wins on its id; six voters give "B" two points and "A" one, four the other way round:
    "B" has 16 points to "A"'s 14, its price per point is lower, and it is funded."""
    projects = (Project("A", Fraction(60)), Project("B", Fraction(60)))
    lists = [[0, 1]] * 10
    values = [[1, 2]] * 6 + [[2, 1]] * 4
    cumulative = election_of("cumulative", projects, lists, values, 100)
    approval = Election(Fraction(100), projects, cumulative.ballots)
    by_points, by_approval = decide_budget(cumulative), decide_budget(approval)
    assert by_approval.funded == [0] and by_approval.satisfaction == "Cost_Sat"
    assert by_points.funded == [1] and by_points.satisfaction == "Additive_Cardinal_Sat"
    assert pabutools_utility_outcomes(cumulative)["decided"] == ["B"]
    paid = by_points.projects[1].paid
    assert isinstance(paid, UtilityRound) and paid.price == Fraction(60, 16)
    assert [(p.utility, p.voters, p.each) for p in paid.payments] == [(2, 6, Fraction(15, 2)), (1, 4, Fraction(15, 4))]


def test_a_project_ranked_last_gives_no_utility():
    """Ranked three to a ballot, the last choice has Borda score 0 (pabutools'): "c", last on every
    ballot, is out of reach from the start, though every voter lists it; "a" first everywhere."""
    projects = (Project("a", Fraction(30)), Project("b", Fraction(30)), Project("c", Fraction(10)))
    election = election_of("ordinal", projects, [[0, 1, 2]] * 6, [[1, 2, 3]] * 6, 60)
    assert utilities(election)[0].toarray().tolist() == [[2, 1, 0]]
    run = equal_shares_utilities(election)
    assert 2 not in run.funded and run.out_of_reach[2] == 0 and run.left_with_supporters[2] == 0
    outcome = decide_budget(election)
    assert outcome.projects[2].why == "out-of-reach" and outcome.projects[2].out_of_reach_after == 0
    assert concord_outcomes(election) == pabutools_utility_outcomes(election)


def reference_payments(election: Election) -> list[tuple[int, dict[tuple[int, bool], tuple[int, Fraction]]]]:
    """Equal shares (no add1) voter by voter in exact arithmetic, pabutools' loop: per round, the project
    and, by (utility, paid in full), how many voters paid how much in all."""
    util = utilities(election).toarray()
    money = [Fraction(election.budget, election.voters)] * election.voters
    costs, ids = election.costs, [p.id for p in election.projects]
    left, rounds = {c for c in range(len(costs)) if util[:, c].sum() > 0}, []
    while True:
        best = None
        for c in sorted(left):
            supporters = [i for i in range(election.voters) if util[i, c] > 0]
            if sum(money[i] for i in supporters) < costs[c]:
                continue
            order = sorted(supporters, key=lambda i: money[i] / int(util[i, c]))
            paid, units = Fraction(0), sum(int(util[i, c]) for i in supporters)
            for i in order:
                rho = (costs[c] - paid) / units
                if rho * int(util[i, c]) <= money[i]:
                    break
                paid, units = paid + money[i], units - int(util[i, c])
            if best is None or (rho, ids[c]) < (best[0], ids[best[1]]):
                best = (rho, c)
        if best is None:
            return rounds
        rho, c = best
        groups: dict[tuple[int, bool], tuple[int, Fraction]] = {}
        for i in range(election.voters):
            if util[i, c] > 0:
                pay = min(money[i], rho * int(util[i, c]))
                key = (int(util[i, c]), pay == rho * int(util[i, c]))
                count, total = groups.get(key, (0, Fraction(0)))
                groups[key] = (count + 1, total + pay)
                money[i] -= pay
        left.discard(c)
        rounds.append((c, groups))


@pytest.mark.parametrize("seed", range(8))
def test_who_paid_what_is_what_each_voter_paid(seed):
    election = seeded(seed)
    run = equal_shares_utilities(election)
    reference = reference_payments(election)
    assert [c for c, _ in reference] == run.funded
    for found, (_, groups) in zip(run.rounds, reference):
        assert isinstance(found, UtilityRound)
        full = {p.utility: (p.voters, p.each * p.voters) for p in found.payments}
        assert full == {u: value for (u, whole), value in groups.items() if whole}
        assert found.full_payers == sum(count for (_, whole), (count, _) in groups.items() if whole)
        assert found.partial_payers == sum(count for (_, whole), (count, _) in groups.items() if not whole)
        assert found.partial_paid == sum((t for (_, whole), (_, t) in groups.items() if not whole), Fraction(0))
        cost = election.projects[found.project].cost
        assert sum((p.each * p.voters for p in found.payments), Fraction(0)) + found.partial_paid == cost


# --- real files -------------------------------------------------------------------------------------


def real_files() -> list[Path]:
    if not PABULIB.is_dir():
        return []
    found = []
    for path in sorted(PABULIB.glob("*.pb")):
        with path.open(encoding="utf-8-sig") as lines:
            head = [next(lines, "") for _ in range(40)]
        if any(line.strip() in ("vote_type;cumulative", "vote_type;ordinal", "vote_type;scoring") for line in head):
            found.append(path)
    return found


@pytest.mark.parametrize("path", real_files() or [None], ids=lambda p: p.stem if p else "none")
def test_a_real_cumulative_or_ordinal_file_is_decided_as_pabutools_decides_it(path):
    """pabutools' outcome with the file's satisfaction, recorded by ``python bench/budgets.py --record``
    (its sha256 must match); Concord in seconds, one run per stretch of raises shown the same."""
    if path is None:
        pytest.skip(f"no pabulib files at {PABULIB}")
    entry = json.loads(RECORDED.read_text(encoding="utf-8")).get(path.name) if RECORDED.is_file() else None
    if entry is None or entry["sha256"] != hashlib.sha256(path.read_bytes()).hexdigest():
        pytest.skip("no outcome of pabutools recorded for this file (python bench/budgets.py --record)")
    election = read_pabulib(path, strict=False).election()
    assert decided_by_utilities(election) and entry["sat"] == satisfaction_of(election.vote_type)
    started = time.perf_counter()
    outcome = decide_budget(election)
    assert time.perf_counter() - started < 10
    ids = [project.id for project in election.projects]
    equal = [ids[i] for i in outcome.funded[: sum(p.how == "equal-shares" for p in outcome.projects)]]
    assert equal == entry["add1"] and [ids[i] for i in outcome.funded] == entry["decided"]
    assert outcome.raises == entry["raises"] and outcome.stepwise_runs == entry["runs"]
    assert outcome.runs < outcome.stepwise_runs


# --- files --------------------------------------------------------------------------------------------


CUMULATIVE = """META
key;value
budget;100
vote_type;cumulative
max_sum_points;3
PROJECTS
project_id;cost;name
A;60;Playground A
B;60;Playground B
VOTES
voter_id;vote;points
{votes}
"""


def cumulative_file(tmp_path: Path) -> Path:
    votes = [f"v{i};A,B;1,2" for i in range(6)] + [f"w{i};B,A;1,2" for i in range(4)]
    path = tmp_path / "cumulative.pb"
    path.write_text(CUMULATIVE.format(votes="\n".join(votes)), encoding="utf-8")
    return path


def test_a_pabulib_file_carries_points_and_ranks_into_the_election(tmp_path):
    election = read_pabulib(cumulative_file(tmp_path)).election()
    assert election.vote_type == "cumulative" and election.values is not None
    assert ballots_of(election)[0] == [(0, 1), (1, 2)] and ballots_of(election)[9] == [(0, 2), (1, 1)]
    assert decide_budget(election).funded == [1]
    ranked = seeded(3, "ordinal")
    again = parse_pabulib(write_pabulib(as_utility_pabulib(ranked)).encode(), "ranked.pb").election()
    assert again.vote_type == "ordinal" and ballots_of(again) == ballots_of(ranked)
    assert concord_outcomes(again) == pabutools_utility_outcomes(ranked)


def test_points_that_are_not_whole_numbers_are_scaled_and_decide_the_same(tmp_path):
    text = CUMULATIVE.format(votes="\n".join(f"v{i};A,B;0.5,1.25" for i in range(6)))
    election = parse_pabulib(text.replace("max_sum_points;3\n", "").encode(), "halves.pb").election()
    assert election.point_scale == 4 and ballots_of(election)[0] == [(0, 2), (1, 5)]
    assert concord_outcomes(election) == pabutools_utility_outcomes(election)


def test_an_election_whose_points_are_not_its_ballots_is_refused():
    projects = (Project("a", Fraction(1)),)
    ballots, marks = ballots_with_values([[0]], [[1]], 1)
    with pytest.raises(BudgetDataError, match="not those of the ballots"):
        Election(Fraction(1), projects, ballots, "cumulative", ballots_with_values([[]], [[]], 1)[1])
    with pytest.raises(BudgetDataError, match="twice"):
        ballots_with_values([[0, 0]], [[1, 1]], 1)
    assert Election(Fraction(1), projects, ballots, "cumulative", marks).values is marks


def concord(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "concord", *args], capture_output=True, text=True, timeout=300)


def test_concord_budget_names_the_satisfaction_that_decided(tmp_path):
    path = cumulative_file(tmp_path)
    summary = concord("budget", str(path))
    assert summary.returncode == 0, summary.stderr
    assert "Additive_Cardinal_Sat" in summary.stdout and "cumulative ballots" in summary.stdout
    assert "B Playground B · cost 60 · round 1: 3.75 per point" in summary.stdout
    assert "6 with 2 points paid 7.5 each; 4 with 1 point paid 3.75 each" in summary.stdout
    report = json.loads(concord("budget", str(path), "--json").stdout)
    assert report["satisfaction"] == "Additive_Cardinal_Sat" and report["vote_type"] == "cumulative"
    assert report["funded"] == ["B"]
    funded = next(item for item in report["explanation"] if item["project"] == "B")
    assert funded["per_supporter"] is None and funded["per_point"] == 3.75
    assert sum(p["each"] * p["voters"] for p in funded["payments"]) + funded["partial_paid"] == funded["cost"]
    ranked = tmp_path / "ranked.pb"
    ranked.write_text(write_pabulib(as_utility_pabulib(seeded(3, "ordinal"))), encoding="utf-8")
    summary = concord("budget", str(ranked))
    assert summary.returncode == 0 and "Additive_Borda_Sat" in summary.stdout and "per Borda point" in summary.stdout
    approval = tmp_path / "approval.pb"
    approval.write_text(path.read_text().replace("cumulative", "approval"), encoding="utf-8")
    assert "Cost_Sat" in concord("budget", str(approval)).stdout


@pytest.mark.parametrize("seed", range(4))
def test_points_scaled_by_one_factor_decide_the_same(seed):
    """Equal shares with utilities only compares prices, which scale together: every point times 10^15
    (sums past 2^53, kept in integers) funds the same projects, the same runs."""
    election = seeded(seed, "cumulative")
    assert election.values is not None
    scaled = election.values.copy()
    scaled.data = scaled.data * 10**15
    large = Election(election.budget, election.projects, election.ballots, "cumulative", scaled)
    assert concord_outcomes(large) == concord_outcomes(election)
    assert equal_shares_utilities_add_one(large).raises == equal_shares_utilities_add_one(election).raises
