"""``concord budget FILE.pb``: the outcome and the fairness report of a pabulib file, as a person reads it
and as JSON; bad files end with one line naming the line at fault, exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from budget_helpers import as_pabulib, pabutools_outcomes
from concord.engine.budgets.synthetic import planted_budget
from concord.formats.pabulib import write_pabulib


def concord(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "concord", *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def planted_file(tmp_path_factory):
    planted = planted_budget(1200, 16, seed=4, costs=(20_000, 90_000))
    rng = np.random.default_rng(4)
    attributes = {
        "district": [f"district {g + 1}" for g in planted.group_of_voter],
        "age": [str(age) for age in rng.integers(16, 90, size=planted.election.voters)],
        "sex": list(rng.choice(["M", "F"], size=planted.election.voters)),
    }
    path = tmp_path_factory.mktemp("pb") / "planted.pb"
    path.write_text(write_pabulib(as_pabulib(planted.election, attributes)), encoding="utf-8")
    return path, planted


def test_json_gives_the_outcome_greedy_and_the_fairness_report(planted_file):
    path, planted = planted_file
    run = concord("budget", str(path), "--json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    expected = pabutools_outcomes(planted.election)
    assert report["funded"] == expected["decided"] and report["greedy"] == expected["greedy"]
    assert report["budget"] == int(planted.election.budget) and report["spent"] <= report["budget"]
    costs = {project.id: int(project.cost) for project in planted.election.projects}
    assert report["spent"] == sum(costs[p] for p in report["funded"])
    attributes = {row["attribute"] for row in report["fairness"]}
    assert attributes == {"opinion group", "district", "age", "sex"}
    for attribute in attributes:
        rows = [row for row in report["fairness"] if row["attribute"] == attribute]
        assert sum(row["voters"] for row in rows) <= planted.election.voters
        # every funded project has approvers, so all the money is credited to some group
        assert sum(row["equal_shares"] for row in rows) == pytest.approx(1.0, abs=1e-6)
    assert {row["group"] for row in report["fairness"] if row["attribute"] == "age"} <= {
        "under 25", "25–34", "35–44", "45–54", "55–64", "65 and over"
    }  # fmt: skip
    explained = {item["project"]: item for item in report["explanation"]}
    for project in report["funded"]:
        item = explained[project]
        assert item["funded"] and item["how"] in ("equal-shares", "completion")
        if item["how"] == "equal-shares":  # its supporters paid for it, to the cent
            paid = item["full_payers"] * item["per_supporter"] + item["partial_paid"]
            assert paid == pytest.approx(item["cost"], abs=0.01 * item["full_payers"] + 0.01)
    for item in report["explanation"]:
        if not item["funded"] and item["votes"]:
            assert item["why"] == "out-of-reach" and item["supporters_had"] < item["cost"]


def test_the_summary_says_what_equal_shares_changed(planted_file):
    path, _ = planted_file
    run = concord("budget", str(path))
    assert run.returncode == 0, run.stderr
    assert "what equal shares changed:" in run.stdout and "fairness" in run.stdout
    assert "opinion group" in run.stdout and "district 1" in run.stdout


GOOD = """META
key;value
budget;100
vote_type;approval
max_length;2
max_sum_cost;80
PROJECTS
project_id;cost;name
1;50;Well
2;30;School
3;40;Clinic
VOTES
voter_id;vote;age
v1;1,2;30
v2;3;41
"""


@pytest.mark.parametrize(
    "change, message",
    [
        (("budget;100", "budget;0"), "line 3: the budget must be more than 0"),
        (("budget;100", "budget;lots"), "line 3: the budget must be a number"),
        (("1;50;Well", "1;-50;Well"), "line 9: project 1 must cost more than 0"),
        (("2;30;School", "2;0;School"), "line 10: project 2 must cost more than 0"),
        (("v2;3;41", "v2;7;41"), "line 15: a vote for project 7, which is not in PROJECTS"),
        (("v1;1,2;30", "v1;1,2,3;30"), "line 14: the ballot lists 3 projects, more than max_length 2"),
        (("v1;1,2;30", "v1;1,3;30"), "line 14: the ballot's projects cost 90, over max_sum_cost 80"),
        (("v1;1,2;30", "v1;1,1;30"), "line 14: a ballot lists a project twice"),
        (("3;40;Clinic", "2;40;Clinic"), "line 11: project 2 is listed twice (line 10)"),
        (("vote_type;approval", "vote_type;lottery"), "line 4: vote_type must be one of"),
        (("PROJECTS\n", ""), "line 7: META lines are key;value"),
        (("v2;3;41", "v2;3"), "line 15: 2 fields where the header has 3"),
        (("v2;3;41", "v1;3;41"), "voter v1 votes twice"),
    ],
)
def test_a_bad_pabulib_file_ends_with_one_line_naming_its_line(tmp_path, change, message):
    old, new = change
    path = tmp_path / "bad.pb"
    path.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    run = concord("budget", str(path), "--strict")  # --strict: a ballot over the file's limits too
    assert run.returncode == 2, run.stdout
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("concord: error: ") and message in lines[0], lines
    assert "Traceback" not in run.stderr


def test_a_good_small_file_and_a_missing_one(tmp_path):
    path = tmp_path / "good.pb"
    path.write_text(GOOD, encoding="utf-8")
    report = json.loads(concord("budget", str(path), "--json").stdout)
    assert report["budget"] == 100 and set(report["funded"]) <= {"1", "2", "3"}
    missing = concord("budget", str(tmp_path / "nope.pb"))
    assert missing.returncode == 2 and "no such .pb file" in missing.stderr


@pytest.mark.parametrize(
    "change, note",
    [
        (("v1;1,2;30", "v1;1,2,3;30"), "line 14: the ballot lists 3 projects, more than max_length 2"),
        (("v1;1,2;30", "v1;1,3;30"), "line 14: the ballot's projects cost 90, over max_sum_cost 80"),
    ],
)
def test_a_ballot_over_the_files_own_limits_is_kept_as_published(tmp_path, change, note):
    """Real pabulib files have such ballots (Warszawa 2018, Obszar 2: one over max_sum_cost), and pabutools
    decides with them: decided, with one note on stderr; the JSON lists them."""
    old, new = change
    path = tmp_path / "over.pb"
    path.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    run = concord("budget", str(path), "--json")
    assert run.returncode == 0, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("concord: note: ") and note in lines[0], lines
    report = json.loads(run.stdout)
    assert note in report["rule_breaks"] and report["runs"] >= 1 and report["stepwise_runs"] >= report["runs"]
