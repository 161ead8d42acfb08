"""Run red-dwarf (PyPI ``red-dwarf``, the Python re-implementation of the Pol.is math) on a Pol.is
export folder, the way a user would, and print its groups as JSON on the last line of stdout.

Used by ``bench/speed.py`` and ``bench/fidelity.py`` as a separate process, so that its whole-process
time and peak memory can be measured exactly like Concord's. Votes are read with the csv module (as
red-dwarf's own loader does), the latest vote per (participant, statement) is kept, and statements
moderated out (``moderated = -1``) are passed as ``mod_out_statement_ids``
(shared/docs/polis-math.md §3).
"""

from __future__ import annotations

import csv
import json
import sys
import warnings
from pathlib import Path


def load_votes(folder: Path) -> list[dict]:
    votes_file = folder / "votes.csv"
    latest: dict[tuple[int, int], dict] = {}
    if votes_file.is_file():
        with open(votes_file, newline="") as handle:
            for row in csv.DictReader(handle):
                key = (int(row["voter-id"]), int(row["comment-id"]))
                latest[key] = {
                    "participant_id": key[0],
                    "statement_id": key[1],
                    "vote": int(row["vote"]),
                    "modified": int(row["timestamp"]),
                }
        return list(latest.values())
    with open(folder / "participants-votes.csv", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        fixed = {"participant", "xid", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree"}
        columns = [(i, int(name)) for i, name in enumerate(header) if name not in fixed]
        pid_at = header.index("participant")
        votes = []
        for row in reader:
            for i, sid in columns:
                if i < len(row) and row[i] != "":
                    votes.append(
                        {"participant_id": int(row[pid_at]), "statement_id": sid, "vote": int(row[i]), "modified": 0}
                    )
        return votes


def moderated_out(folder: Path) -> list[int]:
    path = folder / "comments.csv"
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as handle:
        return [int(row["comment-id"]) for row in csv.DictReader(handle) if row.get("moderated") == "-1"]


def main() -> None:
    warnings.filterwarnings("ignore")
    folder = Path(sys.argv[1])
    from reddwarf.implementations.polis import run_pipeline

    result = run_pipeline(votes=load_votes(folder), mod_out_statement_ids=moderated_out(folder), random_state=0)
    frame = result.participants_df
    clustered = frame[frame["to_cluster"]]
    groups = {str(int(pid)): int(label) for pid, label in zip(clustered.index, clustered["cluster_id"])}
    print(json.dumps({"groups": groups}))


if __name__ == "__main__":
    main()
