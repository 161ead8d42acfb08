"""The budget tests' oracle: pabutools (the reference implementation of the Method of Equal Shares) run
on the same election, and elections written as pabulib files."""

from __future__ import annotations

from fractions import Fraction

from gmpy2 import mpq
from pabutools.election import ApprovalBallot, ApprovalProfile, Cost_Sat, Instance
from pabutools.election import Project as PabuProject
from pabutools.rules import completion_by_rule_combination, greedy_utilitarian_welfare, method_of_equal_shares

from concord.engine.budgets.election import Election
from concord.formats.pabulib import PabulibFile


def _exact(value: Fraction):
    return value.numerator if value.denominator == 1 else mpq(value.numerator, value.denominator)


def pabutools_election(election: Election) -> tuple[Instance, ApprovalProfile]:
    instance = Instance(budget_limit=_exact(election.budget))
    projects = [PabuProject(project.id, _exact(project.cost)) for project in election.projects]
    for project in projects:
        instance.add(project)
    ballots = election.ballots
    profile = ApprovalProfile(
        [
            ApprovalBallot([projects[j] for j in ballots.indices[ballots.indptr[i] : ballots.indptr[i + 1]]])
            for i in range(election.voters)
        ]
    )
    return instance, profile


def pabutools_outcomes(election: Election) -> dict[str, list[str]]:
    """Equal shares alone, with add1, with add1 then greedy (the combination Concord decides by), and
    greedy by votes alone, as pabutools computes them (exact rationals, lexicographic tie-breaking)."""
    instance, profile = pabutools_election(election)
    multi = profile.as_multiprofile()

    def names(allocation) -> list[str]:
        return [project.name for project in allocation]

    return {
        "equal_shares": names(method_of_equal_shares(instance, multi, sat_class=Cost_Sat)),
        "add1": names(method_of_equal_shares(instance, multi, sat_class=Cost_Sat, voter_budget_increment=1)),
        "decided": names(
            completion_by_rule_combination(
                instance,
                multi,
                [method_of_equal_shares, greedy_utilitarian_welfare],
                [{"sat_class": Cost_Sat, "voter_budget_increment": 1}, {"sat_class": Cost_Sat}],
            )
        ),
        "greedy": names(greedy_utilitarian_welfare(instance, multi, sat_class=Cost_Sat)),
    }


def as_pabulib(election: Election, attributes: dict[str, list[str]] | None = None) -> PabulibFile:
    """An election as a pabulib file (approval ballots), with voters' attributes as extra columns."""
    attributes = attributes or {}
    ballots = election.ballots
    meta = {
        "description": "synthetic election for Concord's tests",
        "country": "Nowhere",
        "unit": "Test",
        "instance": "synthetic",
        "num_projects": str(len(election.projects)),
        "num_votes": str(election.voters),
        "budget": _text(election.budget),
        "vote_type": "approval",
        "rule": "equalshares/add1",
        "date_begin": "2026-01-01",
        "date_end": "2026-01-31",
    }
    votes = []
    for voter in range(election.voters):
        listed = ballots.indices[ballots.indptr[voter] : ballots.indptr[voter + 1]]
        row = [str(voter + 1), ",".join(election.projects[j].id for j in sorted(listed))]
        votes.append(row + [values[voter] for values in attributes.values()])
    return PabulibFile(
        meta=meta,
        project_columns=["project_id", "cost", "name"],
        projects=[[project.id, _text(project.cost), f"Project {project.id}"] for project in election.projects],
        vote_columns=["voter_id", "vote", *attributes],
        votes=votes,
    )


def _text(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return str(float(value)) if float(value) == value else f"{value.numerator}/{value.denominator}"
