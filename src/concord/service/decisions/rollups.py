"""Proposals a space puts to the spaces below it, decided in each and rolled up: decentralisation in
practice. Each leaf space below gets a conversation holding the proposal, decided there by its own rule
with its own participants; a place that voted elsewhere reports its tally instead; every space between
rolls up its children by the proposal's rule across places, so a country's outcome is built from its
provinces', and theirs from their districts'.

The conversations a proposal opens carry the setting it was put with (:class:`PlaceSettings`): who may
take part, the questions asked of participants, the language the proposal is written in and its
translations (accepted at once in every place, so each reader reads it in theirs), and optionally the
rule each place decides by. Nothing is added to the proposal's text, in any language: a place's
readers see what the moderator wrote, or its translation (the page names the place in its breadcrumb,
in the reader's language; the space that put it lists each place's conversation)."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from concord.engine.decisions import (
    MAX_DEPTH,
    Place,
    PlaceRule,
    Result,
    RollupOutcome,
    RuleParameterError,
    make_place_rule,
    reported,
)
from concord.languages import guess_language, reads
from concord.report.contract import read_conversation_results
from concord.service.accounts.moderators import user_of
from concord.service.caller import Caller
from concord.service.clock import now_ms
from concord.service.conversations.lifecycle import create_conversation
from concord.service.conversations.settings import (
    LIMITS,
    STATEMENT_LENGTH_RANGE,
    TOPIC_LENGTH,
    ConversationSettings,
)
from concord.service.conversations.statements import add_statement
from concord.service.decisions.rules import RuleInForce, rule_of_space, validated_rule
from concord.service.errors import Invalid, Label, NotFound
from concord.service.log.appending import space_log_id
from concord.service.spaces import (
    SpaceOverview,
    SpaceRecord,
    children,
    overview_of,
    require_moderator,
    space_by_id,
    validate_language,
)
from concord.service.text import checked_text
from concord.service.translations.texts import LENGTHS, Original, add_translation, cleaned_translation
from concord.states import Translated, TranslationStatus
from concord.store.models import (
    MAX_ID,
    AnalysisRecord,
    Conversation,
    LogEntry,
    ReportedTally,
    Space,
    SpaceProposal,
    Statement,
    Translation,
)

if TYPE_CHECKING:
    from concord.service.runtime import Runtime

PROPOSAL_LENGTH = 1000
MAX_TRANSLATIONS = 20  # languages a proposal may be put in besides its own
MAX_VOTES = 10**9  # in a reported tally, for or against (INTEGER columns)
NOTE_LENGTH = 500  # a reported tally's: where and how it was counted


def validated_place_rule(spec: Any) -> dict[str, Any]:
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise Invalid('a rule across places is an object such as {"name": "double-majority"}', field="rule")
    try:
        rule = make_place_rule(spec["name"], spec.get("parameters") or {})
    except RuleParameterError as error:
        raise Invalid("this rule across places cannot be used so: %(problem)s", "rule_invalid", field="rule",
                      problem=str(error)) from None  # fmt: skip
    return {"name": rule.name, "parameters": {k: v for k, v in rule.values.items() if v is not None}}


# What whoever puts a proposal chooses of the conversation each place gets (the rest are a new
# conversation's): not its texts (the proposal is its topic; nothing is added to it), nor whether its
# record is private, which each place's moderators may choose.
PLACE_SETTINGS = frozenset(name for name, limits in LIMITS.items() if limits.kind != "text") - {"private"}


@dataclass(frozen=True)
class PlaceSettings:
    """How the conversation each place gets is set: some of its settings (:data:`PLACE_SETTINGS`), plus
    the proposal's language and translations. Invitation codes are not made here: each place's
    moderators make those of its conversation (they know who takes part there; a code is shown once, to
    whoever makes it)."""

    language: str | None = None  # the proposal's; None: guessed from its script
    translations: Mapping[str, str] = field(default_factory=dict)  # the proposal in other languages
    # Settings by name; a max_statement_length of None (or none): 140, or the proposal's length if longer.
    chosen: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LoggedTally:
    """A place's reported count, as the log of the space that put the proposal holds it."""

    agree: int
    disagree: int
    note: str  # where and how it was counted
    time: int  # when it was reported (its entry's time, ms)
    entry: int  # its entry in that space's log


Tallies = dict[tuple[int, str], LoggedTally]  # (proposal, the place's path) → its latest tally


@dataclass(frozen=True)
class ProposalRecord:
    """A proposal a space put to the places below it."""

    id: int
    space_id: int  # the space that put it
    text: str
    place_rule: dict[str, Any]  # how the places' outcomes roll up ({"name", "parameters"})
    created_ms: int

    @classmethod
    def of(cls, row: SpaceProposal) -> ProposalRecord:
        return cls(row.id, row.space_id, row.text, row.place_rule, row.created_ms)


@dataclass(frozen=True)
class PlaceView:
    """One place below, as the roll-up counted it."""

    space: SpaceRecord
    place: Place
    source: str  # "conversation", "reported", "below" (rolled up from its own places) or "silent"
    conversation: str | None  # the public id of its conversation on the proposal, when it has one
    below: RollupOutcome | None  # when it rolled up places of its own
    note: str = ""  # a reported tally's note: where and how it was counted
    tally: LoggedTally | None = None  # the reported tally it counted
    statement: int | None = None  # the proposal's number in its conversation
    upto: int | None = None  # its conversation's decision is that of the first ``upto`` entries of its log
    inner: RollupView | None = None  # its own places, when it rolled them up


@dataclass(frozen=True)
class RollupView:
    space: SpaceRecord  # the space that put the proposal
    proposal: ProposalRecord
    outcome: RollupOutcome
    places: list[PlaceView]  # the spaces directly below, in the roll-up's order
    # The proposal's language and accepted translations, as the places' conversations hold them (the
    # first place's, when a place's moderators changed theirs); None when no place has a conversation.
    language: str | None = None
    translations: Mapping[str, str] = field(default_factory=dict)


# --- use cases ------------------------------------------------------------------------------------


def put_to_places(
    runtime: Runtime,
    caller: Caller,
    space_id: int,
    text: str,
    place_rule: dict[str, Any],
    settings: PlaceSettings | None = None,
) -> RollupView:
    """Put a proposal to every space below: each leaf space gets a conversation holding it, set as
    ``settings`` says, with the proposal's translations accepted there. All or nothing."""
    settings = settings or PlaceSettings()
    with runtime.transaction() as session:
        space = space_by_id(session, space_id)
        user = require_moderator(session, user_of(session, caller), space)
        text = checked_text(text, Label("a proposal"), PROPOSAL_LENGTH, field="text").strip()
        if not text:
            raise Invalid("write the proposal first", "statement_empty", field="text")
        rule = validated_place_rule(place_rule)
        language = (
            validate_language(settings.language)
            if settings.language
            else guess_language(text, [space.language]) or space.language
        )
        translations = _checked_translations(settings.translations, language)
        template = _conversation_settings(text, language, settings)
        leaves = _leaves_below(session, space)
        if not leaves:
            raise Invalid("this space has no spaces below it to put a proposal to", field="text")
        proposal = SpaceProposal(space_id=space.id, text=text, place_rule=rule, created_ms=now_ms())
        session.add(proposal)
        session.flush()
        for leaf in leaves:
            place_settings = copy.deepcopy(template)
            conversation = create_conversation(session, user, leaf, place_settings)
            statement = add_statement(session, conversation, text, moderator=user, language=language)
            statement.is_proposal = True
            statement.space_proposal_id = proposal.id
            topic = Original(Translated.TOPIC, conversation.topic, conversation.language, conversation.id)
            said = Original.of_statement(statement)
            for tag, translated in translations.items():
                add_translation(session, conversation, said, tag, translated, moderator=user)
                add_translation(session, conversation, topic, tag, _shortened(translated, LENGTHS[Translated.TOPIC]),
                                moderator=user)  # fmt: skip
        session.flush()
        return _rollup(session, proposal, space, logged_tallies(session, space.id))


def _conversation_settings(text: str, language: str, place: PlaceSettings) -> ConversationSettings:
    """The settings of every place's conversation, checked before anything is stored. Its topic is the
    proposal (shortened to a topic's length); it has no description: nothing is added to what the
    moderator wrote, in any language."""
    chosen = dict(place.chosen)
    unknown = set(chosen) - PLACE_SETTINGS
    if unknown:
        raise Invalid("unknown setting(s): %(names)s", names=", ".join(sorted(unknown)))
    length = chosen.pop("max_statement_length", None)
    if chosen.get("decision_rule") is not None:
        try:
            validated_rule(chosen["decision_rule"])
        except Invalid as error:
            error.field = "decision_rule"
            raise
    longest = STATEMENT_LENGTH_RANGE[1]
    settings = ConversationSettings(
        topic=_shortened(text, TOPIC_LENGTH),
        description="",
        language=language,
        max_statement_length=max(ConversationSettings.max_statement_length, min(longest, len(text)))
        if length is None
        else length,
        **chosen,
    ).validated()
    if settings.max_statement_length < len(text):  # the proposal is a statement of the conversation
        raise Invalid(
            "max_statement_length must be a whole number from %(low)s to %(high)s",
            field="max_statement_length",
            low=len(text),
            high=longest,
        )
    return settings


def _checked_translations(given: Mapping[str, str], language: str) -> dict[str, str]:
    """The proposal's translations by canonical language tag, each under the rule of a statement's
    translation; none in the proposal's own language, none twice."""
    checked: dict[str, str] = {}
    for tag, translated in given.items():
        tag = validate_language(tag, field="translations")
        if reads(tag, language) or reads(language, tag):
            raise Invalid("this text is written in that language already: choose another one", "same_language",
                          field="translations")  # fmt: skip
        if tag in checked:
            raise Invalid("a translation into %(language)s is given twice", field="translations", language=tag)
        try:
            checked[tag] = cleaned_translation(Original(Translated.STATEMENT, "", language), translated)
        except Invalid as error:
            error.field = "translations"
            raise
    return checked


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def report_tally(
    runtime: Runtime,
    caller: Caller,
    above_id: int,
    proposal_id: int,
    space_id: int,
    agree: int,
    disagree: int,
    note: str = "",
) -> SpaceRecord:
    """A place below reports how it voted elsewhere; it counts instead of its conversation. Returns the
    space that put the proposal (whose roll-up now counts it)."""
    for which, votes in (("agree", agree), ("disagree", disagree)):
        if votes < 0:
            raise Invalid("votes cannot be negative", field=which)
        if votes > MAX_VOTES:
            raise Invalid("a tally counts at most %(most)s votes", field=which, most=MAX_VOTES)
    with runtime.transaction() as session:
        proposal = _proposal(session, proposal_id)
        if proposal.space_id != above_id:
            raise NotFound("no proposal %(number)s", number=proposal_id)
        place = space_by_id(session, space_id)
        above = session.get(Space, proposal.space_id)
        assert above is not None
        if not place.path.startswith(above.path + "/"):
            raise Invalid("%(space)s is not below %(above)s", field="space", space=place.path, above=above.path)
        require_moderator(session, user_of(session, caller), place)
        tally = session.get(ReportedTally, (proposal.id, place.id)) or ReportedTally(
            proposal_id=proposal.id, space_id=place.id
        )
        tally.agree, tally.disagree, tally.reported_ms = agree, disagree, now_ms()
        tally.note = checked_text(note or "", Label("a note"), NOTE_LENGTH, multiline=True, field="note")
        session.merge(tally)
        return SpaceRecord.of(above)


@dataclass(frozen=True)
class SpaceDecisions:
    """A space's page: the space, the rule it gives the conversations below it, and the proposals it
    put to the places below, rolled up."""

    overview: SpaceOverview
    rule: RuleInForce  # the default of the conversations here and below
    inherited: RuleInForce  # what it would be without a rule set on this space
    rollups: list[RollupView]


def space_with_decisions(
    runtime: Runtime, caller: Caller, *, space_id: int | None = None, path: str = "", reader: str = "en"
) -> SpaceDecisions:
    with runtime.transaction() as session:
        overview = overview_of(session, caller, space_id=space_id, path=path, reader=reader)
        space = space_by_id(session, overview.space.id)
        return SpaceDecisions(overview, rule_of_space(space), rule_of_space(space.parent), rollups_in(session, space))


def rollups_of(runtime: Runtime, space_id: int) -> list[RollupView]:
    """Every proposal this space put to the spaces below it, rolled up as things stand."""
    with runtime.transaction() as session:
        return rollups_in(session, space_by_id(session, space_id))


# --- rolling up -----------------------------------------------------------------------------------


def logged_tallies(session: Session, space_id: int) -> Tallies:
    """The tallies places reported on this space's proposals, read from the space's log (the latest
    per place), not from the table beside it: a count changed in the database behind the log's back
    changes no roll-up, and what is served is what ``concord verify`` recomputes from the log."""
    log_id = space_log_id(session.connection(), space_id)
    found: Tallies = {}
    bodies = session.execute(
        select(LogEntry.seq, LogEntry.body)
        .where(LogEntry.log_id == log_id, LogEntry.type == "tally")
        .order_by(LogEntry.seq)
    )
    for seq, body in bodies:
        entry = json.loads(body)
        found[int(entry["proposal"]), str(entry["place"])] = LoggedTally(
            int(entry["agree"]), int(entry["disagree"]), str(entry["note"]), int(entry["time"]), seq
        )
    return found


def rollups_in(session: Session, space: Space, tallies: Tallies | None = None) -> list[RollupView]:
    """Every proposal this space put to the places below, newest first, rolled up with the tallies its
    log holds (``tallies``, when read already)."""
    proposals = session.scalars(
        select(SpaceProposal).where(SpaceProposal.space_id == space.id).order_by(SpaceProposal.id.desc())
    ).all()
    if tallies is None:
        tallies = logged_tallies(session, space.id) if proposals else {}
    return [_rollup(session, proposal, space, tallies) for proposal in proposals]


def _rollup(session: Session, proposal: SpaceProposal, space: Space, tallies: Tallies, depth: int = 0) -> RollupView:
    rule = make_place_rule(proposal.place_rule["name"], proposal.place_rule.get("parameters") or {})
    below = children(session, space)
    names = [child.name for child in below]  # sister places may share a name: their slugs tell them apart
    views = [
        _place(
            session,
            proposal,
            child,
            child.name if names.count(child.name) == 1 else f"{child.name} ({child.slug})",
            rule,
            tallies,
            depth + 1,
        )
        for child in below
    ]
    outcome = rule.decide([view.place for view in views])
    records = (SpaceRecord.of(space), ProposalRecord.of(proposal))
    if depth:
        return RollupView(*records, outcome, views)
    return RollupView(*records, outcome, views, *_wording(session, proposal))


def _wording(session: Session, proposal: SpaceProposal) -> tuple[str | None, dict[str, str]]:
    """The proposal's language and accepted translations, from the first place's conversation."""
    found = session.execute(
        select(Statement.id, Statement.text, Statement.language)
        .where(Statement.space_proposal_id == proposal.id)
        .order_by(Statement.id)
        .limit(1)
    ).first()
    if found is None:
        return None, {}
    statement_id, text, language = found
    rows = session.execute(
        select(Translation.language, Translation.text).where(
            Translation.statement_id == statement_id,
            Translation.original == text,
            Translation.status == TranslationStatus.ACCEPTED,
        )
    )
    return language, dict(rows.all())


def _place(
    session: Session, proposal: SpaceProposal, space: Space, name: str, rule: PlaceRule, tallies: Tallies, depth: int
) -> PlaceView:
    tally = tallies.get((proposal.id, space.path))
    record = SpaceRecord.of(space)
    if tally is not None:
        place = reported(name, tally.agree, tally.disagree, weight=space.weight, population=space.population)
        return PlaceView(record, place, "reported", None, None, tally.note, tally)
    below = children(session, space)
    if below and depth < MAX_DEPTH:
        inner = _rollup(session, proposal, space, tallies, depth)
        place = inner.outcome.as_place(name, weight=space.weight, population=space.population)
        return PlaceView(record, place, "below", None, inner.outcome, inner=inner)
    found = session.execute(
        select(Conversation.public_id, Conversation.id, Statement.number)
        .join(Statement, Statement.conversation_id == Conversation.id)
        .where(Conversation.space_id == space.id, Statement.space_proposal_id == proposal.id)
    ).first()
    if found is None:
        return PlaceView(record, _silent(space, name), "silent", None, None)
    public_id, conversation_id, number = found
    analysis = session.get(AnalysisRecord, conversation_id)
    results = read_conversation_results(analysis.results) if analysis is not None else None
    decided = next((d for d in (results.decisions.proposals if results and results.decisions else [])
                    if d.statement == number), None)  # fmt: skip
    if decided is None:
        return PlaceView(record, _silent(space, name), "silent", public_id, None, statement=number)
    assert analysis is not None  # a decision comes from an analysis
    voters = decided.agree + decided.disagree
    place = Place(name, Result(decided.outcome), decided.agree, decided.disagree, space.weight,
                  space.population, voters)  # fmt: skip
    return PlaceView(record, place, "conversation", public_id, None, statement=number, upto=analysis.log_size)


def _silent(space: Space, name: str) -> Place:
    return Place(name, None, weight=space.weight, population=space.population)


def _leaves_below(session: Session, space: Space) -> list[Space]:
    return list(
        session.scalars(
            select(Space).where(Space.path.startswith(space.path + "/"), ~Space.id.in_(
                select(Space.parent_id).where(Space.parent_id.is_not(None))
            )).order_by(Space.path)
        )
    )  # fmt: skip


def _proposal(session: Session, proposal_id: int) -> SpaceProposal:
    proposal = session.get(SpaceProposal, proposal_id) if 0 <= proposal_id <= MAX_ID else None
    if proposal is None:
        raise NotFound("no proposal %(number)s", number=proposal_id)
    return proposal
