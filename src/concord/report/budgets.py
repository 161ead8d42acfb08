"""A budget's outcome as published: JSON (``concord budget --json``, the API) and a readable summary,
both built from one report, decided from the budget's projects and ballots (the same for the server,
which reads them from the database, and for ``concord verify``, which replays them from the log).
Money is printed exactly when it is a whole number (budgets and costs usually are) and to the cent
otherwise; which projects are funded never depends on rounding.

Voters' groups for the fairness report: the opinion groups found in the ballots, and each declared
attribute (pabulib's voter columns: district, neighbourhood, sex, education …; ages in bands)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

from concord.engine.budgets.election import Election, Project, election_of
from concord.engine.budgets.equal_shares_utilities import SATISFACTION_WORDS, UtilityRound
from concord.engine.budgets.fairness import fairness
from concord.engine.budgets.groups import ballot_groups
from concord.engine.budgets.outcome import BudgetOutcome, ProjectOutcome, decide_budget
from concord.report.opinion_map import group_letter

OPINION = "opinion group"
AGE_BANDS = ((0, "under 25"), (25, "25–34"), (35, "35–44"), (45, "45–54"), (55, "55–64"), (65, "65 and over"))


def money(value: Fraction | None) -> int | float | None:
    if value is None:
        return None
    return value.numerator if value.denominator == 1 else round(float(value), 2)


def age_band(value: str | None) -> str | None:
    """An age as its band (ages one by one would make groups of a few voters each)."""
    if value is None:
        return None
    try:
        age = float(value)
    except ValueError:
        return value
    return next(label for low, label in reversed(AGE_BANDS) if age >= low)


def voter_groups(election: Election, attributes: Mapping[str, Sequence[str | None]]) -> dict[str, list[str | None]]:
    """Opinion groups found in the ballots (A the largest), then each declared attribute."""
    found: dict[str, list[str | None]] = {
        OPINION: [group_letter(int(label)) if label >= 0 else None for label in ballot_groups(election.ballots)]
    }
    for name, values in attributes.items():
        found[name] = [age_band(value) for value in values] if name == "age" else list(values)
    return found


@dataclass(frozen=True)
class Voters:
    """The ballots as an election, with what is known of each voter."""

    election: Election
    attributes: dict[str, list[str | None]]  # declared answers and imported voter columns, per voter


@dataclass(frozen=True)
class ProjectRow:
    """A project as the outcome reads it (a stored one, or one replayed from the log)."""

    number: int
    code: str
    name: str
    cost: str  # exact decimal


def voters_of(
    amount: str,
    projects: list[ProjectRow],
    ballots: Sequence[tuple[list[int], list[str] | None, dict | None, dict | None]],
    vote_type: str = "approval",
) -> Voters:
    """The election of these projects (by number) and ballots: (projects chosen, in rank order for
    ordinal ballots; their points for cumulative ones; imported voter columns; declared answers) per
    voter, in the order they first voted, decided as its ``vote_type`` means (points, ranks or a list).
    A project no longer in the budget is left out of a ballot (with its points); a voter's imported
    column is their answer where both name one."""
    position = {project.number: index for index, project in enumerate(projects)}
    lists = [[position[number] for number in chosen if number in position] for chosen, _, _, _ in ballots]
    points = [
        [Fraction(given) for number, given in zip(chosen, points or ()) if number in position]
        for chosen, points, _, _ in ballots
    ]
    names = sorted({name for *_, imported, declared in ballots for name in (*(declared or ()), *(imported or ()))})
    attributes = {
        name: [
            imported[name] if imported and name in imported else (declared or {}).get(name)
            for *_, imported, declared in ballots
        ]
        for name in names
    }
    cast = tuple(Project(project.code, Fraction(project.cost)) for project in projects)
    return Voters(election_of(Fraction(amount), cast, lists, vote_type, points), attributes)


def report_of(voters: Voters, projects: list[ProjectRow]) -> dict[str, Any]:
    """The outcome, explained, with the fairness report: what a budget's results show and its
    ``outcome`` entry publishes (exact arithmetic: it recomputes to the same bytes anywhere)."""
    outcome = decide_budget(voters.election)
    names = [project.name for project in projects]
    report = budget_report(voters.election, outcome, voter_groups(voters.election, voters.attributes), names)
    report["numbers"] = {project.code: project.number for project in projects}
    return report


def budget_report(
    election: Election,
    outcome: BudgetOutcome,
    groups: Mapping[str, Sequence[str | None]],
    names: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The outcome, every project's explanation, greedy beside it, and the fairness report."""
    ids = [project.id for project in election.projects]
    return {
        "budget": money(election.budget),
        "voters": election.voters,
        "projects": len(ids),
        "funded": [ids[i] for i in outcome.funded],
        "spent": money(outcome.spent),
        "share": money(outcome.share),
        "raises": outcome.raises,
        "greedy": [ids[i] for i in outcome.greedy],
        "greedy_spent": money(outcome.greedy_spent),
        "explanation": [
            _project(election, project, names[project.project] if names else None) for project in outcome.projects
        ],
        "fairness": [asdict(row) for row in fairness(election, outcome.funded, outcome.greedy, groups)],
    }


def _project(election: Election, found: ProjectOutcome, name: str | None) -> dict[str, Any]:
    project = election.projects[found.project]
    explained: dict[str, Any] = {
        "project": project.id,
        "name": name,
        "cost": money(project.cost),
        "votes": found.votes,
        "funded": found.funded,
        "how": found.how,
        "greedy_funded": found.greedy_funded,
    }
    if found.paid is not None:
        explained.update(
            round=found.round,
            per_supporter=money(found.paid.per_supporter),
            full_payers=found.paid.full_payers,
            partial_payers=found.paid.partial_payers,
            partial_paid=money(found.paid.partial_paid),
        )
    if isinstance(found.paid, UtilityRound):  # paid by points or ranks: no one payment per supporter
        explained.update(
            per_supporter=None,
            per_point=money(found.paid.price),
            payments=[{"points": p.utility, "voters": p.voters, "each": money(p.each)} for p in found.paid.payments],
        )
    if found.why is not None:
        explained.update(
            why=found.why,
            out_of_reach_after=found.out_of_reach_after,
            supporters_had=money(found.supporters_had),
            completion_left=money(found.completion_left),
        )
    return explained


def budget_text(report: Mapping[str, Any]) -> str:
    """A readable summary for the terminal."""
    lines = [
        f"budget {report['budget']:,} · {report['voters']:,} voters · {report['projects']} projects",
        f"equal shares (add1, then greedy for what is left): {len(report['funded'])} projects, "
        f"spent {report['spent']:,} ({_percent(report['spent'], report['budget'])}); each voter's share "
        f"{report['share']:,} after {report['raises']} raises of 1",
        f"greedy by votes alone: {len(report['greedy'])} projects, spent {report['greedy_spent']:,}",
        "",
        "funded:",
    ]
    if "satisfaction" in report:
        lines.insert(1, f"decided with {SATISFACTION_WORDS[report['satisfaction']]}; {report['vote_type']} ballots")
    unit = "Borda point" if report.get("vote_type") == "ordinal" else "point"
    by_id = {item["project"]: item for item in report["explanation"]}
    for item in (by_id[project] for project in report["funded"]):
        label = f"  {item['project']}" + (f" {item['name']}" if item["name"] else "")
        if item.get("per_point") is not None:
            lines.append(_paid_by_points(label, item, unit))
        elif item["how"] == "equal-shares":
            paid = f"{_count(item['full_payers'], 'supporter')} paid {item['per_supporter']:,} each"
            if item["partial_payers"]:
                paid += f", {item['partial_payers']:,} paid what they had left ({item['partial_paid']:,})"
            lines.append(f"{label} · cost {item['cost']:,} · round {item['round']}: {paid}")
        else:
            lines.append(f"{label} · cost {item['cost']:,} · {item['votes']:,} votes: completion (money left over)")
    changed_in = [i["project"] for i in report["explanation"] if i["funded"] and not i["greedy_funded"]]
    changed_out = [i["project"] for i in report["explanation"] if not i["funded"] and i["greedy_funded"]]
    lines += ["", f"what equal shares changed: funds {', '.join(changed_in) or 'nothing'} that greedy would not; "
              f"leaves out {', '.join(changed_out) or 'nothing'} that greedy would fund"]  # fmt: skip
    lines += ["", "fairness (share of the money spent on what each group approved, against its share of voters):"]
    lines.append(f"  {'attribute':<16} {'group':<14} {'voters':>8} {'equal shares':>13} {'greedy':>8}")
    for row in report["fairness"]:
        lines.append(
            f"  {row['attribute']:<16} {row['group'][:14]:<14} {row['voter_share']:>8.1%} "
            f"{row['equal_shares']:>13.1%} {row['greedy']:>8.1%}"
        )
    return "\n".join(lines)


def _paid_by_points(label: str, item: Mapping[str, Any], unit: str) -> str:
    """A funded project's line, its supporters' payments by their points (or Borda points)."""
    parts = [
        f"{payment['voters']:,} with {_count(payment['points'], unit)} paid {payment['each']:,} each"
        for payment in item["payments"]
    ]
    if item["partial_payers"]:
        parts.append(f"{item['partial_payers']:,} paid what they had left ({item['partial_paid']:,})")
    return (
        f"{label} · cost {item['cost']:,} · round {item['round']}: {item['per_point']:,} per {unit}"
        f" ({'; '.join(parts)})"
    )


def _count(number: int, thing: str) -> str:
    return f"{number:,} {thing}{'' if number == 1 else 's'}"


def _percent(part: float, whole: float) -> str:
    return f"{part / whole:.1%}" if whole else "–"
