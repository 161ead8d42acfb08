"""The terminal summary of ``concord analyze``: who the groups are, what unites them, what sets each
apart. Rendered with Rich so that wide (CJK) and right-to-left texts wrap correctly."""

from __future__ import annotations

from typing import Any

from concord.report.contract import AnalysisResults, Bridging, Consensus, Representative

SHOWN = 5


def print_summary(results: AnalysisResults, console: Any = None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    if results.topic:
        console.print(f"[bold]{results.topic}[/bold]")
    console.print(
        f"{results.participants:,} participants · {results.statements:,} statements"
        f" ({results.statements_moderated_out:,} moderated out) · {results.votes:,} votes"
    )
    groups = results.groups
    console.print(
        f"{len(groups)} opinion groups among {results.clustered_participants:,} clustered participants: "
        + ", ".join(f"{g.label} {g.size:,}" for g in groups)
    )
    for note in results.notes:
        console.print(f"[yellow]note:[/yellow] {note}")

    console.print(_consensus_table("Consensus across all opinion groups", results.consensus))

    for group in groups:
        table = Table(
            title=f"Group {group.label} ({group.size:,}): what it thinks that the others do not",
            title_justify="left",
        )
        table.add_column("side")
        table.add_column("group", justify="right")
        table.add_column("others", justify="right")
        table.add_column("statement", overflow="fold")
        for entry in group.representative:
            table.add_row(entry.direction, f"{entry.group_share:.0%}", f"{entry.rest_share:.0%}", _label(entry))
        console.print(table)

    if any(not entry.opposed_by_a_group for entry in results.bridging):
        table = Table(title="Bridging: support that the opinion axis does not explain", title_justify="left")
        table.add_column("#", justify="right")
        table.add_column("score", justify="right")
        table.add_column("statement", overflow="fold")
        bridges = [entry for entry in results.bridging if not entry.opposed_by_a_group]  # divisive ones do not bridge
        for rank, bridging in enumerate(bridges[:SHOWN], start=1):
            table.add_row(str(rank), f"{bridging.score:.3f}", _label(bridging))
        console.print(table)

    declared = results.declared_groups
    if declared:
        console.print("Declared groups: " + ", ".join(f"{g.name} {g.size:,}" for g in declared.groups))
        console.print(_consensus_table("Consensus across declared groups", declared.consensus))


def _consensus_table(title: str, entries: list[Consensus]) -> Any:
    """The ranking, with the verdict beside each entry and, above, whether any statement is every
    group's (at least 3 voters in each group, more than half of them on its side, 90 % confidence)."""
    from rich.table import Table

    agreed = sum(entry.every_group for entry in entries)
    verdict = f"{agreed} with every group's support" if agreed else "no statement has every group's support yet"
    table = Table(title=f"{title}: {verdict}", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("side")
    table.add_column("every group")
    table.add_column("score", justify="right")
    table.add_column("statement", overflow="fold")
    for rank, entry in enumerate(entries[:SHOWN], start=1):
        table.add_row(
            str(rank), entry.direction, "yes" if entry.every_group else "no", f"{entry.score:.3f}", _label(entry)
        )
    return table


def _label(entry: Consensus | Representative | Bridging) -> str:
    from rich.markup import escape

    return escape(f"[{entry.statement}] {entry.text}" if entry.text else f"statement {entry.statement}")
