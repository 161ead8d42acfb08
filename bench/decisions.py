"""What each decision rule decides on real conversations, and what a coordinated bloc can do to it (a
measurement for the README, not a test).

    python bench/decisions.py                # every conversation in ../shared/data/polis
    python bench/decisions.py tests/data/polis

Real data: every statement the analysis keeps is decided as a proposal under every rule. The rules
over declared communities need a declared partition, which Pol.is exports do not carry: Pol.is's own
published opinion groups (the ``group-id`` column) stand in for communities, so those rows say how the
rules behave with a few groups of very different sizes, not how any real community voted.

The bloc: new accounts, 10 %, 30 % or 50 % of all participants once they joined, that vote alike on
every statement (all agree to force proposals through, or all disagree to block them) and declare
themselves members of the smallest community (the worst case: a community's consent is the cheapest to
capture there). Each scenario is analysed afresh, so the bloc is clustered like anyone else. "forced":
of the statements that did not pass without the bloc, the share that pass with it; "blocked": of those
that passed, the share that no longer pass.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np

from concord.engine.analysis import DeclaredGroups, analyze
from concord.engine.decisions import RULES, make_rule
from concord.engine.votes import VoteMatrix
from concord.formats.polis import read_export, read_polis_groups
from concord.report.decisions import decisions, statement_votes
from measure import table

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data" / "polis"
BLOCS = (0.10, 0.30, 0.50)
COMMUNITY = "community"


def with_bloc(matrix: VoteMatrix, share: float, vote: int) -> VoteMatrix:
    """The matrix with a bloc of new participants (``share`` of everyone after they join) who cast
    ``vote`` on every statement that is not moderated out."""
    size = round(share * matrix.shape[0] / (1 - share))
    columns = np.flatnonzero(~matrix.moderated_out).astype(np.int32)
    first = int(matrix.participant_ids.max()) + 1
    return replace(
        matrix,
        participant_ids=np.concatenate([matrix.participant_ids, np.arange(first, first + size, dtype=np.int64)]),
        indptr=np.concatenate([matrix.indptr, matrix.indptr[-1] + len(columns) * np.arange(1, size + 1)]),
        indices=np.concatenate([matrix.indices, np.tile(columns, size)]),
        values=np.concatenate([matrix.values, np.full(size * len(columns), vote, dtype=np.int8)]),
    )


def communities(matrix: VoteMatrix, polis_groups: dict[int, int], bloc_from: int | None = None) -> DeclaredGroups:
    """Pol.is's groups as declared communities; the bloc's new accounts (ids from ``bloc_from``) declare
    the smallest one."""
    mapping = {pid: f"g{group}" for pid, group in polis_groups.items()}
    if bloc_from is not None and mapping:
        smallest = min(sorted(set(mapping.values())), key=Counter(mapping.values()).__getitem__)
        mapping |= {int(pid): smallest for pid in matrix.participant_ids if pid >= bloc_from}
    return DeclaredGroups.from_mapping(matrix, mapping)


def outcomes(matrix: VoteMatrix, groups: DeclaredGroups, columns: list[int] | None = None):
    """{rule: {statement id: outcome}} for every rule, and the columns decided."""
    analysis = analyze(matrix)
    columns = columns if columns is not None else np.flatnonzero(analysis.eligible).tolist()
    votes = statement_votes(analysis, columns, {COMMUNITY: (groups.labels, groups.names)})
    found = {}
    for name in RULES:
        rule = make_rule(name, {"attribute": COMMUNITY} if "attribute" in RULES[name].parameters else {})
        found[name] = {p.statement: p.outcome for p in decisions(rule, votes, {}).proposals}
    return found, columns


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else SHARED
    folders = sorted(p for p in root.iterdir() if p.is_dir())
    real_rows, flips = [], {(rule, share, kind): [0, 0] for rule in RULES for share in BLOCS for kind in "fb"}
    totals = Counter()
    for folder in folders:
        export = read_export(folder)
        polis_groups = read_polis_groups(folder)
        matrix = export.votes
        base, columns = outcomes(matrix, communities(matrix, polis_groups))
        bloc_from = int(matrix.participant_ids.max()) + 1
        statements = len(columns)
        row = [folder.name, matrix.shape[0], statements]
        for name in RULES:
            counted = Counter(base[name].values())
            totals[name, "pass"] += counted["pass"]
            totals[name, "undecided"] += counted["undecided"]
            row.append(f"{counted['pass']}" + (f" ({counted['undecided']}?)" if counted["undecided"] else ""))
        totals["statements"] += statements
        real_rows.append(row)
        for share in BLOCS:
            for kind, vote in (("f", 1), ("b", -1)):
                attacked = with_bloc(matrix, share, vote)
                after, _ = outcomes(attacked, communities(attacked, polis_groups, bloc_from), columns)
                for name in RULES:
                    for statement, before in base[name].items():
                        if (kind == "f") == (before != "pass"):  # forced: was not passing; blocked: was
                            flips[name, share, kind][1] += 1
                            flips[name, share, kind][0] += (after[name][statement] == "pass") == (kind == "f")
        print(f"  {folder.name}: done", file=sys.stderr)
    real_rows.append(
        ["all", "", totals["statements"]]
        + [f"{totals[name, 'pass']} ({100 * totals[name, 'pass'] / totals['statements']:.0f} %)" for name in RULES]
    )
    print("Statements passed under each rule (undecided in parentheses with ?):\n")
    print(table(["conversation", "participants", "statements", *RULES], real_rows))

    def rate(counts: list[int]) -> str:
        return f"{100 * counts[0] / counts[1]:.0f} % of {counts[1]}" if counts[1] else "–"

    rows = [[name] + [rate(flips[name, share, kind]) for share in BLOCS for kind in "fb"] for name in RULES]
    header = ["rule"] + [f"{int(share * 100)} %: {word}" for share in BLOCS for word in ("forced", "blocked")]
    print("\nA bloc voting alike on everything, declaring the smallest community:\n")
    print(table(header, rows))


if __name__ == "__main__":
    main()
