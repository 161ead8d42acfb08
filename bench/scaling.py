"""How the cost of ``concord analyze`` grows with the number of votes, and where the time goes.

    python bench/scaling.py                 # 1 M, 3 M, 10 M, 30 M votes (synthetic, 3 planted groups)
    python bench/scaling.py --sizes 1m,3m

Each size is one fresh process (whole-process time and peak memory), with the per-stage seconds the
analysis records: parse (CSV), matrix (latest vote per cell, CSR), pca, clustering, consensus
(representativeness and consensus), bridging. "ARI" compares the groups found with the planted ones.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys

from sklearn.metrics import adjusted_rand_score

from measure import measure, table
from speed import SIZES, concord_command, synthetic

STAGES = ["parse", "matrix", "pca", "clustering", "consensus", "bridging"]


def planted_ari(folder, result) -> float:
    with open(folder / "planted-groups.csv", newline="") as handle:
        planted = {int(row["participant"]): int(row["group"]) for row in csv.DictReader(handle)}
    pairs = [(planted[p], g["id"]) for g in result["groups"] for p in g["participants"]]
    return adjusted_rand_score(*zip(*pairs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1m,3m,10m,30m")
    args = parser.parse_args()
    rows = []
    for size in args.sizes.split(","):
        folder = synthetic(size)
        run = measure(concord_command(folder))
        if run.returncode:
            raise SystemExit(run.stderr)
        result = json.loads(run.stdout)
        timings = result["timings"]
        participants, statements, _ = SIZES[size]
        rows.append(
            [
                f"{participants:,} × {statements:,}",
                f"{result['votes']:,}",
                f"{run.seconds:.2f}",
                f"{run.seconds / result['votes'] * 1e6:.2f}",
                f"{run.peak_mb:,.0f}",
            ]
            + [f"{timings[stage]:.2f}" for stage in STAGES]
            + [len(result["groups"]), f"{planted_ari(folder, result):.3f}"]
        )
        print(" | ".join(map(str, rows[-1])), file=sys.stderr, flush=True)
    print(table(["participants × statements", "votes", "total s", "µs / vote", "peak MB", *STAGES, "k", "ARI"], rows))


if __name__ == "__main__":
    main()
