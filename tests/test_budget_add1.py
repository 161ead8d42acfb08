"""add1 in one run per stretch of raises over which equal shares stays the same, and still exactly
pabutools' ``voter_budget_increment=1``:

- every run's certificate is sound: equal shares funds the same projects in the same order at every
  raise it skips (checked raise by raise), on random elections with large shares, on ties and on
  projects that become affordable exactly at a raise; the raise kept is the one a search one raise at
  a time keeps; a run far ahead that shows a stretch the same is right at the raises in it;
- pabutools itself gives the same outcome on random elections with hundreds of raises, and on every
  real pabulib file where it finishes (its outcomes recorded in tests/data/pabulib_pabutools.json by
  ``python bench/budgets.py --record …``; the two Hungarian files, where it would take hours, by a
  search one raise at a time, and pabutools' own runs at the share kept and the next, where it stops);
- the search with helper processes keeps the same run, and its helpers end with it, however it ends."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budget_helpers import as_pabulib, pabutools_outcomes
from concord.engine.budgets.election import Election, Project, ballots_from_lists
from concord.engine.budgets.equal_shares import _AddOne, _Run, equal_shares_add_one
from concord.engine.budgets.outcome import decide_budget
from concord.engine.budgets.synthetic import planted_budget
from concord.formats.pabulib import read_pabulib, write_pabulib

ROOT = Path(__file__).resolve().parents[1]
PABULIB = Path(os.environ.get("CONCORD_PABULIB_DATA", ROOT.parent / "shared" / "data" / "pabulib"))
RECORDED = ROOT / "tests" / "data" / "pabulib_pabutools.json"


def funded_at(search: _AddOne, raises: int) -> tuple[int, ...]:
    return tuple(_Run(search.ballots, search.base + raises).run().funded)


def stepwise(search: _AddOne) -> int:
    """add1 as pabutools searches: every raise from 0, until one over the budget or with nothing left
    that fits."""
    raises = 0
    while (ends := search.ends(list(funded_at(search, raises)))) is None:
        raises += 1
    return raises - 1 if ends == "over" else raises


def check_every_skipped_raise(election: Election) -> None:
    """Walk the search's runs, checking that each run's outcome holds at the raises it skips (every one,
    or in a long stretch its first and last hundred and every 37th); the raise kept must be the one a
    search one raise at a time keeps."""
    search = _AddOne(election)
    raises = 0
    while True:
        tried = search.tried(raises)
        if tried.ends is not None:
            break
        assert tried.changes_at is not None and tried.changes_at > raises
        skipped = range(raises + 1, tried.changes_at)
        if len(skipped) > 300:
            skipped = [*skipped[:100], *skipped[100:-100:37], *skipped[-100:]]
        for at in skipped:
            assert funded_at(search, at) == tried.funded, (raises, at, tried.changes_at)
        raises = tried.changes_at
    kept = search.kept(tried, raises)
    assert kept == stepwise(search)
    assert equal_shares_add_one(election).raises == kept


@st.composite
def large_share_elections(draw, ties: bool = False) -> Election:
    """A few voters and projects, costs in hundreds to thousands: shares raised hundreds of times."""
    count = draw(st.integers(2, 7))
    unit = draw(st.sampled_from([10, 100, 250]))
    costs = [draw(st.integers(1, 40)) * unit for _ in range(count)]
    if ties:  # projects alike in cost, ids that sort differently as text
        costs = [costs[i % 2] for i in range(count)]
    names = [draw(st.sampled_from(["p", "q", "1", "10", "9"])) + str(i) for i in range(count)]
    projects = tuple(Project(names[i], Fraction(costs[i])) for i in range(count))
    ballot = st.lists(st.integers(0, count - 1), min_size=1, max_size=count, unique=True)
    if ties:
        shapes = draw(st.lists(ballot, min_size=1, max_size=3))
        lists = draw(st.lists(st.sampled_from(shapes), min_size=2, max_size=25))
    else:
        lists = draw(st.lists(ballot, min_size=2, max_size=25))
    budget = Fraction(draw(st.integers(sum(costs) // 4, sum(costs))) + draw(st.sampled_from([0, Fraction(1, 3)])))
    return Election(budget, projects, ballots_from_lists(lists, count))


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(election=large_share_elections())
def test_every_raise_skipped_gives_the_run_it_skipped_for(election):
    check_every_skipped_raise(election)


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(election=large_share_elections(ties=True))
def test_ties_hold_or_flip_where_the_certificate_says(election):
    check_every_skipped_raise(election)


def test_a_project_affordable_exactly_at_a_raise():
    """Ten voters, budget 100 (share 10). "a" (90) has six supporters: affordable exactly at raise 5, each
    paying all of their 15; "s" (8) has the four others. Up to raise 4 only "s" is funded, and "a" would
    still fit: add1 goes on; at raise 5 both are, and nothing is left out: add1 keeps raise 5 (its first
    run after raise 0, the certificate saying exactly where "a" becomes affordable)."""
    projects = (Project("a", Fraction(90)), Project("s", Fraction(8)))
    election = Election(Fraction(100), projects, ballots_from_lists([[0]] * 6 + [[1]] * 4, 2))
    search = _AddOne(election)
    assert search.tried(0).changes_at == 5
    assert funded_at(search, 4) == (1,) and funded_at(search, 5) == (0, 1)
    check_every_skipped_raise(election)
    assert equal_shares_add_one(election).runs <= 3  # at 0, at 5 (and maybe one far ahead, to no avail)
    assert pabutools_outcomes(election)["add1"] == ["a", "s"]


def test_runs_are_far_fewer_than_raises_where_shares_are_large():
    election = planted_budget(300, 12, seed=4, costs=(2_000_000, 20_000_000)).election
    added = equal_shares_add_one(election)
    assert added.raises > 5000 and added.runs < added.raises / 100
    assert added.stepwise_runs == added.raises + 1 or added.stepwise_runs == added.raises + 2


@pytest.mark.parametrize("seed", [1, 5, 7, 8, 10, 11])  # 50 to 550 raises
def test_add1_with_hundreds_of_raises_is_pabutools_add1(seed):
    import random

    rng = random.Random(seed)
    count = rng.randint(3, 6)
    projects = tuple(Project(f"p{i}", Fraction(rng.randint(5, 60) * 100)) for i in range(count))
    lists = [rng.sample(range(count), rng.randint(1, count)) for _ in range(rng.randint(5, 14))]
    election = Election(Fraction(sum(int(p.cost) for p in projects) // 2), projects, ballots_from_lists(lists, count))
    ours = decide_budget(election)
    ids = [project.id for project in projects]
    theirs = pabutools_outcomes(election)
    assert [ids[i] for i in equal_shares_add_one(election).run.funded] == theirs["add1"]
    assert [ids[i] for i in ours.funded] == theirs["decided"]
    assert ours.raises >= 50 and ours.runs < ours.raises / 10


@pytest.mark.parametrize(
    "voters, projects, costs",
    [(800, 24, (500_000, 5_000_000)), (1500, 30, (20_000, 200_000))],
    ids=["long stretches", "changes at every unit or two"],
)
def test_the_search_with_helpers_keeps_the_same_run(voters, projects, costs):
    election = planted_budget(voters, projects, seed=3, costs=costs).election
    alone, helped = _AddOne(election), _AddOne(election)
    assert helped.search(workers=3, alone_for=0.0) == alone.search()
    assert alone.runs > 20


# --- real files -----------------------------------------------------------------------------------------


def recorded() -> dict:
    return json.loads(RECORDED.read_text(encoding="utf-8")) if RECORDED.is_file() else {}


def real_files() -> list[Path]:
    return sorted(PABULIB.glob("*.pb")) if PABULIB.is_dir() else []


@pytest.mark.parametrize("path", real_files() or [None], ids=lambda p: p.stem if p else "none")
def test_a_real_file_is_decided_as_pabutools_decides_it(path):
    """Every file in ``../shared/data/pabulib`` ($CONCORD_PABULIB_DATA) against pabutools' recorded outcome
    (its sha256 must match: a changed file is compared with pabutools afresh, by test_budget_engine)."""
    if path is None:
        pytest.skip(f"no pabulib files at {PABULIB}")
    import hashlib

    entry = recorded().get(path.name)
    if entry is None or entry["sha256"] != hashlib.sha256(path.read_bytes()).hexdigest():
        pytest.skip("no outcome of pabutools recorded for this file (python bench/budgets.py --record)")
    election = read_pabulib(path, strict=False).election()
    if election.voters * len(election.projects) > 400_000 and not os.environ.get("CONCORD_PABULIB_ALL"):
        pytest.skip("over 400,000 voters × projects: seconds of runs (CONCORD_PABULIB_ALL=1 to include)")
    outcome = decide_budget(election, workers=2)
    ids = [project.id for project in election.projects]
    assert outcome.raises == entry["raises"]
    equal = [ids[i] for i in outcome.funded[: sum(p.how == "equal-shares" for p in outcome.projects)]]
    assert equal == entry["add1"]
    if entry["by"] == "pabutools":
        assert [ids[i] for i in outcome.funded] == entry["decided"]
    else:  # pabutools runs for hours here: one raise at a time, and pabutools' own runs where it stops
        assert equal == entry["pabutools_at_kept"]
        cost = {project.id: project.cost for project in election.projects}
        spent, spent_next = (sum(cost[p] for p in entry[key]) for key in ("pabutools_at_kept", "pabutools_at_next"))
        listed = set(election.ballots.indices.tolist())
        fits = [p for p in ids if p not in equal and ids.index(p) in listed and spent + cost[p] <= election.budget]
        assert spent <= election.budget and (not fits or spent_next > election.budget)


# --- the helpers end with the search --------------------------------------------------------------------


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == str(pid) and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_helpers_end_when_the_search_is_killed(tmp_path):
    """``concord budget --workers 2`` killed from outside (SIGKILL, as a timeout does): no helper goes on."""
    planted = planted_budget(3000, 60, seed=3, costs=(2_000_000, 20_000_000))  # add1: over a thousand runs
    path = tmp_path / "long.pb"
    path.write_text(write_pabulib(as_pabulib(planted.election)), encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "concord", "budget", str(path), "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not (helpers := children(process.pid)) and time.monotonic() < deadline:
            assert process.poll() is None, "ended before its helpers started"
            time.sleep(0.05)
        assert helpers, "no helper process started"
        time.sleep(0.5)  # the helpers at work
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        deadline = time.monotonic() + 5
        while any(alive(pid) for pid in helpers) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [pid for pid in helpers if alive(pid)]
        for pid in left:  # not to leave them running if the test fails
            os.kill(pid, signal.SIGKILL)
        assert not left, f"helpers {left} outlived the search"
    finally:
        if process.poll() is None:
            process.kill()


@pytest.mark.parametrize("seed, voters, projects", [(7, 600, 20), (3, 400, 16)])
def test_a_run_far_ahead_shows_the_stretch_before_it_the_same(seed, voters, projects):
    """Along one order of funding, every voter's money only grows with the share: a run at a larger share
    that funds the same projects in the same order, every other project it could fund priced above the
    smaller share's price round by round, holds at every raise between. Checked at the ends of each
    stretch so shown and at 25 raises drawn in it, on planted elections with large shares."""
    import random

    planted = planted_budget(voters, projects, seed=seed, costs=(1_000_000, 10_000_000))
    search = _AddOne(planted.election)
    kept = search.search()
    assert search.walk is not None
    shown = [tried for tried in search.walk.known if tried.same_since is not None]
    assert shown, "no stretch shown the same"
    draw = random.Random(seed)
    for tried in shown:
        assert tried.changes_at is not None
        start, end = tried.same_since, tried.changes_at
        for at in {start, start + 1, end - 2, end - 1, *(draw.randrange(start, end) for _ in range(25))}:
            assert funded_at(search, at) == tried.funded, (start, tried.raises, end, at)
    plain = _AddOne(planted.election)  # one run after another at the raises where each might change
    raises, tried = 0, plain.tried(0)
    while tried.ends is None:
        assert tried.changes_at is not None
        raises = tried.changes_at
        tried = plain.tried(raises)
    assert plain.kept(tried, raises) == kept
