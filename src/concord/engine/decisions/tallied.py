"""The votes on each proposal, counted from the vote matrix: of everyone who voted, of each opinion
group, and of each group of each declared attribute. One pass over the votes per partition."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from concord.engine.decisions.rule import ProposalVotes
from concord.engine.decisions.support import Support
from concord.engine.tallies import GroupTallies, tally
from concord.engine.votes import VoteMatrix

EVERYONE = "everyone"


def proposal_votes(
    matrix: VoteMatrix,
    columns: Sequence[int],
    opinion: tuple[np.ndarray, Sequence[str]] | None = None,
    declared: Mapping[str, tuple[np.ndarray, Sequence[str]]] | None = None,
    *,
    counted: bool = False,
) -> dict[int, ProposalVotes]:
    """Per matrix column: the :class:`ProposalVotes` on that statement. ``opinion`` and each declared
    attribute are (a label per participant row, −1 for none; the groups' names). ``counted``: the votes
    are ballots, decided exactly (a vote on a proposal alone), not a deliberation's sample."""
    everyone = tally(matrix, np.zeros(matrix.shape[0], dtype=np.int64), 1)
    groups = tally(matrix, opinion[0], len(opinion[1])) if opinion else None
    attributes = {
        name: (tally(matrix, labels, len(names)), names) for name, (labels, names) in (declared or {}).items()
    }
    return {
        column: ProposalVotes(
            everyone=_support(everyone, 0, column, EVERYONE, counted),
            opinion_groups=[_support(groups, g, column, name, counted) for g, name in enumerate(opinion[1])]
            if groups is not None and opinion
            else [],
            declared={
                attribute: [_support(counts, g, column, name, counted) for g, name in enumerate(names)]
                for attribute, (counts, names) in attributes.items()
            },
        )
        for column in columns
    }


def _support(tallies: GroupTallies, group: int, column: int, name: str, counted: bool) -> Support:
    agree, disagree = int(tallies.agree[group, column]), int(tallies.disagree[group, column])
    return Support(name, agree, disagree, int(tallies.seen[group, column]) - agree - disagree, counted)
