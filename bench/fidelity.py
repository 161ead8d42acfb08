"""How Concord's opinion groups compare with the groups Pol.is published, conversation by conversation,
next to red-dwarf and next to Pol.is's own reproducibility.

    python bench/fidelity.py            # needs red-dwarf: pip install -e .[bench]

Columns: participants clustered (Pol.is / Concord); k (Pol.is / Concord / red-dwarf); adjusted Rand
index against Pol.is's group-id column over participants both clustered; "Pol.is vs itself": the ARI
a cold-start emulation of Pol.is's algorithm reaches against Pol.is's labels over 20 random row orders
(10th percentile and median); "seeds": the lowest ARI between Concord's default run and runs with
seeds 1–4 (1.00 = the seed does not matter).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score

from concord.engine.analysis import AnalysisParams, analyze
from concord.formats.polis import read_export, read_polis_groups
from measure import table
from polis_emulation import polis_labels

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data" / "polis"
ORDERS = 20


def ari(labels: dict[int, int], reference: dict[int, int]) -> float:
    both = [(labels[p], reference[p]) for p in labels if p in reference]
    if not both:
        return float("nan")
    ours, theirs = zip(*both)
    return adjusted_rand_score(ours, theirs)


def polis_k(folder: Path) -> int:
    with open(folder / "summary.csv", newline="") as handle:
        return int(dict(row[:2] for row in csv.reader(handle) if len(row) >= 2)["groups"])


def reddwarf_groups(folder: Path) -> dict[int, int] | None:
    run = subprocess.run([sys.executable, str(HERE / "reddwarf_run.py"), str(folder)], capture_output=True, text=True)
    if run.returncode:
        return None
    return {int(p): g for p, g in json.loads(run.stdout.strip().splitlines()[-1])["groups"].items()}


def main() -> None:
    rows, ours_all, theirs_all, self_median = [], [], [], []
    for folder in sorted(p for p in SHARED.iterdir() if p.is_dir()):
        reference = read_polis_groups(folder)
        matrix = read_export(folder).votes
        analysis = analyze(matrix)
        ids = matrix.participant_ids.tolist()
        ours = {p: int(g) for p, g in zip(ids, analysis.groups.labels) if g >= 0}
        seeds = [analyze(matrix, AnalysisParams(seed=s, bridging=False)).groups.labels for s in range(1, 5)]
        stability = min(adjusted_rand_score(analysis.groups.labels, other) for other in seeds)
        rng = np.random.default_rng(1)
        clustered = analysis.groups.clustered
        emulated = []
        for _ in range(ORDERS):
            labels = polis_labels(analysis.projection.positions, clustered, rng.permutation(clustered.sum()))
            emulated.append(ari({p: int(g) for p, g in zip(ids, labels) if g >= 0}, reference))
        theirs = reddwarf_groups(folder)
        ours_ari = ari(ours, reference)
        ours_all.append(ours_ari)
        self_median.append(float(np.median(emulated)))
        row = [
            folder.name,
            f"{len(reference)} / {len(ours)}",
            f"{polis_k(folder)} / {analysis.groups.k} / {len(set(theirs.values())) if theirs else '–'}",
            f"{ours_ari:.2f}",
        ]
        if theirs:
            theirs_all.append(ari(theirs, reference))
            row.append(f"{theirs_all[-1]:.2f}")
        else:
            row.append("–")
        row += [f"{np.percentile(emulated, 10):.2f} / {np.median(emulated):.2f}", f"{stability:.2f}"]
        rows.append(row)
        print(" | ".join(row), file=sys.stderr, flush=True)
    rows.append(
        [
            "**mean**",
            "",
            "",
            f"**{np.mean(ours_all):.3f}**",
            f"{np.mean(theirs_all):.3f}" if theirs_all else "–",
            f"median {np.mean(self_median):.3f}",
            "",
        ]
    )
    print(
        table(
            [
                "conversation",
                "clustered Pol.is / Concord",
                "k Pol.is / Concord / red-dwarf",
                "ARI Concord",
                "ARI red-dwarf",
                "Pol.is vs itself p10 / median",
                "seeds",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
