"""``concord analyze`` and ``concord synth``: offline commands over Pol.is export folders."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from concord.cli.errors import run_safely
from concord.cli.progress import StageReporter


def analyze(
    path: Path = typer.Argument(
        ..., help="A Pol.is export folder (votes.csv + comments.csv, or participants-votes.csv)."
    ),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON object on stdout instead of the summary."),
    html: Path | None = typer.Option(None, "--html", help="Also write a self-contained HTML report to this file."),
    groups_file: Path | None = typer.Option(
        None, "--groups-file", help="CSV of participant,group (e.g. region): consensus across these groups too."
    ),
    dimensions: int = typer.Option(
        2, help="Principal axes used for clustering (2 = Pol.is; more separates more groups)."
    ),
    max_groups: int = typer.Option(5, help="Largest number of opinion groups to consider."),
    seed: int = typer.Option(0, help="Seed of the k-means runs; the same seed always gives the same result."),
    no_bridging: bool = typer.Option(False, "--no-bridging", help="Skip the bridging (matrix factorization) scores."),
    progress: bool | None = typer.Option(
        None, "--progress/--no-progress", help="Report stages on stderr (default: when stderr is a terminal)."
    ),
) -> None:
    """Find opinion groups, cross-group consensus and bridging statements in a conversation."""
    run_safely(
        _analyze,
        path,
        json_output,
        html,
        groups_file,
        dimensions,
        max_groups,
        seed,
        not no_bridging,
        sys.stderr.isatty() if progress is None else progress,
    )


def _analyze(path, json_output, html, groups_file, dimensions, max_groups, seed, bridging, progress) -> None:
    import json
    from dataclasses import replace

    from concord.engine.analysis import AnalysisParams, DeclaredGroups
    from concord.engine.analysis import analyze as run_analysis
    from concord.formats.declared_groups import read_groups_file
    from concord.formats.polis import read_export
    from concord.report.contract import to_json
    from concord.report.results import analysis_results

    params = AnalysisParams(dimensions=dimensions, max_groups=max_groups, seed=seed, bridging=bridging)
    reporter = StageReporter(enabled=progress)
    reporter.start("reading")
    export = read_export(path)
    declared = None
    notes = list(export.notes)
    if groups_file is not None:
        declared = DeclaredGroups.from_mapping(export.votes, read_groups_file(groups_file))
        if declared.unknown_participants:
            notes.append(f"{declared.unknown_participants} participants in {groups_file.name} have no votes here")
    matrix = export.votes
    reporter.done(f"{matrix.n_votes:,} votes by {matrix.shape[0]:,} participants on {matrix.shape[1]:,} statements")
    analysis = run_analysis(matrix, params, declared, progress=reporter.stage_done)
    texts = {sid: s.text for sid, s in export.statements.items()}
    results = analysis_results(analysis, texts, topic=export.topic, notes=notes)
    results = replace(results, timings={**{k: round(v, 4) for k, v in export.timings.items()}, **results.timings})
    if html is not None:
        from concord.report.html import render_html

        html.write_text(render_html(analysis, results, source=str(path)), encoding="utf-8")
        reporter.note(f"wrote {html}")
    if json_output:
        sys.stdout.write(json.dumps(to_json(results), ensure_ascii=False) + "\n")
    else:
        from concord.report.text import print_summary

        print_summary(results)


def synth(
    folder: Path = typer.Argument(..., help="Folder to write the Pol.is-format export to."),
    participants: int = typer.Option(2000, help="Number of participants."),
    statements: int = typer.Option(200, help="Number of statements."),
    votes: int = typer.Option(100_000, help="Number of votes (about; repeats of a pair count once)."),
    groups: int = typer.Option(3, help="Number of planted opinion groups."),
    seed: int = typer.Option(0, help="Random seed."),
) -> None:
    """Write a synthetic conversation with planted opinion groups (for benchmarks and demos).

    The planted group of each participant goes to planted-groups.csv, usable as --groups-file.
    """
    run_safely(_synth, folder, participants, statements, votes, groups, seed)


def _synth(folder: Path, participants: int, statements: int, votes: int, groups: int, seed: int) -> None:
    import csv

    import numpy as np

    from concord.engine.synthetic import planted_conversation
    from concord.formats.polis import Statement, VoteEvents
    from concord.formats.polis_writer import write_export

    conversation = planted_conversation(participants, statements, votes, groups, seed)
    n_events = len(conversation.vote)
    events = VoteEvents(
        conversation.participant,
        conversation.statement,
        conversation.vote,
        1_700_000_000_000 + np.arange(n_events, dtype=np.int64),
    )
    texts = [Statement(id=j, text=f"Synthetic statement {j}", moderated=1) for j in range(statements)]
    planted = {i: int(g) for i, g in enumerate(conversation.planted)}
    written = write_export(
        folder, events, texts, topic=f"Synthetic: {groups} planted groups (seed {seed})", groups=planted
    )
    with open(folder / "planted-groups.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["participant", "group"])
        writer.writerows(planted.items())
    typer.echo(f"wrote {', '.join(written)}, planted-groups.csv to {folder} ({n_events:,} votes)")
