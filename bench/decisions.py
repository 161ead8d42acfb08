"""What each decision rule decides on real conversations, and what a coordinated bloc can do to it,
with and without bloc detection (a measurement for the README, not a test).

    python bench/decisions.py                # every conversation in ../shared/data/polis
    python bench/decisions.py tests/data/polis

Real data: every statement the analysis keeps is decided as a proposal under every rule, as ``concord
decide`` decides an export: each statement judged by the opinion groups found from the other four
fifths of the statements (cross-fitted), never from its own votes. The rules over declared communities
need a declared partition, which Pol.is exports do not carry: Pol.is's own published opinion groups
(the ``group-id`` column) stand in for communities, so those rows say how the rules behave with a few
groups of very different sizes, not how any real community voted. Real participants flagged as a bloc
(every flag is a false positive: none is a known bloc) are counted once, as the product counts them.

The bloc: new accounts, 10 %, 30 % or 50 % of all participants once they joined, that vote alike on
every statement (all agree to force proposals through, or all disagree to block them), exactly or with
3 % of their votes replaced at random, arriving within an hour after the last real participant, and
declaring themselves members of the smallest community (the worst case: a community's consent is the
cheapest to capture there). Each scenario is analysed afresh, "before": every account counted, as
Concord counted them before it looked for blocs; "after": suspected blocs (concord.engine.blocs)
counted once. "forced": of the statements that did not pass without the bloc, the share that pass with
it; "blocked": of those that passed, the share that no longer pass.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np

from concord.engine.analysis import DeclaredGroups
from concord.engine.blocs import counted_once, find_blocs, first_arrivals
from concord.engine.decisions import RULES, make_rule
from concord.engine.votes import VoteMatrix
from concord.formats.polis import read_export, read_polis_groups
from concord.report.decisions import decisions, every_statement_votes
from measure import table

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data" / "polis"
BLOCS = (0.10, 0.30, 0.50)
NOISES = (0.0, 0.03)
HOUR = 3_600_000
COMMUNITY = "community"


def with_bloc(
    matrix: VoteMatrix, arrival: np.ndarray | None, share: float, vote: int, noise: float, seed: int = 0
) -> tuple[VoteMatrix, np.ndarray | None]:
    """The matrix with a bloc of new participants (``share`` of everyone after they join) who cast
    ``vote`` on every statement that is not moderated out (each replaced by another at random with
    probability ``noise``), arriving within an hour after the last real participant."""
    rng = np.random.default_rng(seed)
    size = round(share * matrix.shape[0] / (1 - share))
    columns = np.flatnonzero(~matrix.moderated_out).astype(np.int32)
    cast = np.full(size * len(columns), vote, dtype=np.int8)
    others = np.array([v for v in (-1, 0, 1) if v != vote], dtype=np.int8)
    replaced = rng.random(len(cast)) < noise
    cast[replaced] = others[rng.integers(0, 2, int(replaced.sum()))]
    first = int(matrix.participant_ids.max()) + 1
    attacked = replace(
        matrix,
        participant_ids=np.concatenate([matrix.participant_ids, np.arange(first, first + size, dtype=np.int64)]),
        indptr=np.concatenate([matrix.indptr, matrix.indptr[-1] + len(columns) * np.arange(1, size + 1)]),
        indices=np.concatenate([matrix.indices, np.tile(columns, size)]),
        values=np.concatenate([matrix.values, cast]),
    )
    if arrival is None:
        return attacked, None
    coming = int(arrival.max()) + np.sort(rng.integers(0, HOUR, size))
    return attacked, np.concatenate([arrival, coming])


def communities(matrix: VoteMatrix, polis_groups: dict[int, int], bloc_from: int | None = None) -> DeclaredGroups:
    """Pol.is's groups as declared communities; the bloc's new accounts (ids from ``bloc_from``) declare
    the smallest one."""
    mapping = {pid: f"g{group}" for pid, group in polis_groups.items()}
    if bloc_from is not None and mapping:
        smallest = min(sorted(set(mapping.values())), key=Counter(mapping.values()).__getitem__)
        mapping |= {int(pid): smallest for pid in matrix.participant_ids if pid >= bloc_from}
    return DeclaredGroups.from_mapping(matrix, mapping)


def outcomes(matrix: VoteMatrix, mapping: dict[int, int], bloc_from: int | None) -> dict[str, dict[int, str]]:
    """{rule: {statement id: outcome}} for every rule, every statement cross-fitted."""
    groups = communities(matrix, mapping, bloc_from)
    votes = every_statement_votes(matrix, {COMMUNITY: (groups.labels, groups.names)})
    found = {}
    for name in RULES:
        rule = make_rule(name, {"attribute": COMMUNITY} if "attribute" in RULES[name].parameters else {})
        found[name] = {p.statement: p.outcome for p in decisions(rule, votes, {}).proposals}
    return found


def detected(matrix: VoteMatrix, arrival: np.ndarray | None) -> tuple[VoteMatrix, int]:
    """The matrix with every suspected bloc counted once, and how many accounts the blocs held."""
    blocs = find_blocs(matrix, arrival)
    return (counted_once(matrix, blocs) if blocs else matrix), sum(len(b.participants) for b in blocs)


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else SHARED
    folders = sorted(p for p in root.iterdir() if p.is_dir())
    started = time.perf_counter()
    real_rows, totals, flagged_total, people_total = [], Counter(), 0, 0
    flips = {(rule, share, noise, kind, when): [0, 0] for rule in RULES for share in BLOCS for noise in NOISES
             for kind in "fb" for when in ("before", "after")}  # fmt: skip
    for folder in folders:
        export = read_export(folder, keep_events=True)
        polis_groups = read_polis_groups(folder)
        matrix = export.votes
        events = export.events
        timed = events is not None and bool(events.timestamp.any())
        arrival = first_arrivals(matrix, events.participant, events.timestamp) if timed and events else None
        counted, flagged = detected(matrix, arrival)
        base = outcomes(counted, polis_groups, None)
        flagged_total, people_total = flagged_total + flagged, people_total + matrix.shape[0]
        statements = len(base["majority"])
        row = [folder.name, matrix.shape[0], flagged, statements]
        for name in RULES:
            tally = Counter(base[name].values())
            totals[name, "pass"] += tally["pass"]
            row.append(f"{tally['pass']}" + (f" ({tally['undecided']}?)" if tally["undecided"] else ""))
        totals["statements"] += statements
        real_rows.append(row)
        bloc_from = int(matrix.participant_ids.max()) + 1
        for share in BLOCS:
            for noise in NOISES:
                for kind, vote in (("f", 1), ("b", -1)):
                    attacked, arrivals = with_bloc(matrix, arrival, share, vote, noise)
                    for when in ("before", "after"):
                        judged = attacked if when == "before" else detected(attacked, arrivals)[0]
                        after = outcomes(judged, polis_groups, bloc_from)
                        for name in RULES:
                            for statement, before in base[name].items():
                                if (kind == "f") == (before != "pass"):  # forced: was not passing; blocked: was
                                    counts = flips[name, share, noise, kind, when]
                                    counts[1] += 1
                                    counts[0] += (after[name][statement] == "pass") == (kind == "f")
        print(f"  {folder.name}: done ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    real_rows.append(
        ["all", people_total, f"{flagged_total} ({100 * flagged_total / people_total:.2f} %)", totals["statements"]]
        + [f"{totals[name, 'pass']} ({100 * totals[name, 'pass'] / totals['statements']:.0f} %)" for name in RULES]
    )
    print("Statements passed under each rule (undecided in parentheses with ?); real participants flagged as "
          "a bloc (counted once):\n")  # fmt: skip
    print(table(["conversation", "participants", "flagged", "statements", *RULES], real_rows))

    def rate(counts: list[int]) -> str:
        return f"{100 * counts[0] / counts[1]:.0f} % of {counts[1]}" if counts[1] else "–"

    for noise in NOISES:
        rows = [
            [name, when] + [rate(flips[name, share, noise, kind, when]) for share in BLOCS for kind in "fb"]
            for name in RULES
            for when in ("before", "after")
        ]
        words = ("forced", "blocked")
        header = ["rule", "blocs"] + [f"{int(share * 100)} %: {word}" for share in BLOCS for word in words]
        print(f"\nA bloc voting alike on everything ({noise:.0%} noise), declaring the smallest community; "
              "before: every account counted; after: suspected blocs counted once:\n")  # fmt: skip
        print(table(header, rows))
    print(f"\n{time.perf_counter() - started:.0f} s in all.")


if __name__ == "__main__":
    main()
