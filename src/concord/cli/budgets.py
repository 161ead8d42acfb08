"""``concord budget FILE.pb``: decide a participatory budget from a pabulib file by the Method of Equal
Shares (add1, then greedy for what is left), with greedy by votes beside it and the fairness report.
One JSON object with ``--json``; a summary else. Both say which satisfaction decided it: approval and
choose-1 ballots cost satisfaction, cumulative and scoring ballots the points, ordinal ballots Borda
scores (``satisfaction``: pabutools' class; with points or ranks, each project funded in equal shares
gives what a supporter paid per point, ``per_point``, and how many paid how much, by their points,
``payments``; ``per_supporter`` is then null, as supporters paid by their points).

A malformed file ends with one error naming its line (exit code 2). Ballots that break the file's own
limits (``max_length``, ``max_sum_cost`` …) are real data as published (pabulib keeps them, and
pabutools decides with them): they are kept, and said on stderr, one line; ``--strict`` refuses them."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from concord.cli.errors import run_safely


def budget(
    path: Path = typer.Argument(..., help="A pabulib .pb file (META, PROJECTS and VOTES sections)."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
    workers: int = typer.Option(
        0, "--workers", min=0, max=64, help="Processes for the equal-shares runs (0: one per CPU core)."
    ),
    strict: bool = typer.Option(
        False, "--strict", help="Refuse a ballot that breaks the file's own limits (max_length, max_sum_cost …)."
    ),
) -> None:
    """Share a budget fairly: the Method of Equal Shares, what greedy by votes would do, and how much of
    the money went to what each group of voters approved."""
    run_safely(_budget, path, json_output, workers or os.cpu_count() or 1, strict)


def _budget(path: Path, json_output: bool, workers: int, strict: bool) -> None:
    import json

    from concord.engine.budgets.outcome import decide_budget
    from concord.formats.pabulib import read_pabulib
    from concord.report.budgets import budget_report, budget_text, voter_groups

    parsed = read_pabulib(path, strict=strict)
    if parsed.rule_breaks:
        first = parsed.rule_breaks[0]
        more = f" (and {len(parsed.rule_breaks) - 1} more)" if len(parsed.rule_breaks) > 1 else ""
        print(f"concord: note: {path}, {first}{more}; kept as published (--strict refuses)", file=sys.stderr)
    election = parsed.election()
    outcome = decide_budget(election, workers)
    names = parsed.column(parsed.projects, parsed.project_columns, "name") if "name" in parsed.project_columns else None
    report = budget_report(election, outcome, voter_groups(election, parsed.voter_attributes()), names)
    report["runs"] = outcome.runs  # equal-shares runs computed (one raise at a time: stepwise_runs)
    report["stepwise_runs"] = outcome.stepwise_runs
    report["rule_breaks"] = parsed.rule_breaks
    report["vote_type"] = election.vote_type
    report["satisfaction"] = outcome.satisfaction
    print(json.dumps(report, ensure_ascii=False) if json_output else budget_text(report))
