"""``concord decide``: decide every statement of a Pol.is export as a proposal under a rule, or one
proposal across places from their reported tallies. One JSON object with ``--json``; a summary else."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from concord.cli.errors import fail, run_safely


def decide(
    path: Path | None = typer.Argument(None, help="A Pol.is export folder: every statement is decided as a proposal."),
    rule: str = typer.Option(
        ...,
        "--rule",
        help="The rule: majority, consensus, mutual-veto, concurrent-majority, "
        "parallel-consent, weighted-majority; across places (--tallies): all-places, "
        "places-quota, double-majority, qualified-majority.",
    ),
    parameter: list[str] = typer.Option([], "--param", help="A rule parameter, NAME=VALUE (repeat for more)."),
    groups_file: Path | None = typer.Option(
        None, "--groups-file", help="CSV of participant,group: declared groups (communities, regions)."
    ),
    tallies: Path | None = typer.Option(
        None, "--tallies", help="CSV of space,weight,agree,disagree[,population]: one proposal across places."
    ),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
    count_blocs: bool = typer.Option(
        False,
        "--count-blocs",
        help="Count every account of a suspected bloc (accounts that vote alike and arrived together); "
        "by default each bloc counts as one participant.",
    ),
) -> None:
    """Decide proposals so that no group dominates: under a power-sharing rule, or across places."""
    if (path is None) == (tallies is None):
        fail("give either an export folder or --tallies CSV (not both)")
    run_safely(_decide, path, rule, parameter, groups_file, tallies, json_output, count_blocs)


def _decide(
    path: Path | None,
    rule: str,
    parameter: list[str],
    groups_file: Path | None,
    tallies: Path | None,
    json_output: bool,
    count_blocs: bool,
) -> None:
    import json

    from concord.engine.decisions import PLACE_RULES, RULES, make_place_rule, make_rule
    from concord.report.contract import to_json
    from concord.report.decisions import rollup_json, tally_counts

    if tallies is not None:
        if rule not in PLACE_RULES:
            fail(f"--tallies decides across places: use one of {', '.join(PLACE_RULES)}")
        chosen = make_place_rule(rule, _parameters(parameter, PLACE_RULES[rule].parameters))
        from concord.formats.tallies import read_tallies

        found = rollup_json(chosen.decide(read_tallies(tallies)))
        if json_output:
            sys.stdout.write(json.dumps(found, ensure_ascii=False) + "\n")
        else:
            print(f"{rule}: {found['explanation']}")
        return
    assert path is not None
    if rule not in RULES:
        fail(f"an export is decided by one of {', '.join(RULES)} (across places: --tallies)")
    chosen_rule = make_rule(rule, _parameters(parameter, RULES[rule].parameters))
    decided, blocs = _export_decisions(path, chosen_rule, groups_file, count_blocs)
    counts = tally_counts(decided.proposals)
    majority = {result: sum(p.majority == result for p in decided.proposals) for result in counts}
    if json_output:
        suspected = [{"participants": b.participants, "agreement": round(b.agreement, 6), "statements": b.statements,
                      "arrival_span_ms": b.arrival_span_ms} for b in blocs]  # fmt: skip
        body = {**to_json(decided), "counts": counts, "majority_counts": majority, "blocs": suspected,
                "blocs_counted": "in full" if count_blocs else "once"}  # fmt: skip
        sys.stdout.write(json.dumps(body, ensure_ascii=False) + "\n")
        return
    print(f"{rule} ({', '.join(f'{k}={v}' for k, v in decided.parameters.items() if v is not None)}): "
          f"{counts['pass']} pass, {counts['fail']} fail, {counts['undecided']} undecided of "
          f"{len(decided.proposals)} statements; plain majority would pass {majority['pass']}")  # fmt: skip
    if blocs:
        accounts = sum(len(b.participants) for b in blocs)
        how = "each account counted (--count-blocs)" if count_blocs else "each counted as one participant"
        print(f"{len(blocs)} suspected bloc(s) of {accounts} accounts that vote alike and arrived together: {how}")
    for proposal in decided.proposals:
        print(f"  [{proposal.statement}] {proposal.text[:70]}\n      {proposal.explanation}")


def _export_decisions(path: Path, rule, groups_file: Path | None, count_blocs: bool):
    """Every statement decided as a proposal, each judged by opinion groups found without it
    (cross-fitted, :func:`concord.report.decisions.decide_every_statement`), suspected blocs counted
    once unless ``count_blocs``."""
    from concord.engine.analysis import DeclaredGroups
    from concord.engine.blocs import counted_once
    from concord.formats.declared_groups import read_groups_file
    from concord.formats.polis import read_export
    from concord.report.decisions import decide_every_statement, suspected_blocs

    export = read_export(path, keep_events=True)
    matrix = export.votes
    events = export.events
    timed = events is not None and bool(events.timestamp.any())  # an export without votes.csv has no times
    blocs = suspected_blocs(matrix, (events.participant, events.timestamp) if timed and events else None)
    if blocs and not count_blocs:
        matrix = counted_once(matrix, blocs)
    declared = {}
    if groups_file is not None:
        groups = DeclaredGroups.from_mapping(matrix, read_groups_file(groups_file))
        declared[groups_file.stem] = (groups.labels, groups.names)
    texts = {sid: statement.text for sid, statement in export.statements.items()}
    return decide_every_statement(rule, matrix, texts, declared), blocs


def _parameters(given: list[str], declared: dict) -> dict:
    """NAME=VALUE pairs as the rule's parameters, numbers parsed, lists split on commas."""
    parsed = {}
    for item in given:
        name, sep, value = item.partition("=")
        if not sep or not name:
            fail(f"--param {item!r}: write it as NAME=VALUE, e.g. --param threshold=0.7")
        param = declared.get(name)
        kind = param.kind if param is not None else str
        try:
            parsed[name] = kind(value) if kind in (int, float) else value.split(",") if kind is list else value
        except ValueError:
            limits = f" from {param.low:g} to {param.high:g}" if param is not None and param.low is not None else ""
            fail(f"--param {name}: {value!r} is not a number{limits}")
    return parsed
