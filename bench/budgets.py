"""Whole-process time and peak memory of ``concord budget FILE.pb --json`` and of pabutools (the reference
implementation, run as ``bench/pabutools_budget.py``) on the same pabulib files, in one run, and whether
they fund the same projects.

    python bench/budgets.py                      # 1k × 50, 10k × 100, 100k × 200 voters × projects
    python bench/budgets.py --sizes 1k,10k       # choose
    python bench/budgets.py --pabutools-timeout 600

The files are planted-group approval elections shaped like real ones (a voter approves about six
projects, some projects far more popular than others; concord.engine.budgets.synthetic), written once
under bench/out/. Concord uses one process per core for the add1 runs (--workers 0); peak memory is the
main process's (the workers are forks sharing its pages). Each figure is the median of --repeats fresh
processes (pabutools: one run).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from measure import measure, median_run, table

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
CACHE = HERE / "out"
SIZES = {"1k": (1_000, 50), "10k": (10_000, 100), "100k": (100_000, 200)}


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1k,10k,100k", help="sizes: " + ",".join(SIZES))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pabutools-timeout", type=float, default=3600.0, help="seconds before giving up")
    args = parser.parse_args()
    rows = []
    for size in args.sizes.split(","):
        path = election_file(size)
        voters, projects = SIZES[size]
        ours = median_run([sys.executable, "-m", "concord", "budget", str(path), "--json"], args.repeats)
        if ours.returncode:
            raise SystemExit(ours.stderr)
        report = json.loads(ours.stdout)
        theirs = measure(
            ["timeout", str(args.pabutools_timeout), sys.executable, str(HERE / "pabutools_budget.py"), str(path)]
        )
        finished = theirs.returncode == 0
        same = "yes" if finished and json.loads(theirs.stdout) == report["funded"] else ("–" if not finished else "NO")
        their_time = f"{theirs.seconds:.1f}" if finished else f"> {args.pabutools_timeout:.0f}"
        rows.append(
            [
                f"{voters:,} × {projects}",
                f"{report['raises'] + 1}",
                f"{ours.seconds:.2f}",
                f"{ours.peak_mb:.0f}",
                their_time,
                f"{theirs.peak_mb:.0f}" if finished else "–",
                f"{theirs.seconds / ours.seconds:.0f}×" if finished else f"> {theirs.seconds / ours.seconds:.0f}×",
                same,
            ]
        )
        print(rows[-1], file=sys.stderr)
    header = ["voters × projects", "add1 runs", "concord s", "concord MB", "pabutools s", "pabutools MB",
              "speed-up", "same outcome"]  # fmt: skip
    print(table(header, rows))


if __name__ == "__main__":
    main()
