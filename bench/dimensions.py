"""What 2-D (Pol.is) and higher-dimensional clustering recover on conversations with 4 planted groups.

    python bench/dimensions.py [--participants 20000 --statements 1000 --votes 2000000] [--seeds 0,1,2]

Pol.is clusters on a 2-D projection; with 4 groups whose agree probabilities are drawn independently,
two of them often overlap in that plane and the silhouette prefers merging them (red-dwarf finds 3 of 4,
polis-math.md §3.4). ``concord analyze --dimensions D`` clusters on D principal axes instead.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from sklearn.metrics import adjusted_rand_score

from concord.engine.analysis import AnalysisParams, analyze
from concord.formats.polis import read_export
from measure import table

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=20_000)
    parser.add_argument("--statements", type=int, default=1_000)
    parser.add_argument("--votes", type=int, default=2_000_000)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--no-reddwarf", action="store_true")
    args = parser.parse_args()
    rows = []
    for seed in map(int, args.seeds.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "concord",
                    "synth",
                    tmp,
                    "--participants",
                    str(args.participants),
                    "--statements",
                    str(args.statements),
                    "--votes",
                    str(args.votes),
                    "--groups",
                    "4",
                    "--seed",
                    str(seed),
                ],
                check=True,
                capture_output=True,
            )
            planted = {
                int(p): int(g)
                for p, g in (line.split(",") for line in Path(tmp, "planted-groups.csv").read_text().split()[1:])
            }
            matrix = read_export(tmp).votes
            truth = [planted[int(p)] for p in matrix.participant_ids]
            row = [seed]
            for dimensions in (2, 3, 4, 6):
                groups = analyze(matrix, AnalysisParams(dimensions=dimensions, bridging=False)).groups
                row.append(f"k={groups.k}, ARI {adjusted_rand_score(truth, groups.labels):.3f}")
            if not args.no_reddwarf:
                run = subprocess.run(
                    [sys.executable, str(HERE / "reddwarf_run.py"), tmp], capture_output=True, text=True
                )
                found = {int(p): g for p, g in json.loads(run.stdout.strip().splitlines()[-1])["groups"].items()}
                pairs = [(planted[p], g) for p, g in found.items()]
                row.append(f"k={len(set(found.values()))}, ARI {adjusted_rand_score(*zip(*pairs)):.3f}")
            rows.append(row)
            print(" | ".join(map(str, row)), file=sys.stderr, flush=True)
    header = ["seed", "Concord 2-D (Pol.is)", "3-D", "4-D", "6-D"] + ([] if args.no_reddwarf else ["red-dwarf (2-D)"])
    print(
        f"{args.participants:,} participants × {args.statements:,} statements, {args.votes:,} votes, 4 planted groups\n"
    )
    print(table(header, rows))


if __name__ == "__main__":
    main()
