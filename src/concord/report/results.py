"""Building the results contract (:mod:`concord.report.contract`) from an engine analysis: ids as in
the source, statement texts attached, numbers rounded for publication. The one place results are
made, for ``concord analyze`` and for the live analysis of a conversation alike."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from concord.engine.analysis import Analysis, GroupComparison
from concord.engine.repness import RepresentativeStatement
from concord.report import contract
from concord.report.opinion_map import Placements, binned_map, group_letter

Texts = Mapping[int, str]


def analysis_results(
    analysis: Analysis, texts: Texts | None = None, *, topic: str = "", notes: list[str] | None = None
) -> contract.AnalysisResults:
    """What ``concord analyze --json`` prints (with each group's members)."""
    return contract.AnalysisResults(**_analysis_fields(analysis, texts or {}, topic, notes, members=True))


def conversation_results(
    analysis: Analysis,
    texts: Texts,
    *,
    topic: str,
    declared: Mapping[str, GroupComparison],
    decisions: contract.Decisions | None = None,
    blocs: list[contract.SuspectedBloc] | None = None,
    decisions_if_real: contract.Decisions | None = None,
    placed: Placements | None = None,
) -> contract.ConversationResults:
    """What the live analysis stores for a conversation: the analysis, one comparison per declared
    attribute (e.g. region), the opinion map, and the decisions of its proposals. Of a size that does not
    grow with the participants (groups without member lists, the map binned): each participant's own
    place and group are :func:`placements`, stored and exported beside them."""
    return contract.ConversationResults(
        **_analysis_fields(analysis, texts, topic, None, members=False),
        declared={name: comparison(analysis, found, texts) for name, found in declared.items()},
        map=opinion_map(placed if placed is not None else placements(analysis), analysis.groups.k),
        decisions=decisions,
        blocs=blocs or [],
        decisions_if_real=decisions_if_real,
    )


def _analysis_fields(analysis: Analysis, texts: Texts, topic: str, notes: list[str] | None, *, members: bool) -> dict:
    matrix, groups, eligible = analysis.matrix, analysis.groups, analysis.eligible
    text = _text_of(analysis, texts)
    declared = None
    if analysis.declared is not None:
        declared = contract.DeclaredComparison(
            **vars(comparison(analysis, analysis.declared, texts)),
            participants_without_votes=analysis.unknown_declared_participants,
        )
    return {
        "topic": topic,
        "participants": int(matrix.shape[0]),
        "statements": int(eligible.sum()),
        "statements_moderated_out": int((~eligible).sum()),
        "votes": int(matrix.n_votes),
        "clustered_participants": int(groups.clustered.sum()),
        "parameters": analysis.parameters(),
        "silhouette_by_k": {str(k): round(v, 6) for k, v in groups.silhouettes.items()},
        "groups": [
            contract.Group(
                id=g,
                label=group_letter(g),
                size=int(size),
                representative=[_representative(r, analysis, text) for r in analysis.opinion.representative[g]],
                participants=matrix.participant_ids[groups.labels == g].tolist() if members else None,
            )
            for g, size in enumerate(groups.sizes())
        ],
        "consensus": _consensus(analysis.opinion, analysis, text),
        "group_votes": group_votes(analysis.opinion, matrix.statement_ids),
        "majority": {
            direction: [
                contract.MajorityEntry(int(matrix.statement_ids[j]), round(share, 6), text(j)) for j, share in entries
            ]
            for direction, entries in analysis.majority.items()
        },
        "bridging": _bridging(analysis, text),
        "timings": {stage: round(seconds, 4) for stage, seconds in analysis.timings.items()},
        "notes": list(notes or []),
        "declared_groups": declared,
    }


def comparison(analysis: Analysis, compared: GroupComparison, texts: Texts) -> contract.Comparison:
    """Groups (name, size, representative statements), consensus and votes across one partition of
    participants, e.g. a declared attribute such as region."""
    text = _text_of(analysis, texts)
    return contract.Comparison(
        groups=[
            contract.DeclaredGroup(
                name=name,
                size=int(size),
                representative=[_representative(r, analysis, text) for r in compared.representative[g]],
            )
            for g, (name, size) in enumerate(zip(compared.names, compared.sizes))
        ],
        consensus=_consensus(compared, analysis, text),
        group_votes=group_votes(compared, analysis.matrix.statement_ids),
    )


def placements(analysis: Analysis) -> Placements:
    """Every participant's 2-D position (rounded to 4 places) and group, by participant number."""
    return Placements.of(analysis.matrix.participant_ids, analysis.projection.positions, analysis.groups.labels)


def opinion_map(placed: Placements, k: int) -> contract.OpinionMap:
    """The published map of these placements (:func:`concord.report.opinion_map.binned_map`)."""
    return binned_map(placed.x, placed.y, placed.group, [group_letter(g) for g in range(k)])


def group_votes(compared: GroupComparison, statement_ids: np.ndarray) -> dict[str, list[list[int]]]:
    """Per statement id: [agree, disagree, seen] in each group, in group order — how each group voted."""
    tallies = compared.tallies
    stacked = np.stack([tallies.agree, tallies.disagree, tallies.seen], axis=-1)  # (k, m, 3)
    return {str(int(sid)): stacked[:, j, :].tolist() for j, sid in enumerate(statement_ids)}


def _text_of(analysis: Analysis, texts: Texts) -> Callable[[int], str]:
    statement_ids = analysis.matrix.statement_ids

    def text(column: int) -> str:
        return texts.get(int(statement_ids[column]), "")

    return text


def _representative(
    r: RepresentativeStatement, analysis: Analysis, text: Callable[[int], str]
) -> contract.Representative:
    return contract.Representative(
        statement=int(analysis.matrix.statement_ids[r.statement]),
        direction=r.direction,
        group_share=round(r.p_success, 6),
        rest_share=round(r.share_rest, 6),
        votes_that_way=int(r.n_success),
        group_voters=int(r.n_trials),
        repness=round(r.repness, 6),
        repness_test=round(r.repness_test, 6),
        text=text(r.statement),
    )


def _consensus(compared: GroupComparison, analysis: Analysis, text: Callable[[int], str]) -> list[contract.Consensus]:
    found, statement_ids = compared.consensus, analysis.matrix.statement_ids
    return [
        contract.Consensus(
            statement=int(statement_ids[j]),
            direction=direction,
            score=round(score, 6),
            agree_score=round(float(found.agree[j]), 6),
            disagree_score=round(float(found.disagree[j]), 6),
            text=text(j),
            every_group=found.every_group(j, direction),
        )
        for j, direction, score in found.ranked(analysis.eligible)
    ]


def _bridging(analysis: Analysis, text: Callable[[int], str]) -> list[contract.Bridging]:
    if analysis.bridging is None:
        return []
    found, statement_ids = analysis.bridging, analysis.matrix.statement_ids
    opposed = analysis.opinion.consensus.opposed_by_a_group
    return [
        contract.Bridging(
            statement=int(statement_ids[j]),
            score=round(score, 6),
            factor=round(float(found.factor[j]), 6),
            ratings=int(found.ratings[j]),
            text=text(j),
            opposed_by_a_group=bool(opposed[j]),
        )
        for j, score in found.ranked(analysis.eligible)
    ]
