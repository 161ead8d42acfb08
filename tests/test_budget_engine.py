"""Concord's Method of Equal Shares gives pabutools' outcome, exactly: on random elections, on elections
built for ties (identical projects, identical ballots, numeric ids that sort differently as text), on
decimal costs, on planted groups, and on any pabulib file in $CONCORD_PABULIB_DATA (cumulative and
ordinal ones with the utilities of their points or ranks, as tests/test_budget_utilities.py). And what
equal shares is for: an 80/20 population where each group approves only its own projects."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budget_helpers import as_pabulib, pabutools_election, pabutools_outcomes
from concord.engine.budgets.election import BudgetDataError, Election, Project, ballots_from_lists, distinct_ballots
from concord.engine.budgets.equal_shares import equal_shares, equal_shares_add_one
from concord.engine.budgets.equal_shares_utilities import decided_by_utilities
from concord.engine.budgets.fairness import fairness
from concord.engine.budgets.groups import ballot_groups
from concord.engine.budgets.outcome import decide_budget
from concord.engine.budgets.synthetic import planted_budget
from concord.formats.pabulib import parse_pabulib, read_pabulib, write_pabulib

EXAMPLES = 150


def concord_outcomes(election: Election) -> dict[str, list[str]]:
    ids = [project.id for project in election.projects]
    decided = decide_budget(election)
    return {
        "equal_shares": [ids[i] for i in equal_shares(election).funded],
        "add1": [ids[i] for i in equal_shares_add_one(election).run.funded],
        "decided": [ids[i] for i in decided.funded],
        "greedy": [ids[i] for i in decided.greedy],
    }


@st.composite
def elections(draw, costs=(1, 2, 3, 5, 7, 10, 20, 30, 50), ids=None, templates: int | None = None) -> Election:
    count = draw(st.integers(1, 9))
    names = ids or [f"{draw(st.sampled_from(['p', 'q', '1', '2', '10']))}{i}" for i in range(count)]
    count = min(count, len(names))
    projects = tuple(Project(names[i], Fraction(draw(st.sampled_from(costs)))) for i in range(count))
    ballot = st.lists(st.integers(0, count - 1), max_size=count, unique=True)
    if templates:  # few distinct ballots, repeated: ties in every round
        shapes = draw(st.lists(ballot, min_size=1, max_size=templates))
        lists = draw(st.lists(st.sampled_from(shapes), min_size=1, max_size=40))
    else:
        lists = draw(st.lists(ballot, min_size=1, max_size=30))
    budget = Fraction(draw(st.sampled_from([7, 10, 30, 37, 50, 61, 100])))
    return Election(budget, projects, ballots_from_lists(lists, count))


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(election=elections())
def test_random_elections_are_decided_as_pabutools_decides_them(election):
    assert concord_outcomes(election) == pabutools_outcomes(election)


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(election=elections(costs=(10, 20), ids=["9", "10", "1", "100", "2", "20", "3"], templates=3))
def test_ties_are_broken_as_pabutools_breaks_them(election):
    """Projects of two costs, ballots of three kinds: most rounds are exact ties, broken by id as text
    ("10" before "9"), including ties between projects whose supporters are partly out of money."""
    assert concord_outcomes(election) == pabutools_outcomes(election)


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(election=elections(costs=(Fraction(25, 2), Fraction(101, 4), Fraction(333, 100), Fraction(7, 3))))
def test_decimal_costs_are_exact(election):
    assert concord_outcomes(election) == pabutools_outcomes(election)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_planted_elections_of_thousands_of_voters_are_decided_as_pabutools_decides_them(seed):
    planted = planted_budget(2000, 20, shares=(0.6, 0.3, 0.1), seed=seed, costs=(20_000, 120_000))
    assert concord_outcomes(planted.election) == pabutools_outcomes(planted.election)


def test_every_voter_out_of_money_and_a_project_exactly_affordable():
    """Boundaries decided exactly: two supporters with 5 each and a project costing exactly 10 (affordable,
    both pay all they have), then nothing left for a project of 1."""
    election = Election(
        Fraction(10), (Project("a", Fraction(10)), Project("b", Fraction(1))), ballots_from_lists([[0, 1], [0, 1]], 2)
    )
    run = equal_shares(election)
    assert run.funded == [1, 0] or run.funded == [0]
    assert concord_outcomes(election) == pabutools_outcomes(election)


def test_the_80_20_population_equal_shares_gives_the_minority_its_fifth():
    """800 voters approve the majority's ten projects and nothing else (a few skip one), 200 the
    minority's ten; each costs 100,000 and the budget is 1,000,000. Greedy by votes funds the
    majority's ten; equal shares gives the minority about a fifth."""
    rng = np.random.default_rng(7)

    def own(first: int) -> list[int]:
        skipped = rng.integers(0, 40)  # one in four skips a project
        return [first + j for j in range(10) if j != skipped]

    lists = [own(0) for _ in range(800)] + [own(10) for _ in range(200)]
    projects = tuple(Project(f"{'M' if i < 10 else 'm'}{i % 10}", Fraction(100_000)) for i in range(20))
    election = Election(Fraction(1_000_000), projects, ballots_from_lists(lists, 20))
    outcome = decide_budget(election)
    minority = [i for i in outcome.funded if i >= 10]
    assert [i for i in outcome.greedy if i >= 10] == []  # greedy: the majority takes everything
    assert len(minority) == 2 and outcome.spent == 1_000_000  # equal shares: 200,000 of 1,000,000
    groups = {"community": ["majority"] * 800 + ["minority"] * 200}
    rows = {row.group: row for row in fairness(election, outcome.funded, outcome.greedy, groups)}
    assert rows["minority"].voter_share == 0.2
    assert rows["minority"].equal_shares == pytest.approx(0.2, abs=0.05)
    assert rows["minority"].greedy == 0.0
    assert concord_outcomes(election) == pabutools_outcomes(election)


def test_opinion_groups_are_found_in_the_ballots():
    planted = planted_budget(4000, 30, shares=(0.7, 0.3), other=0.0, seed=5)
    labels = ballot_groups(planted.election.ballots)
    found = labels >= 0
    assert found.mean() > 0.99
    agree = (labels[found] == planted.group_of_voter[found]).mean()
    assert max(agree, 1 - agree) > 0.98  # the planted split, up to the groups' names


def test_identical_ballots_are_counted_once_with_their_weight():
    ballots = ballots_from_lists([[0, 1], [1], [0, 1], [], [1], [0, 1]], 3)
    distinct = distinct_ballots(ballots)
    assert sorted(distinct.weights.tolist()) == [1, 2, 3]
    assert distinct.weights[distinct.of_voter].tolist() == [3, 2, 3, 1, 2, 3]


@pytest.mark.parametrize(
    "budget, cost, message",
    [
        (Fraction(0), Fraction(1), "budget must be more than 0"),
        (Fraction(10), Fraction(-1), "cost must be more than 0"),
    ],
)
def test_an_election_that_cannot_be_decided_is_refused(budget, cost, message):
    with pytest.raises(BudgetDataError, match=message):
        Election(budget, (Project("a", cost),), ballots_from_lists([[0]], 1))


# --- any pabulib file ---------------------------------------------------------------------------------


def recorded_by_pabutools(path: Path) -> bool:
    import hashlib
    import json

    table = Path(__file__).parent / "data" / "pabulib_pabutools.json"
    entry = json.loads(table.read_text(encoding="utf-8")).get(path.name) if table.is_file() else None
    return entry is not None and entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def pabulib_files() -> list[Path]:
    folder = os.environ.get("CONCORD_PABULIB_DATA")
    return sorted(Path(folder).glob("*.pb")) if folder else []


@pytest.mark.parametrize("path", pabulib_files() or [None], ids=lambda p: p.name if p else "none")
def test_any_pabulib_file_is_decided_as_pabutools_decides_it(path, tmp_path):
    """Run on every .pb file in $CONCORD_PABULIB_DATA (real pabulib instances are not shipped: no
    licence is stated); without it, on planted elections written as .pb files."""
    from pabutools.election import parse_pabulib as pabutools_parse

    if path is None:
        planted = planted_budget(1500, 18, seed=11, costs=(20_000, 90_000))
        groups = {"district": [f"d{g}" for g in planted.group_of_voter]}
        path = tmp_path / "planted.pb"
        path.write_text(write_pabulib(as_pabulib(planted.election, groups)), encoding="utf-8")
    elif recorded_by_pabutools(path):
        pytest.skip("compared with pabutools' recorded outcome by test_budget_add1 (pabutools takes long)")
    parsed = read_pabulib(path, strict=False)  # ballots over the file's own limits too, as pabutools
    election = parsed.election()
    instance, _ = pabutools_parse(str(path))
    theirs_instance, _ = pabutools_election(election)
    assert {p.name for p in instance} == {p.name for p in theirs_instance}
    if decided_by_utilities(election):  # points or ranks: equal shares with their utilities
        from budget_utility_helpers import pabutools_utility_outcomes
        from test_budget_utilities import concord_outcomes as utility_outcomes

        assert utility_outcomes(election) == pabutools_utility_outcomes(election)
    else:
        assert concord_outcomes(election) == pabutools_outcomes(election)
    assert parse_pabulib(write_pabulib(parsed).encode(), "again.pb", strict=False) == parsed  # lossless


def test_add1_searched_by_two_processes_keeps_the_same_run():
    planted = planted_budget(3000, 30, seed=9, costs=(20_000, 60_000))
    alone, together = decide_budget(planted.election), decide_budget(planted.election, workers=2)
    assert together.funded == alone.funded and together.raises == alone.raises and together.share == alone.share
    assert together.raises > 10  # enough raises for the two processes to share the search
