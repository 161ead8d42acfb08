"""``concord budget FILE.pb --json`` against pabutools (the reference implementation) on real pabulib files:
per file, the equal-shares runs each computes, whole-process seconds and peak memory, and whether they
fund the same projects. pabutools runs with a time limit, in its own process, the way its users run it
(parse the .pb, collapse identical ballots, ``method_of_equal_shares`` with the satisfaction of the
file's ballots — ``Cost_Sat`` for approval and choose-1, ``Additive_Cardinal_Sat`` for cumulative and
scoring, ``Additive_Borda_Sat`` for ordinal, as Concord — and ``voter_budget_increment=1``, completed by
``greedy_utilitarian_welfare``), its runs counted.

    python bench/budgets.py                           # every .pb in ../shared/data/pabulib ($CONCORD_PABULIB_DATA)
    python bench/budgets.py --data DIR --pabutools-timeout 300
    python bench/budgets.py --only Hungary            # files whose name contains this
    python bench/budgets.py --record tests/data/pabulib_pabutools.json   # also write pabutools' outcomes
    python bench/budgets.py --synthetic 1k,10k,100k   # planted elections instead (bench/out/)

``--record`` writes, for every file, pabutools' outcome where it finished in time, else (``--stepwise``)
what a search one raise at a time gives with Concord's runs (and pabutools' own run at the share kept);
tests/test_budget_add1.py compares Concord with it. Concord uses one process per core (--workers 0);
its peak memory is the main process's (the workers are forks sharing its pages).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

from measure import measure, median_run, table

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))
CACHE = HERE / "out"
SIZES = {"1k": (1_000, 50), "10k": (10_000, 100), "100k": (100_000, 200)}
DATA = Path(os.environ.get("CONCORD_PABULIB_DATA", ROOT.parent / "shared" / "data" / "pabulib"))


# --- pabutools, in its own process ---------------------------------------------------------------------


def pabutools_main(path: str) -> None:
    """``--pabutools FILE``: pabutools' outcome on a file, as JSON, with the equal-shares runs it computed."""
    import pabutools.election as pabutools_election
    from pabutools.election import Cost_Sat, parse_pabulib
    from pabutools.rules import completion_by_rule_combination, greedy_utilitarian_welfare, method_of_equal_shares
    from pabutools.rules.mes import mes_rule

    from concord.engine.budgets.equal_shares_utilities import satisfaction_of

    runs, depth = [0], [0]
    inner = mes_rule.mes_inner_algo

    def counted(*args, **kwargs):  # one call per run; it calls itself once per round
        runs[0] += depth[0] == 0
        depth[0] += 1
        try:
            return inner(*args, **kwargs)
        finally:
            depth[0] -= 1

    mes_rule.mes_inner_algo = counted
    add1: list[str] = []

    def equal_shares(*args, **kwargs):
        outcome = method_of_equal_shares(*args, **kwargs)
        add1[:] = [project.name for project in outcome]
        return outcome

    instance, profile = parse_pabulib(path)
    sat_name = satisfaction_of(instance.meta["vote_type"])
    sat = getattr(pabutools_election, sat_name)
    decided = completion_by_rule_combination(
        instance,
        profile.as_multiprofile(),
        [equal_shares, greedy_utilitarian_welfare],
        [{"sat_class": sat, "voter_budget_increment": 1}, {"sat_class": Cost_Sat}],
    )
    names = [project.name for project in decided]
    print(json.dumps({"add1": add1, "decided": names, "runs": runs[0], "sat": sat_name}))


def pabutools_at(path: Path, raises: list[int]) -> dict[int, list[str]]:
    """pabutools' equal shares (one run, no raise) at budget / voters + each of these raises."""
    import pabutools.election as pabutools_election
    from pabutools.election import parse_pabulib
    from pabutools.fractions import frac
    from pabutools.rules.budgetallocation import BudgetAllocation
    from pabutools.rules.mes.mes_rule import method_of_equal_shares_scheme
    from pabutools.tiebreaking import lexico_tie_breaking

    from concord.engine.budgets.equal_shares_utilities import satisfaction_of

    instance, profile = parse_pabulib(str(path))
    multi = profile.as_multiprofile()
    sat_name = satisfaction_of(instance.meta["vote_type"])
    sat = multi.as_sat_profile(sat_class=getattr(pabutools_election, sat_name))
    base = frac(instance.budget_limit, multi.num_ballots())
    found = {}
    for raise_ in raises:
        outcome = method_of_equal_shares_scheme(
            instance,
            multi,
            sat,
            base + raise_,
            BudgetAllocation(),
            lexico_tie_breaking,
            binary_sat=sat_name == "Cost_Sat",
        )
        found[raise_] = [project.name for project in outcome]
    return found


# --- the files ------------------------------------------------------------------------------------------


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stepwise(path: Path) -> dict:
    """add1 one raise at a time (pabutools' search) with Concord's runs: where it stops, the run kept."""
    from concord.engine.budgets import equal_shares, equal_shares_utilities
    from concord.formats.pabulib import read_pabulib

    election = read_pabulib(path, strict=False).election()
    if equal_shares_utilities.decided_by_utilities(election):
        by_points = equal_shares_utilities._AddOne(election)
        stops = by_points.ends

        def funded_at(raises: int) -> list[int]:
            return equal_shares_utilities._Run(by_points.profile, by_points.base + raises).run().funded

    else:
        by_cost = equal_shares._AddOne(election)
        stops = by_cost.ends

        def funded_at(raises: int) -> list[int]:
            return equal_shares._Run(by_cost.ballots, by_cost.base + raises).run().funded

    started, raises = time.perf_counter(), 0
    while (ends := stops(funded_at(raises))) is None:
        raises += 1
    kept = raises - 1 if ends == "over" else raises
    ids = [project.id for project in election.projects]
    funded = [ids[i] for i in funded_at(kept)]
    return {"raises": kept, "add1": funded, "runs": raises + 1, "seconds": round(time.perf_counter() - started, 1)}


def bench_files(args: argparse.Namespace) -> None:
    files = sorted(path for path in Path(args.data).glob("*.pb") if args.only in path.name)
    if not files:
        raise SystemExit(f"no .pb files in {args.data}")
    recorded: dict[str, dict] = {}
    if args.record and Path(args.record).is_file():
        recorded = json.loads(Path(args.record).read_text(encoding="utf-8"))
    rows = []
    for path in files:
        ours = median_run([sys.executable, "-m", "concord", "budget", str(path), "--json"], args.repeats)
        if ours.returncode:
            rows.append([path.stem, "–", "–", "–", "–", "–", "–", "–", "–", "–", "error: " + ours.stderr.strip()[-60:]])
            print(rows[-1], file=sys.stderr)
            continue
        report = json.loads(ours.stdout)
        command = ["timeout", str(args.pabutools_timeout), sys.executable, __file__, "--pabutools", str(path)]
        theirs = measure(command if args.pabutools_timeout > 0 else ["false"])
        finished = theirs.returncode == 0
        outcome = json.loads(theirs.stdout) if finished else None
        same = ("yes" if outcome["decided"] == report["funded"] else "NO") if outcome else "–"
        share = float(report["budget"]) / report["voters"]
        rows.append(
            [
                path.stem,
                report.get("vote_type", "approval"),
                f"{report['voters']:,} × {report['projects']}",
                f"{share:,.0f}",
                f"{report['raises']:,}",
                f"{report['runs']:,}",
                f"{ours.seconds:.2f}",
                f"{ours.peak_mb:.0f}",
                f"{outcome['runs']:,}" if outcome else f"({report['stepwise_runs']:,})",
                f"{theirs.seconds:.1f}" if finished else f"> {args.pabutools_timeout:.0f}",
                f"{theirs.peak_mb:.0f}" if finished else f"> {theirs.peak_mb:.0f}",
                same,
            ]
        )
        print(rows[-1], file=sys.stderr)
        if args.record:
            entry = {"sha256": digest(path), "raises": report["raises"]}
            if outcome:
                entry |= {
                    "by": "pabutools",
                    "sat": outcome["sat"],
                    "add1": outcome["add1"],
                    "decided": outcome["decided"],
                }
                entry |= {"runs": outcome["runs"], "seconds": round(theirs.seconds, 1)}
            elif args.stepwise:
                found = stepwise(path)
                at = pabutools_at(path, [found["raises"], found["raises"] + 1])
                entry |= {"by": "stepwise", "pabutools": f"did not finish in {args.pabutools_timeout:.0f} s"}
                entry |= found | {"pabutools_at_kept": at[found["raises"]]}
                entry |= {"pabutools_at_next": at[found["raises"] + 1]}
            else:
                continue
            recorded[path.name] = entry
            Path(args.record).write_text(json.dumps(recorded, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    header = ["file", "ballots", "voters × projects", "share", "raises", "concord runs", "concord s", "concord MB",
              "pabutools runs", "pabutools s", "pabutools MB", "same outcome"]  # fmt: skip
    print(table(header, rows))


# --- planted elections ----------------------------------------------------------------------------------


def election_file(size: str) -> Path:
    from budget_helpers import as_pabulib
    from concord.engine.budgets.synthetic import planted_budget
    from concord.formats.pabulib import write_pabulib

    path = CACHE / f"budget-{size}.pb"
    if not path.is_file():
        voters, projects = SIZES[size]
        planted = planted_budget(voters, projects, seed=1)
        districts = {"district": [f"district {g + 1}" for g in planted.group_of_voter]}
        CACHE.mkdir(parents=True, exist_ok=True)
        path.write_text(write_pabulib(as_pabulib(planted.election, districts)), encoding="utf-8")
    return path


def bench_synthetic(args: argparse.Namespace) -> None:
    args.data = str(CACHE)
    for size in args.synthetic.split(","):
        election_file(size)
    args.only = "budget-"
    bench_files(args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(DATA), help="a folder of .pb files")
    parser.add_argument("--only", default="", help="only the files whose name contains this")
    parser.add_argument("--repeats", type=int, default=1, help="Concord: the median of this many processes")
    parser.add_argument("--pabutools-timeout", type=float, default=120.0, help="seconds before giving up (0: skip)")
    parser.add_argument("--record", help="write pabutools' outcomes (JSON) for the tests")
    parser.add_argument("--stepwise", action="store_true", help="with --record: where pabutools did not finish")
    parser.add_argument("--synthetic", help="planted elections of these sizes: " + ",".join(SIZES))
    parser.add_argument("--pabutools", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pabutools:
        pabutools_main(args.pabutools)
    elif args.synthetic:
        bench_synthetic(args)
    else:
        bench_files(args)


if __name__ == "__main__":
    main()
