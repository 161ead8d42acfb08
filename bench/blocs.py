"""How many real participants the bloc detector flags, how much of a planted bloc it finds, and what it
costs (a measurement for the README and concord.engine.blocs, not a test).

    python bench/blocs.py                # every conversation in ../shared/data/polis
    python bench/blocs.py tests/data/polis

Real data: none of the participants of the real conversations is a known bloc, so every account flagged
is a false positive. Arrival is a participant's first vote (votes.csv); exports with only
participants-votes.csv carry no times, and there the votes alone link. Each conversation is also run
with its times dropped.

Planted blocs: new accounts, 10 %, 30 % or 50 % of all participants once they joined, that vote alike
on every statement that is not moderated out (all disagree in one conversation, all agree in the next),
exactly or with each vote replaced by another value with probability 3 % or 10 %, arriving within one
hour after the last real participant ("together"), at random across the real participants' time span
("spread"), or at unknown times (every conversation run without times). "found": the share of the
bloc's accounts in a bloc; "worst": the lowest share in a conversation; "swept": real participants
flagged in those runs (all conversations, all three sizes; in parentheses, those of the runs with
arrival times). A bloc under the minimum size (London's 10 % is 3 accounts) is left out.

Cost: the largest real conversation, and a synthetic one of 100,000 participants × 200 statements
arriving over three days with a 10 % bloc (3 % noise) arriving within an hour, run in a fresh process
for its peak memory.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from concord.engine.blocs import BlocParams, find_blocs, first_arrivals
from concord.engine.votes import VoteMatrix
from concord.formats.polis import read_export
from measure import table

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data" / "polis"
SHARES = (0.10, 0.30, 0.50)
NOISES = (0.0, 0.03, 0.10)
ARRIVALS = ("together", "spread", "unknown")
HOUR = 3600 * 1000
LARGEST = "american-assembly.bowling-green"


def with_bloc(matrix: VoteMatrix, share: float, vote: int, noise: float, rng: np.random.Generator) -> VoteMatrix:
    """The matrix with new accounts (``share`` of everyone after they join) voting ``vote`` on every
    statement that is not moderated out, each vote replaced by one of the two other values with
    probability ``noise``."""
    size = round(share * matrix.shape[0] / (1 - share))
    columns = np.flatnonzero(~matrix.moderated_out).astype(np.int32)
    values = np.full((size, len(columns)), vote, dtype=np.int8)
    replaced = rng.random(values.shape) < noise
    values[replaced] = (values[replaced] + 1 + rng.integers(1, 3, int(replaced.sum()))) % 3 - 1
    first = int(matrix.participant_ids.max()) + 1
    return replace(
        matrix,
        participant_ids=np.concatenate([matrix.participant_ids, np.arange(first, first + size, dtype=np.int64)]),
        indptr=np.concatenate([matrix.indptr, matrix.indptr[-1] + len(columns) * np.arange(1, size + 1)]),
        indices=np.concatenate([matrix.indices, np.tile(columns, size)]),
        values=np.concatenate([matrix.values, values.ravel()]),
    )


def bloc_arrivals(arrival: np.ndarray | None, size: int, how: str, rng: np.random.Generator) -> np.ndarray | None:
    """Real arrivals followed by the bloc's: within an hour after the last real one, or spread at random
    over the real span; None when unknown."""
    if arrival is None or how == "unknown":
        return None
    if how == "spread":
        return np.concatenate([arrival, rng.integers(arrival.min(), arrival.max() + 1, size)])
    return np.concatenate([arrival, arrival.max() + rng.integers(0, HOUR, size)])


def flagged(matrix: VoteMatrix, arrival: np.ndarray | None) -> np.ndarray:
    """Whether each row is in a bloc."""
    found = np.zeros(matrix.shape[0], dtype=bool)
    for bloc in find_blocs(matrix, arrival):
        found[bloc.rows] = True
    return found


def percent(part: float, whole: float) -> str:
    return f"{100 * part / whole:.2f} %" if whole else "–"


def real_rows(conversations: list[tuple[str, VoteMatrix, np.ndarray | None]]) -> list[list]:
    rows, totals = [], np.zeros(4, dtype=np.int64)
    for name, matrix, arrival in conversations:
        started = time.perf_counter()
        with_times = int(flagged(matrix, arrival).sum())
        seconds = time.perf_counter() - started
        without = int(flagged(matrix, None).sum()) if arrival is not None else with_times
        n = matrix.shape[0]
        timed = n if arrival is not None else 0
        totals += [n, with_times, without, timed]
        rows.append([name, n, "yes" if timed else "no", with_times, percent(with_times, n), without, f"{seconds:.2f}"])
    n, with_times, without, _ = totals
    rows.append(["all", n, "", with_times, percent(with_times, n), f"{without} ({percent(without, n)})", ""])
    return rows


def planted_rows(conversations: list[tuple[str, VoteMatrix, np.ndarray | None]]) -> list[list]:
    rng = np.random.default_rng(0)
    rows = []
    for how in ARRIVALS:
        for noise in NOISES:
            row: list = [how, f"{noise:.0%}"]
            swept, swept_timed = 0, 0
            for share in SHARES:
                found, total, worst = 0, 0, 1.0
                for k, (_, matrix, arrival) in enumerate(conversations):
                    attacked = with_bloc(matrix, share, 1 if k % 2 else -1, noise, rng)
                    size = attacked.shape[0] - matrix.shape[0]
                    if size < BlocParams().min_size:
                        continue
                    arrivals = bloc_arrivals(arrival, size, how, rng)
                    hit = flagged(attacked, arrivals)
                    found, total = found + int(hit[matrix.shape[0] :].sum()), total + size
                    worst = min(worst, float(hit[matrix.shape[0] :].mean()))
                    swept += int(hit[: matrix.shape[0]].sum())
                    swept_timed += int(hit[: matrix.shape[0]].sum()) if arrivals is not None else 0
                row.append(f"{percent(found, total)} ({100 * worst:.0f} %)")
            rows.append([*row, f"{swept} ({swept_timed})"])
        print(f"  planted, {how}: done", file=sys.stderr)
    return rows


def synthetic(participants: int, statements: int, rng: np.random.Generator) -> tuple[VoteMatrix, np.ndarray]:
    """Three opinion groups with agree probabilities U(0.1, 0.9) per statement, 15 % passes, each person
    voting on a random quarter of the statements, arriving at random over three days."""
    group = rng.integers(0, 3, participants)
    agree = rng.uniform(0.1, 0.9, (3, statements)).astype(np.float32)
    values = np.where(rng.random((participants, statements), dtype=np.float32) < agree[group], 1, -1).astype(np.int8)
    values[rng.random((participants, statements), dtype=np.float32) < 0.15] = 0
    voted = rng.random((participants, statements), dtype=np.float32) < 0.25
    rows, columns = np.nonzero(voted)
    indptr = np.zeros(participants + 1, dtype=np.int64)
    np.cumsum(voted.sum(axis=1), out=indptr[1:])
    ids, statement_ids = np.arange(participants, dtype=np.int64), np.arange(statements, dtype=np.int64)
    matrix = VoteMatrix(ids, statement_ids, indptr, columns.astype(np.int32), values[rows, columns])
    return matrix, rng.integers(0, 72 * HOUR, participants)


def run_synthetic() -> None:
    """Child process: the synthetic conversation; prints seconds, accounts found, bloc size, real
    participants flagged, and the peak memory (MB) before and after the detection."""
    rng = np.random.default_rng(0)
    matrix, arrival = synthetic(100_000, 200, rng)
    attacked = with_bloc(matrix, 0.10, -1, 0.03, rng)
    size = attacked.shape[0] - matrix.shape[0]
    arrival = np.concatenate([arrival, 36 * HOUR + rng.integers(0, HOUR, size)])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    hit = flagged(attacked, arrival)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(seconds, int(hit[matrix.shape[0] :].sum()), size, int(hit[: matrix.shape[0]].sum()), before, after)


def cost_rows(conversations: list[tuple[str, VoteMatrix, np.ndarray | None]]) -> list[list]:
    rows = []
    for name, matrix, arrival in conversations:
        if name != LARGEST:
            continue
        for share in (0.0, 0.5):
            rng = np.random.default_rng(0)
            attacked = with_bloc(matrix, share, -1, 0.03, rng)
            arrivals = bloc_arrivals(arrival, attacked.shape[0] - matrix.shape[0], "together", rng)
            started = time.perf_counter()
            found = flagged(attacked, arrivals)
            seconds = time.perf_counter() - started
            what = f"{name}, {'no times: all pairs' if arrival is None else 'times'}"
            what += f", with a {share:.0%} bloc (3 % noise)" if share else ""
            size = f"{attacked.shape[0]:,} × {attacked.shape[1]}"
            rows.append([what, size, f"{seconds:.2f}", "–", f"{int(found.sum())} accounts in blocs"])
    child = subprocess.run([sys.executable, __file__, "--synthetic"], capture_output=True, text=True, check=True)
    seconds, found, size, honest, before, after = (float(x) for x in child.stdout.split())
    rows.append(
        [
            "synthetic, 10 % bloc (3 % noise) arriving within an hour",
            f"{100_000 + int(size):,} × 200",
            f"{seconds:.1f}",
            f"{after:.0f} (data alone: {before:.0f})",
            f"bloc: {int(found):,} of {int(size):,} found; {int(honest)} of 100,000 others flagged",
        ]
    )
    return rows


def main() -> None:
    if sys.argv[1:] == ["--synthetic"]:
        run_synthetic()
        return
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else SHARED
    conversations = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        export = read_export(folder, keep_events=True)
        timed = (folder / "votes.csv").is_file() and export.events is not None
        arrival = first_arrivals(export.votes, export.events.participant, export.events.timestamp) if timed else None
        conversations.append((folder.name, export.votes, arrival))
    params = BlocParams()
    print(
        f"Parameters: agreement {params.agreement}, min_shared {params.min_shared}, window "
        f"{params.window_ms // 60000} min, min_size {params.min_size}, density {params.density:.2f}\n"
    )
    print("Real participants flagged (none is a known bloc: every flag is a false positive):\n")
    header = ["conversation", "participants", "arrival times", "flagged", "share", "flagged without times", "seconds"]
    print(table(header, real_rows(conversations)))
    print("\nPlanted blocs: share of their accounts found (worst conversation), and real participants swept:\n")
    header = ["arrival", "noise", *(f"{share:.0%} bloc" for share in SHARES), "swept"]
    print(table(header, planted_rows(conversations)))
    print("\nCost (peak memory of the whole process, MB):\n")
    print(table(["conversation", "size", "seconds", "peak MB", "found"], cost_rows(conversations)))


if __name__ == "__main__":
    main()
