"""``concord analyze`` and ``concord synth`` as a user runs them: a real process, real files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from concord.formats.polis import read_export
from conftest import DEMO, POLIS_DATA, needs


def concord(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "concord", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


@needs("vtaiwan.uberx")
def test_json_output_has_the_documented_shape():
    run = concord("analyze", str(POLIS_DATA / "vtaiwan.uberx"), "--json")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert (result["participants"], result["statements"], result["votes"]) == (1921, 119, 49443)
    assert result["statements_moderated_out"] == 78
    assert [g["id"] for g in result["groups"]] == [0, 1]
    everyone = [pid for g in result["groups"] for pid in g["participants"]]
    assert len(everyone) == len(set(everyone)) == result["clustered_participants"] == 1218
    for group in result["groups"]:
        assert group["size"] == len(group["participants"])
        for r in group["representative"]:
            assert r["direction"] in {"agree", "disagree"} and isinstance(r["statement"], int)
    consensus = result["consensus"]
    assert len(consensus) == 119
    assert [c["score"] for c in consensus] == sorted((c["score"] for c in consensus), reverse=True)
    assert consensus[0]["statement"] == 40 and consensus[0]["direction"] == "agree"
    assert "安全第一" in consensus[0]["text"]
    bridging = result["bridging"]
    assert [b["score"] for b in bridging] == sorted((b["score"] for b in bridging), reverse=True)
    assert set(bridging[0]) >= {"statement", "score", "factor", "ratings"}


def test_summary_names_groups_consensus_and_clustering():
    run = concord("analyze", str(DEMO))
    assert run.returncode == 0, run.stderr
    assert "334 participants" in run.stdout
    assert "2 opinion groups among 293 clustered participants" in run.stdout
    assert "Consensus across all opinion groups" in run.stdout
    assert "Group A" in run.stdout and "Group B" in run.stdout
    assert "multinationals" in run.stdout  # the top consensus statement's text


def test_html_report_is_self_contained(tmp_path):
    report = tmp_path / "report.html"
    run = concord("analyze", str(DEMO), "--html", str(report), "--json")
    assert run.returncode == 0, run.stderr
    html = report.read_text(encoding="utf-8")
    assert "<svg" in html and html.count("<circle") >= 293
    assert "Consensus across all opinion groups" in html and "Group B" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)  # nothing fetched from the network
    assert "<script" not in html


def test_declared_groups_file(tmp_path):
    run = concord("analyze", str(DEMO), "--json")
    ids = [pid for g in json.loads(run.stdout)["groups"] for pid in g["participants"]]
    groups_file = tmp_path / "regions.csv"
    rows = ["participant,region"] + [f"{pid},{'north' if i % 3 else 'south'}" for i, pid in enumerate(ids)]
    groups_file.write_text("\n".join([*rows, "999999,north"]) + "\n")
    run = concord("analyze", str(DEMO), "--json", "--groups-file", str(groups_file))
    assert run.returncode == 0, run.stderr
    declared = json.loads(run.stdout)["declared_groups"]
    assert [g["name"] for g in declared["groups"]] == ["north", "south"]
    assert sum(g["size"] for g in declared["groups"]) == len(ids)
    assert declared["participants_without_votes"] == 1
    assert len(declared["consensus"]) == json.loads(run.stdout)["statements"]


def test_progress_goes_to_stderr_only():
    run = concord("analyze", str(DEMO), "--json", "--progress")
    assert run.returncode == 0
    json.loads(run.stdout)
    assert "pca done" in run.stderr and "clustering done" in run.stderr


def test_more_dimensions_option():
    run = concord("analyze", str(DEMO), "--json", "--dimensions", "3")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["parameters"]["dimensions"] == 3


def test_synth_writes_an_export_that_analyze_reads(tmp_path):
    run = concord("synth", str(tmp_path / "s"), "--participants", "300", "--statements", "40", "--votes", "9000")
    assert run.returncode == 0, run.stderr
    result = json.loads(concord("analyze", str(tmp_path / "s"), "--json").stdout)
    assert result["participants"] == 300 and len(result["groups"]) == 3
    assert (tmp_path / "s" / "planted-groups.csv").read_text().startswith("participant,group")


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)


COMMENTS = "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n1,x,0,0,1,0,1,hello\n"


def bad_inputs(tmp: Path) -> dict[str, tuple[list[str], str]]:
    cases = {}
    cases["missing folder"] = ([str(tmp / "nope")], "no such folder")
    write(tmp / "empty", "readme.txt", "x")
    cases["no vote files"] = ([str(tmp / "empty")], "neither votes.csv nor participants-votes.csv")
    write(tmp / "columns", "votes.csv", "when,who,what\n1,2,3\n")
    cases["wrong columns"] = ([str(tmp / "columns")], "missing column(s) timestamp, comment-id, voter-id, vote")
    write(tmp / "text-id", "votes.csv", "timestamp,datetime,comment-id,voter-id,vote\n1,x,0,1,1\n2,x,0,alice,1\n")
    cases["non-numeric id"] = ([str(tmp / "text-id")], "line 3: column 'voter-id' must hold whole numbers, not 'alice'")
    write(tmp / "vote-value", "votes.csv", "timestamp,datetime,comment-id,voter-id,vote\n1,x,0,1,1\n2,x,0,2,5\n")
    cases["unknown vote"] = ([str(tmp / "vote-value")], "line 3: unknown vote value 5")
    write(tmp / "header-only", "votes.csv", "timestamp,datetime,comment-id,voter-id,vote\n")
    cases["empty conversation"] = ([str(tmp / "header-only")], "has no votes")
    write(tmp / "empty-file", "votes.csv", "")
    cases["empty file"] = ([str(tmp / "empty-file")], "is empty")
    write(tmp / "bad-comments", "votes.csv", "timestamp,datetime,comment-id,voter-id,vote\n1,x,0,1,1\n")
    write(tmp / "bad-comments", "comments.csv", COMMENTS.replace(",1,hello", ",7,hello"))
    cases["bad moderation"] = ([str(tmp / "bad-comments")], "moderated must be 1, 0 or -1")
    write(tmp / "groups", "g.csv", "participant,group\nbob,north\n")
    cases["bad groups file"] = (
        [str(DEMO), "--groups-file", str(tmp / "groups" / "g.csv")],
        "participant id must be a whole number",
    )
    cases["missing groups file"] = ([str(DEMO), "--groups-file", str(tmp / "none.csv")], "no such groups file")
    cases["bad parameter"] = ([str(DEMO), "--dimensions", "1"], "dimensions must be between 2 and 20")
    cases["unwritable report"] = ([str(DEMO), "--html", str(tmp / "no-dir" / "r.html")], "No such file or directory")
    return cases


@pytest.mark.parametrize(
    "case",
    [
        "missing folder",
        "no vote files",
        "wrong columns",
        "non-numeric id",
        "unknown vote",
        "empty conversation",
        "empty file",
        "bad moderation",
        "bad groups file",
        "missing groups file",
        "bad parameter",
        "unwritable report",
    ],
)
def test_bad_input_gets_one_clear_message_and_exit_code_2(tmp_path, case):
    args, message = bad_inputs(tmp_path)[case]
    run = concord("analyze", *args)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert run.stderr.startswith("concord: error:")
    assert message in run.stderr
    assert run.stdout == ""


def test_decide_an_export_under_every_rule_with_declared_groups(tmp_path):
    ids = read_export(DEMO).votes.participant_ids.tolist()
    groups_file = tmp_path / "region.csv"
    groups_file.write_text("".join(f"{pid},{'north' if i % 3 else 'south'}\n" for i, pid in enumerate(ids)))
    passed = {}
    for rule in ("majority", "consensus", "mutual-veto", "concurrent-majority", "parallel-consent",
                 "weighted-majority"):  # fmt: skip
        run = concord("decide", str(DEMO), "--rule", rule, "--groups-file", str(groups_file), "--json")
        assert run.returncode == 0, run.stderr
        body = json.loads(run.stdout)
        assert body["rule"] == rule and body["counts"]["pass"] + body["counts"]["fail"] + body["counts"][
            "undecided"
        ] == len(body["proposals"])
        proposal = body["proposals"][0]
        assert {"statement", "text", "outcome", "explanation", "majority", "decisive", "checks"} <= set(proposal)
        passed[rule] = body["counts"]["pass"]
    assert all(count <= passed["majority"] for rule, count in passed.items() if rule != "weighted-majority")


def test_decide_across_places_from_reported_tallies(tmp_path):
    tallies = tmp_path / "provinces.csv"
    tallies.write_text("space,weight,agree,disagree,population\nHerat,1,60,40,2000\nKabul,1,30,70,4000\n"
                       "Balkh,0.5,55,45,\nBamyan,1,0,0,300\n")  # fmt: skip
    waiting = json.loads(concord("decide", "--tallies", str(tallies), "--rule", "double-majority", "--json").stdout)
    assert waiting["outcome"] == "undecided" and waiting["parameters"]["silent"] == "wait"  # Bamyan could tip it
    run = concord("decide", "--tallies", str(tallies), "--rule", "double-majority", "--param", "silent=against",
                  "--json")  # fmt: skip
    assert run.returncode == 0, run.stderr
    body = json.loads(run.stdout)
    assert body["outcome"] == "fail" and body["silent"] == ["Bamyan"] and body["popular_majority"] == "fail"
    assert body["detail"]["places_for"] == 1.5 and body["detail"]["places_total"] == 3.5
    quota = concord("decide", "--tallies", str(tallies), "--rule", "places-quota", "--param", "quota=2")
    assert quota.returncode == 0
    said = "places-quota: Passes: it passes in 2 of 4 places (3 decided), and 48 % of all votes agree (145 of 300).\n"
    assert quota.stdout == said


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--rule", "majority"], "give either an export folder or --tallies"),
        (["{demo}", "--rule", "plurality"], "an export is decided by one of majority"),
        (["{demo}", "--rule", "consensus", "--param", "threshold=2"], "threshold must be between 0.5 and 1"),
        (["{demo}", "--rule", "consensus", "--param", "threshold"], "write it as NAME=VALUE"),
        (["{demo}", "--rule", "consensus", "--param", "colour=red"], "consensus takes no parameter colour"),
        (["--tallies", "{bad}", "--rule", "all-places"], "line 2: expected space,weight,agree,disagree"),
        (["--tallies", "{bad}", "--rule", "majority"], "--tallies decides across places"),
    ],
)
def test_decide_refuses_bad_input_with_one_line(tmp_path, arguments, message):
    bad = tmp_path / "bad.csv"
    bad.write_text("space,weight,agree,disagree\nHerat,1,60\n")
    run = concord("decide", *(a.format(demo=DEMO, bad=bad) for a in arguments))
    assert run.returncode == 2 and message in run.stderr and len(run.stderr.strip().splitlines()) == 1, run.stderr


def test_decide_counts_a_bloc_of_accounts_once_and_says_so(tmp_path):
    """An export with a bloc of 7 accounts made within minutes, against everything: `concord decide`
    counts it once (the proposal both real groups support passes), --count-blocs counts each account
    (the bloc then vetoes it as a group of its own), and both say what they found."""
    from concord.formats.polis import Statement, VoteEvents
    from concord.formats.polis_writer import write_export
    from planted import majority_and_minority

    matrix, arrival, both, _ = majority_and_minority(3, real=60, bloc=0.1, bloc_vote=-1)
    rows = matrix.vote_rows
    events = VoteEvents(matrix.participant_ids[rows], matrix.statement_ids[matrix.indices], matrix.values,
                        arrival[matrix.participant_ids[rows]] + 1_700_000_000_000)  # fmt: skip
    statements = [Statement(int(s), f"Statement {s}") for s in matrix.statement_ids]
    write_export(tmp_path / "export", events, statements, topic="A planted bloc")
    once = json.loads(concord("decide", str(tmp_path / "export"), "--rule", "mutual-veto", "--json").stdout)
    assert once["blocs_counted"] == "once" and [b["participants"] for b in once["blocs"]] == [list(range(60, 67))]
    outcome = {p["statement"]: p["outcome"] for p in once["proposals"]}
    assert [outcome[s] for s in both] == ["pass"] * 5
    full = concord("decide", str(tmp_path / "export"), "--rule", "mutual-veto", "--count-blocs")
    assert full.returncode == 0 and "1 suspected bloc(s) of 7 accounts" in full.stdout
    assert full.stdout.count("Does not pass") >= 5
