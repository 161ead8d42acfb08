"""The results of an analysis as a typed, versioned contract: what ``concord analyze --json`` prints,
what the live analysis stores for a conversation, what the results endpoint sends and the results
page, the exports and the reports read. Built in one place (:mod:`concord.report.results`), read
through :func:`read_conversation_results`.

Ids are the source's (Pol.is participant and comment ids, Concord's numbers); shares are fractions
rounded to 6 places. A stored payload carries ``version``; a reader that finds another version treats
the results as missing (the live analysis then computes them again), never as data of another shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from functools import cache
from typing import Any

from concord.engine.tallies import Direction

# 2: consensus entries say whether every group takes their side, bridging whether a group opposes it
# 3: the decisions of the conversation's proposals under its rule
# 4: proposals judged by groups found from the rest of the deliberation; every outcome with its reason and
#    sentence, a check's interval of highest density and what would settle it
# 5: results that stay small at any size: the map binned (exact points with counts while few, else a grid's
#    cells with counts per group), groups without their member lists (both per participant in the export)
RESULTS_VERSION = 5


@dataclass(frozen=True)
class Representative:
    """A statement that sets a group apart (Pol.is repness, polis-math.md §1.9)."""

    statement: int
    direction: Direction
    group_share: float  # share of the group's voters on it who voted this way
    rest_share: float  # the same share among everyone else
    votes_that_way: int
    group_voters: int
    repness: float
    repness_test: float
    text: str


@dataclass(frozen=True)
class Consensus:
    """Group-informed consensus of one statement on its stronger side: Π_g (A_g + 1)/(S_g + 2), a
    ranking. ``every_group`` is the verdict: every group takes that side (at least 3 of its voters,
    more than half of them with 90 % confidence; :mod:`concord.engine.consensus`). Only statements
    with ``every_group`` may be presented as what every group agrees (or disagrees) on."""

    statement: int
    direction: Direction
    score: float
    agree_score: float
    disagree_score: float
    text: str
    every_group: bool


@dataclass(frozen=True)
class Group:
    id: int  # 0 = the largest
    label: str  # A, B, C …
    size: int
    representative: list[Representative]
    # its members' ids: in ``concord analyze --json``; not in a conversation's results (their size would
    # grow with the participants), whose export lists every participant's group instead
    participants: list[int] | None = None


@dataclass(frozen=True)
class MajorityEntry:
    statement: int
    share: float
    text: str


@dataclass(frozen=True)
class Bridging:
    """Support the opinion axis does not explain (Community Notes' intercept). A statement some group
    rejects (``opposed_by_a_group``, by the same test as ``Consensus.every_group``) is divisive, never
    to be presented as bridging."""

    statement: int
    score: float
    factor: float
    ratings: int
    text: str
    opposed_by_a_group: bool


@dataclass(frozen=True)
class DeclaredGroup:
    name: str
    size: int
    representative: list[Representative]


@dataclass(frozen=True)
class Comparison:
    """Groups, consensus and each group's votes across one partition of participants (the opinion
    groups, or a declared attribute such as region). ``group_votes`` maps a statement id to
    [agree, disagree, seen] per group, in group order."""

    groups: list[DeclaredGroup]
    consensus: list[Consensus]
    group_votes: dict[str, list[list[int]]]


@dataclass(frozen=True)
class DeclaredComparison(Comparison):
    """Declared groups given to ``concord analyze --groups-file``."""

    participants_without_votes: int = 0


@dataclass(frozen=True, kw_only=True)
class AnalysisResults:
    """One analysis as ``concord analyze --json`` prints it."""

    topic: str
    participants: int
    statements: int
    statements_moderated_out: int
    votes: int
    clustered_participants: int
    parameters: dict[str, int | bool]
    silhouette_by_k: dict[str, float]
    groups: list[Group]
    consensus: list[Consensus]
    group_votes: dict[str, list[list[int]]]
    majority: dict[str, list[MajorityEntry]]
    bridging: list[Bridging]
    timings: dict[str, float]
    notes: list[str] = field(default_factory=list)
    declared_groups: DeclaredComparison | None = None


@dataclass(frozen=True)
class DecisionCheck:
    """One body's share (with its interval) against one threshold, and the part it played."""

    body: str
    side: Direction
    share: float | None
    low: float
    high: float
    threshold: float
    verdict: str  # clears, short, unclear, too_few
    role: str
    voters: int
    at_least: bool = False  # the share must reach the threshold (else exceed it)
    counted: bool = False  # exact ballots; else a sample, with an interval (90 % of highest density)
    settle: int | None = None  # unsettled: about how many more voters, split the same way, would settle it


@dataclass(frozen=True)
class ProposalDecision:
    statement: int
    text: str
    outcome: str  # pass, fail, undecided
    agree: int  # everyone's votes on it
    disagree: int
    explanation: str  # the outcome in one English sentence (pages compose it in the reader's language)
    majority: str  # what a plain majority of the votes cast says, counted exactly
    decisive: list[str]  # the groups that carried, vetoed or left it open
    checks: list[DecisionCheck]
    reason: str = ""  # carried, vetoed, no_majority, short, too_few, cannot_tell, no_groups


@dataclass(frozen=True)
class JudgedBy:
    """What the opinion groups that judge the proposals were found from: the other statements, never
    the proposals' own votes (:class:`concord.engine.analysis.Deliberation`). With too little of it there
    are no opinion groups, only declared ones, and the proposals' votes are counted as ballots."""

    statements: int  # statements besides the proposals
    voters: int  # participants with at least 7 votes on them
    grouped: bool  # opinion groups were found from them
    needed_statements: int  # what it takes to find opinion groups
    needed_voters: int


@dataclass(frozen=True)
class Decisions:
    """Every proposal decided by the conversation's rule, with the rule and its parameters (so that an
    outcome can be recomputed)."""

    rule: str
    parameters: dict[str, Any]
    proposals: list[ProposalDecision]
    judged_by: JudgedBy | None = None
    groups: list[str] = field(default_factory=list)  # the opinion groups that judged them (their letters)


@dataclass(frozen=True)
class OpinionMap:
    """The analysed participants' 2-D positions, of a size that does not grow with them
    (:func:`concord.report.opinion_map.binned_map`): ``count[i]`` participants of group ``group[i]``
    (−1: not clustered) at (``x[i]``, ``y[i]``). Exact positions (rounded to 4 places) while there are at
    most ``MAX_POINTS`` distinct ones (``grid`` 0); else the centres of the cells of a ``grid`` × ``grid``
    grid over ``bounds`` (x0, y0, x1, y1), one entry per non-empty cell and group. ``placed`` is the sum
    of the counts. Each participant's own position and group are in the export, not here."""

    grid: int
    bounds: list[float]
    x: list[float]
    y: list[float]
    group: list[int]
    count: list[int]
    placed: int
    labels: list[str]


@dataclass(frozen=True)
class SuspectedBloc:
    """Accounts that voted (near-)identically on the statements and arrived together
    (:mod:`concord.engine.blocs`): counted as one participant until a moderator says they are real people."""

    participants: list[int]  # their numbers, first to arrive first (the one whose votes count)
    agreement: float  # the share of its members' votes that follow its line (their most common vote)
    statements: int  # statements its members typically voted on
    arrival_span_ms: int | None  # from the first to arrive to the last; None when times are unknown
    verdict: str | None = None  # "coordinated" once a moderator confirmed it; None while only suspected


@dataclass(frozen=True, kw_only=True)
class ConversationResults(AnalysisResults):
    """The live analysis of a conversation: the analysis, each declared attribute's comparison and the
    opinion map. What the results endpoint sends inside ``results``."""

    version: int = RESULTS_VERSION
    declared: dict[str, Comparison] = field(default_factory=dict)
    map: OpinionMap
    decisions: Decisions | None = None
    blocs: list[SuspectedBloc] = field(default_factory=list)  # each counted once in everything above
    decisions_if_real: Decisions | None = None  # the decisions with every bloc's accounts each counted


def to_json(value: Any) -> Any:
    """Plain JSON data of a contract object: dataclasses become objects (``None`` fields are left out),
    and lists of plain values are passed on as they are, not copied (a map holds a million points)."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(item) for f in fields(value) if (item := getattr(value, f.name)) is not None}
    if isinstance(value, list):
        return [to_json(item) for item in value] if value and is_dataclass(value[0]) else value
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    return value


def read_conversation_results(data: Any) -> ConversationResults | None:
    """The stored payload as typed results, or None when it is of another version (or no payload)."""
    if not isinstance(data, dict) or data.get("version") != RESULTS_VERSION:
        return None
    return _conversation_results().validate_python(data)


@cache
def _conversation_results() -> Any:
    """Pydantic's validator of the payload, built once; imported here only, because the server has
    pydantic loaded already and ``concord analyze`` (which must start fast) never reads results."""
    from pydantic import TypeAdapter

    return TypeAdapter(ConversationResults)
