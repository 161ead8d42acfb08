"""Whole-process time and peak memory of ``concord analyze`` and of red-dwarf, in one run, on the real
conversations in ../shared/data/polis and on synthetic ones.

    python bench/speed.py                       # real conversations + synthetic up to 2 M votes
    python bench/speed.py --sizes 100k,2m,10m   # choose synthetic sizes
    python bench/speed.py --reddwarf-max 10m    # also run red-dwarf on the largest (slow, ~15 GB)

Each figure is the median of --repeats fresh processes. red-dwarf is run as ``bench/reddwarf_run.py``
(pip install -e .[bench]).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from measure import median_run, table

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data" / "polis"
CACHE = HERE / "out"
SIZES = {  # name: (participants, statements, votes), statements ∝ the shapes red-dwarf was measured on
    "100k": (2_000, 200, 100_000),
    "500k": (5_000, 500, 500_000),
    "1m": (10_000, 1_000, 1_000_000),
    "2m": (20_000, 1_000, 2_000_000),
    "3m": (30_000, 2_000, 3_000_000),
    "10m": (100_000, 2_000, 10_000_000),
    "30m": (300_000, 2_000, 30_000_000),
}


def votes_of(size: str) -> int:
    return SIZES[size][2]


def synthetic(size: str) -> Path:
    """A planted 3-group conversation, generated once and cached under bench/out/."""
    folder = CACHE / f"synth-{size}"
    if not (folder / "votes.csv").is_file():
        participants, statements, votes = SIZES[size]
        run = median_run(
            [
                sys.executable,
                "-m",
                "concord",
                "synth",
                str(folder),
                "--participants",
                str(participants),
                "--statements",
                str(statements),
                "--votes",
                str(votes),
                "--groups",
                "3",
            ],
            1,
        )
        if run.returncode:
            raise SystemExit(run.stderr)
    return folder


def concord_command(folder: Path) -> list[str]:
    return [sys.executable, "-m", "concord", "analyze", str(folder), "--json"]


def reddwarf_command(folder: Path) -> list[str]:
    return [sys.executable, str(HERE / "reddwarf_run.py"), str(folder)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100k,500k,2m", help="synthetic sizes: " + ",".join(SIZES))
    parser.add_argument("--reddwarf-max", default="2m", help="largest synthetic size red-dwarf runs on")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-real", action="store_true", help="skip the real conversations")
    args = parser.parse_args()

    cases = [] if args.no_real else [(p.name, p) for p in sorted(SHARED.iterdir()) if p.is_dir()]
    cases += [(f"synthetic {size}", synthetic(size)) for size in args.sizes.split(",") if size]
    limit = votes_of(args.reddwarf_max)
    rows = []
    for name, folder in cases:
        ours = median_run(concord_command(folder), args.repeats)
        if ours.returncode:
            raise SystemExit(f"concord failed on {name}: {ours.stderr}")
        import json

        result = json.loads(ours.stdout)
        row = [name, f"{result['votes']:,}", f"{ours.seconds:.2f}", f"{ours.peak_mb:,.0f}"]
        if name.startswith("synthetic") and votes_of(name.split()[1]) > limit:
            row += ["–", "–", "–"]
        else:
            theirs = median_run(reddwarf_command(folder), args.repeats if result["votes"] < 1_000_000 else 1)
            if theirs.returncode:
                row += ["failed", "", ""]
            else:
                row += [f"{theirs.seconds:.2f}", f"{theirs.peak_mb:,.0f}", f"{theirs.seconds / ours.seconds:.1f}×"]
        rows.append(row)
        print(" | ".join(row), file=sys.stderr, flush=True)
    print(table(["conversation", "votes", "concord s", "concord MB", "red-dwarf s", "red-dwarf MB", "speed-up"], rows))


if __name__ == "__main__":
    main()
