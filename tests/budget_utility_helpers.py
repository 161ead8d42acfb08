"""The oracle for ballots with points or ranks: pabutools' Method of Equal Shares with the satisfaction
Concord decides them by (``Additive_Cardinal_Sat`` for cumulative and scoring ballots,
``Additive_Borda_Sat`` for ordinal ones), run on the same election; and such elections written as
pabulib files."""

from __future__ import annotations

from fractions import Fraction

import pabutools.election as pabutools_election
from gmpy2 import mpq
from pabutools.election import (
    CardinalBallot,
    CardinalProfile,
    Cost_Sat,
    CumulativeBallot,
    CumulativeProfile,
    Instance,
    OrdinalBallot,
    OrdinalProfile,
)
from pabutools.election import Project as PabuProject
from pabutools.rules import completion_by_rule_combination, greedy_utilitarian_welfare, method_of_equal_shares

from concord.engine.budgets.election import Election
from concord.engine.budgets.equal_shares_utilities import satisfaction_of
from concord.formats.pabulib import PabulibFile


def _exact(value: Fraction):
    return value.numerator if value.denominator == 1 else mpq(value.numerator, value.denominator)


def ballots_of(election: Election) -> list[list[tuple[int, int]]]:
    """Each voter's (project, points or rank), ranks in order."""
    assert election.values is not None
    values = election.values
    found = []
    for voter in range(election.voters):
        start, end = values.indptr[voter], values.indptr[voter + 1]
        pairs = list(zip(values.indices[start:end].tolist(), values.data[start:end].tolist()))
        if election.vote_type == "ordinal":
            pairs.sort(key=lambda pair: pair[1])
        found.append(pairs)
    return found


def pabutools_utility_election(election: Election):
    instance = Instance(budget_limit=_exact(election.budget))
    projects = [PabuProject(project.id, _exact(project.cost)) for project in election.projects]
    for project in projects:
        instance.add(project)
    ballots = ballots_of(election)
    scale = election.point_scale
    if election.vote_type == "ordinal":
        profile = OrdinalProfile([OrdinalBallot([projects[j] for j, _ in pairs]) for pairs in ballots])
    elif election.vote_type == "scoring":
        profile = CardinalProfile(
            [CardinalBallot({projects[j]: _exact(Fraction(v, scale)) for j, v in pairs}) for pairs in ballots]
        )
    else:
        profile = CumulativeProfile(
            [CumulativeBallot({projects[j]: _exact(Fraction(v, scale)) for j, v in pairs}) for pairs in ballots]
        )
    return instance, profile


def pabutools_utility_outcomes(election: Election) -> dict[str, list[str]]:
    """Equal shares alone, with add1, and add1 completed by greedy by votes (pabutools' greedy with cost
    satisfaction), with the satisfaction of the election's ballots."""
    instance, profile = pabutools_utility_election(election)
    sat = getattr(pabutools_election, satisfaction_of(election.vote_type))

    def names(allocation) -> list[str]:
        return [project.name for project in allocation]

    return {
        "equal_shares": names(method_of_equal_shares(instance, profile, sat_class=sat)),
        "add1": names(method_of_equal_shares(instance, profile, sat_class=sat, voter_budget_increment=1)),
        "decided": names(
            completion_by_rule_combination(
                instance,
                profile,
                [method_of_equal_shares, greedy_utilitarian_welfare],
                [{"sat_class": sat, "voter_budget_increment": 1}, {"sat_class": Cost_Sat}],
            )
        ),
    }


def as_utility_pabulib(election: Election) -> PabulibFile:
    """A cumulative, scoring or ordinal election as a pabulib file."""
    meta = {
        "description": "synthetic election for Concord's tests",
        "country": "Nowhere",
        "unit": "Test",
        "instance": "synthetic",
        "num_projects": str(len(election.projects)),
        "num_votes": str(election.voters),
        "budget": _text(election.budget),
        "vote_type": election.vote_type,
        "rule": "equalshares/add1",
        "date_begin": "2026-01-01",
        "date_end": "2026-01-31",
    }
    votes = []
    for voter, pairs in enumerate(ballots_of(election)):
        row = [str(voter + 1), ",".join(election.projects[j].id for j, _ in pairs)]
        if election.vote_type != "ordinal":
            row.append(",".join(_text(Fraction(v, election.point_scale)) for _, v in pairs))
        votes.append(row)
    columns = ["voter_id", "vote"] + ([] if election.vote_type == "ordinal" else ["points"])
    return PabulibFile(
        meta=meta,
        project_columns=["project_id", "cost", "name"],
        projects=[[project.id, _text(project.cost), f"Project {project.id}"] for project in election.projects],
        vote_columns=columns,
        votes=votes,
    )


def _text(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return str(float(value)) if float(value) == value else f"{value.numerator}/{value.denominator}"
