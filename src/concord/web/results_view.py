"""What the results page shows, built from the typed results of the latest analysis: the decisions on
the proposals (each in a sentence, with every group's share drawn against the rule's threshold), the
opinion map with the reader marked, each group with what sets it apart, statements every group
supports, and how declared groups voted; group names in the reader's script.

Every share a section prints comes from the same counts (``group_votes``, and the decisions' checks,
tallied from the same groups) by the same formula: of those who voted for or against, passes apart.
A section that printed Pol.is's smoothed ranking shares instead would contradict the table beside it."""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup, escape

from concord.report.contract import (
    Bridging,
    Consensus,
    Decisions,
    DeclaredGroup,
    JudgedBy,
    ProposalDecision,
    Representative,
    SuspectedBloc,
)
from concord.report.decision_bars import share_bar_svg
from concord.report.explain import EVERYONE, Words, proposal_sentence
from concord.report.opinion_map import group_colour, map_svg
from concord.service.conversations.results import ResultsForReader
from concord.web.i18n import Language, translations
from concord.web.rendering import environment

SHOWN = 8
CLOSEST = 3  # when no statement is every group's, this many of the best-ranked, labelled as not
# Group names in the reader's script: Pol.is's A, B, C …, and the Arabic-script alphabet for Dari/Pashto.
GROUP_LETTERS = {
    "en": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "fa_AF": ["الف", "ب", "پ", "ت", "ث", "ج", "چ", "ح", "خ", "د"],
    "ps": ["الف", "ب", "پ", "ت", "ټ", "ث", "ج", "چ", "ح", "خ"],
}


def group_name(group: int, language: Language) -> str:
    letters = GROUP_LETTERS.get(language.code, GROUP_LETTERS["en"])
    return letters[group] if group < len(letters) else str(group + 1)


@dataclass(frozen=True)
class RepresentativeView:
    """A statement that sets a group apart, with the group's share and everyone else's, counted."""

    entry: Representative
    group_share: float  # of the group's voters for or against, the share on the entry's side
    rest_share: float  # the same among the other groups' voters


@dataclass(frozen=True)
class GroupView:
    name: str
    colour: str
    size: int
    representative: list[RepresentativeView]
    is_yours: bool = False


@dataclass(frozen=True)
class GroupShare:
    """How one group voted on a statement: shares of those who voted for or against; passes apart."""

    name: str
    agree: float
    disagree: float
    seen: int
    passed: int = 0


@dataclass(frozen=True)
class CheckView:
    """One body's share on a proposal against its threshold, as the page shows it."""

    name: str  # in the reader's words
    named_by_people: bool  # a declared group's own name (people's text): printed with dir="auto"
    against: bool
    share: float | None
    low: float
    high: float
    threshold: float
    at_least: bool
    counted: bool
    verdict: str
    decisive: bool
    voters: int
    bar: str  # the share drawn against the threshold (SVG)


@dataclass(frozen=True)
class DecisionView:
    statement: int
    text: str
    outcome: str
    sentence: Markup  # what was decided and why, in the reader's language (escaped: people's words isolated in it)
    agree: int
    disagree: int
    majority: str  # what a plain majority of the votes cast says
    checks: list[CheckView]


@dataclass(frozen=True)
class DecisionsView:
    rule: str
    parameters: dict
    proposals: list[DecisionView]
    judged_by: JudgedBy | None


@dataclass(frozen=True)
class BlocView:
    """Accounts suspected of voting as one bloc, as a reader is told of them."""

    accounts: int
    agreement: float  # share of their votes that follow the bloc's line
    statements: int
    arrived_within: str | None  # how long their arrival took, in the reader's words
    confirmed: bool  # a moderator confirmed they act as one bloc


@dataclass(frozen=True)
class ConsensusView:
    statement: int
    direction: str
    score: float
    text: str
    by_group: list[GroupShare]


@dataclass(frozen=True)
class CommonGround:
    """What every group agrees (or disagrees) on, by the rule of :mod:`concord.engine.consensus`; only
    when nothing passes, the closest statements, which the page labels as not every group's."""

    agreed: list[ConsensusView]
    closest: list[ConsensusView]


@dataclass(frozen=True)
class DeclaredView:
    attribute: str
    groups: list[DeclaredGroup]
    common_ground: CommonGround


@dataclass(frozen=True)
class ResultsView:
    available: bool
    computed_ms: int = 0
    map_svg: str = ""
    map_shown: int = 0
    map_total: int = 0
    map_binned: bool = False  # a large conversation's map: a dot stands for one group's people in one square
    clustered: int = 0
    participants: int = 0
    votes: int = 0
    groups: list[GroupView] = field(default_factory=list)
    common_ground: CommonGround = field(default_factory=lambda: CommonGround([], []))
    bridging: list[Bridging] = field(default_factory=list)
    declared: list[DeclaredView] = field(default_factory=list)
    your_group: str | None = None
    decisions: DecisionsView | None = None
    blocs: list[BlocView] = field(default_factory=list)
    changed_if_real: list[DecisionView] = field(default_factory=list)  # proposals the blocs would decide otherwise


def common_ground(entries: list[Consensus], votes: dict[str, list[list[int]]], names: list[str]) -> CommonGround:
    agreed = [entry for entry in entries if entry.every_group][:SHOWN]
    if agreed:
        return CommonGround(_with_group_shares(agreed, votes, names), [])
    voted_on = [entry for entry in entries if any(seen for _, _, seen in votes.get(str(entry.statement), []))]
    return CommonGround([], _with_group_shares(voted_on[:CLOSEST], votes, names))


def _with_group_shares(
    entries: list[Consensus], votes: dict[str, list[list[int]]], names: list[str]
) -> list[ConsensusView]:
    """Each consensus entry with every group's agree and disagree share (how every group voted)."""
    return [
        ConsensusView(
            statement=entry.statement,
            direction=entry.direction,
            score=entry.score,
            text=entry.text,
            by_group=[
                GroupShare(name, a / (a + d) if a + d else 0.0, d / (a + d) if a + d else 0.0, s, s - a - d)
                for name, (a, d, s) in zip(names, votes.get(str(entry.statement), []))
            ],
        )
        for entry in entries
    ]


def counted_shares(entry: Representative, votes: dict[str, list[list[int]]], group: int) -> RepresentativeView:
    """A representative statement with the group's share and the other groups' on its side, from the
    same counts every other section reads (Pol.is's smoothed shares rank them; they are not printed)."""
    counts = votes.get(str(entry.statement), [])
    side = 0 if entry.direction == "agree" else 1
    own = counts[group] if group < len(counts) else [0, 0, 0]
    rest = [sum(c[i] for g, c in enumerate(counts) if g != group) for i in range(2)]
    return RepresentativeView(
        entry,
        own[side] / (own[0] + own[1]) if own[0] + own[1] else 0.0,
        rest[side] / (rest[0] + rest[1]) if rest[0] + rest[1] else 0.0,
    )


def reader_words(language: Language, opinion_groups: list[str]) -> Words:
    """How a decision's sentence is written for this reader: their catalogue, digits and group letters."""
    catalogue = translations(language.code)
    filters = environment(language.code).filters
    letters = {letter: group_name(i, language) for i, letter in enumerate(opinion_groups)}
    return Words(
        gettext=catalogue.gettext,
        ngettext=catalogue.ngettext,
        percent=filters["pct"],
        number=filters["num"],
        group=lambda letter: letters.get(letter, letter),
        opinion_groups=frozenset(opinion_groups),
        isolate=True,
        separator="، " if language.direction == "rtl" else ", ",
    )


def bloc_view(bloc: SuspectedBloc, language: Language) -> BlocView:
    span = None
    if bloc.arrival_span_ms is not None:
        span = environment(language.code).filters["duration"](bloc.arrival_span_ms)
    return BlocView(len(bloc.participants), bloc.agreement, bloc.statements, span, bloc.verdict == "coordinated")


def changed_if_real(decided: Decisions, if_real: Decisions | None, language: Language) -> list[DecisionView]:
    """The proposals whose outcome the suspected blocs would change if each account counted."""
    if if_real is None:
        return []
    outcome = {p.statement: p.outcome for p in decided.proposals}
    shown = decisions_view(if_real, if_real.groups, language)
    return [p for p in shown.proposals if outcome.get(p.statement) != p.outcome]


def decisions_view(decisions: Decisions, opinion_groups: list[str], language: Language) -> DecisionsView:
    words = reader_words(language, opinion_groups)
    gettext = words.gettext
    rtl = language.direction == "rtl"

    def name(body: str) -> str:
        if body == EVERYONE:
            return gettext("Everyone")
        if body in words.opinion_groups:
            return gettext("Group %(name)s") % {"name": words.group(body)}
        return body

    def proposal(decision: ProposalDecision) -> DecisionView:
        checks = [
            CheckView(
                name=name(c.body),
                named_by_people=c.body != EVERYONE and c.body not in words.opinion_groups,
                against=c.side == "disagree",
                share=c.share,
                low=c.low,
                high=c.high,
                threshold=c.threshold,
                at_least=c.at_least,
                counted=c.counted,
                verdict=c.verdict,
                decisive=c.body in decision.decisive,
                voters=c.voters,
                bar=share_bar_svg(c.share, c.low, c.high, c.threshold, against=c.side == "disagree", mirrored=rtl),
            )
            for c in decision.checks
        ]
        return DecisionView(
            decision.statement,
            decision.text,
            decision.outcome,
            escape(proposal_sentence(decision, decisions.rule, decisions.parameters, words)),
            decision.agree,
            decision.disagree,
            decision.majority,
            checks,
        )

    return DecisionsView(
        decisions.rule, decisions.parameters, [proposal(p) for p in decisions.proposals], decisions.judged_by
    )


def results_view(found: ResultsForReader, language: Language) -> ResultsView:
    results = found.results
    if results is None:
        return ResultsView(available=False)
    gettext = translations(language.code).gettext
    you = found.your_place
    picture = map_svg(results.map, you=you, size=420, title=gettext("Opinion map"), you_label=gettext("You"))
    your_group = you[2] if you is not None and you[2] >= 0 else None
    names = [group_name(g.id, language) for g in results.groups]
    groups = [
        GroupView(
            name=names[i],
            colour=group_colour(g.id),
            size=g.size,
            representative=[counted_shares(r, results.group_votes, i) for r in g.representative],
            is_yours=your_group == g.id,
        )
        for i, g in enumerate(results.groups)
    ]
    declared = [
        DeclaredView(
            attribute=attribute,
            groups=comparison.groups,
            common_ground=common_ground(
                comparison.consensus, comparison.group_votes, [g.name for g in comparison.groups]
            ),
        )
        for attribute, comparison in results.declared.items()
    ]
    return ResultsView(
        available=True,
        computed_ms=found.computed_ms or 0,
        map_svg=picture.svg,
        map_shown=picture.shown,
        map_total=picture.total,
        map_binned=picture.binned,
        clustered=results.clustered_participants,
        participants=results.participants,
        votes=results.votes,
        groups=groups,
        common_ground=common_ground(results.consensus, results.group_votes, names),
        bridging=[entry for entry in results.bridging if not entry.opposed_by_a_group][:5] if results.groups else [],
        declared=declared,
        your_group=names[your_group] if your_group is not None else None,
        decisions=decisions_view(results.decisions, [g.label for g in results.groups], language)
        if results.decisions and results.decisions.proposals
        else None,
        blocs=[bloc_view(bloc, language) for bloc in results.blocs],
        changed_if_real=changed_if_real(results.decisions, results.decisions_if_real, language)
        if results.decisions
        else [],
    )
