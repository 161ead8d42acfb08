"""An analysis as plain data (ids as in the source, statement texts attached): what ``--json`` prints
and what the text and HTML reports, and later the server, render."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from concord.engine.analysis import Analysis, GroupComparison
from concord.engine.repness import RepresentativeStatement
from concord.report.opinion_map import group_letter


def results_dict(
    analysis: Analysis,
    texts: Mapping[int, str] | None = None,
    *,
    topic: str = "",
    notes: list[str] | None = None,
) -> dict[str, Any]:
    texts = texts or {}
    matrix = analysis.matrix
    statement_ids = matrix.statement_ids
    eligible = analysis.eligible

    def text(column: int) -> str:
        return texts.get(int(statement_ids[column]), "")

    groups = analysis.groups
    result: dict[str, Any] = {
        "topic": topic,
        "participants": int(matrix.shape[0]),
        "statements": int(eligible.sum()),
        "statements_moderated_out": int((~eligible).sum()),
        "votes": int(matrix.n_votes),
        "clustered_participants": int(groups.clustered.sum()),
        "parameters": analysis.parameters(),
        "silhouette_by_k": {str(k): round(v, 6) for k, v in groups.silhouettes.items()},
        "groups": [
            {
                "id": g,
                "label": group_letter(g),
                "size": int(size),
                "participants": matrix.participant_ids[groups.labels == g].tolist(),
                "representative": [_representative(r, statement_ids, text) for r in analysis.opinion.representative[g]],
            }
            for g, size in enumerate(groups.sizes())
        ],
        "consensus": _consensus(analysis.opinion, eligible, statement_ids, text),
        "group_votes": group_votes(analysis.opinion, statement_ids),
        "majority": {
            direction: [
                {"statement": int(statement_ids[j]), "share": round(share, 6), "text": text(j)} for j, share in entries
            ]
            for direction, entries in analysis.majority.items()
        },
        "bridging": [],
        "timings": {stage: round(seconds, 4) for stage, seconds in analysis.timings.items()},
        "notes": list(notes or []),
    }
    if analysis.bridging is not None:
        bridging = analysis.bridging
        result["bridging"] = [
            {
                "statement": int(statement_ids[j]),
                "score": round(score, 6),
                "factor": round(float(bridging.factor[j]), 6),
                "ratings": int(bridging.ratings[j]),
                "text": text(j),
            }
            for j, score in bridging.ranked(eligible)
        ]
    if analysis.declared is not None:
        result["declared_groups"] = {
            **comparison_dict(analysis, analysis.declared, texts),
            "participants_without_votes": analysis.unknown_declared_participants,
        }
    return result


def comparison_dict(analysis: Analysis, comparison: GroupComparison, texts: Mapping[int, str]) -> dict[str, Any]:
    """Groups (name, size, representative statements) and consensus across one partition of
    participants, e.g. a declared attribute such as region."""
    statement_ids = analysis.matrix.statement_ids

    def text(column: int) -> str:
        return texts.get(int(statement_ids[column]), "")

    return {
        "groups": [
            {
                "name": name,
                "size": int(size),
                "representative": [_representative(r, statement_ids, text) for r in comparison.representative[g]],
            }
            for g, (name, size) in enumerate(zip(comparison.names, comparison.sizes))
        ],
        "consensus": _consensus(comparison, analysis.eligible, statement_ids, text),
        "group_votes": group_votes(comparison, statement_ids),
    }


def group_votes(comparison: GroupComparison, statement_ids: np.ndarray) -> dict[str, list[list[int]]]:
    """Per statement id: [agree, disagree, seen] in each group, in group order — how each group voted."""
    tallies = comparison.tallies
    stacked = np.stack([tallies.agree, tallies.disagree, tallies.seen], axis=-1)  # (k, m, 3)
    return {str(int(sid)): stacked[:, j, :].tolist() for j, sid in enumerate(statement_ids)}


def _representative(r: RepresentativeStatement, statement_ids: np.ndarray, text) -> dict[str, Any]:
    return {
        "statement": int(statement_ids[r.statement]),
        "direction": r.direction,
        "group_share": round(r.p_success, 6),
        "rest_share": round(r.share_rest, 6),
        "votes_that_way": r.n_success,
        "group_voters": r.n_trials,
        "repness": round(r.repness, 6),
        "repness_test": round(r.repness_test, 6),
        "text": text(r.statement),
    }


def _consensus(comparison: GroupComparison, eligible: np.ndarray, statement_ids: np.ndarray, text) -> list[dict]:
    consensus = comparison.consensus
    return [
        {
            "statement": int(statement_ids[j]),
            "direction": direction,
            "score": round(score, 6),
            "agree_score": round(float(consensus.agree[j]), 6),
            "disagree_score": round(float(consensus.disagree[j]), 6),
            "text": text(j),
        }
        for j, direction, score in consensus.ranked(eligible)
    ]
