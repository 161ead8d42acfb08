"""Request and response bodies of the JSON API (they also document it in /openapi.json)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection, Iterator, Mapping
from typing import Annotated, Any, Literal, get_args, get_origin, get_type_hints

from annotated_types import Ge, GroupedMetadata, Le
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    create_model,
    field_validator,
    model_validator,
)
from pydantic import (
    Strict as StrictNumber,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from concord.engine.decisions import PLACE_RULES, RULES
from concord.languages import TAG_LENGTH as LANGUAGE_TAG_LENGTH
from concord.report.contract import ConversationResults
from concord.service.accounts.invitations import CODE_LENGTH, MAX_PER_REQUEST
from concord.service.accounts.moderators import PASSWORD_LENGTH, USERNAME_LENGTH
from concord.service.accounts.xids import XID_TOKEN_LENGTH
from concord.service.budgets.money import MONEY_LIMIT
from concord.service.budgets.records import ProjectRecord
from concord.service.budgets.settings import CHANGEABLE, MAX_PROJECTS, VOTER_SETTINGS, BudgetSettings, ProjectFields
from concord.service.conversations.blocs import MAX_ACCOUNTS
from concord.service.conversations.moderation import REASON_LENGTH
from concord.service.conversations.outcome import OUTCOME_LENGTH
from concord.service.conversations.settings import (
    ATTRIBUTE_NAME_LENGTH,
    LIMITS,
    MAX_ATTRIBUTES,
    MAX_OPTIONS,
    OPTION_LENGTH,
    STATEMENT_LENGTH_RANGE,
    ConversationSettings,
    Limits,
)
from concord.service.decisions.proposals import MAX_WEIGHT
from concord.service.decisions.rollups import MAX_TRANSLATIONS as MAX_PROPOSAL_TRANSLATIONS
from concord.service.decisions.rollups import MAX_VOTES, NOTE_LENGTH, PLACE_SETTINGS, PROPOSAL_LENGTH
from concord.service.limits import EXACT
from concord.service.log.views import MAX_ENTRIES as MAX_LOG_ENTRIES
from concord.service.participation.joining import XID_MAX_LENGTH
from concord.service.spaces import MAX_ID, SpaceSettings
from concord.service.translations.texts import LENGTHS as TRANSLATION_LENGTHS
from concord.states import (
    BlocVerdict,
    StatementStatus,
    Translated,
    TranslationStatus,
    VoteChoice,
)

TRANSLATION_LIMITS = ", ".join(f"{subject} {limit:,} characters" for subject, limit in TRANSLATION_LENGTHS.items())


def text(limit: int, description: str | None = None) -> Any:
    """A text field with its limit stated in the OpenAPI spec (the service checks it again)."""
    return Field(max_length=limit, description=description)


def _storable(value: Any) -> Any:
    """JSON may carry what no database stores as text: NUL characters (PostgreSQL refuses them) and
    lone surrogates (``"\\ud800"``)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text cannot contain NUL characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("text must be valid Unicode (it has a lone surrogate code point)") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _storable(key)
            _storable(item)
    elif isinstance(value, list):
        for item in value:
            _storable(item)
    return value


def _shown(number: float) -> str:
    return f"{number:,}" if float(number).is_integer() else f"{number:g}"


def _finite(value: Any, low: float | None = None, high: float | None = None) -> Any:
    """Python's json reads NaN, Infinity and -Infinity (and 1e999 as infinity), which are no numbers a
    field takes: refused with the field's limits. Pydantic's own message leaves them out ("finite
    number"), or, for NaN, which compares false with everything, names a misleading one."""
    if isinstance(value, float) and not math.isfinite(value):
        limits = ""
        if low is not None:
            limits = f" from {_shown(low)} to {_shown(high)}" if high is not None else f" of at least {_shown(low)}"
        elif high is not None:
            limits = f" of at most {_shown(high)}"
        context = {"limits": limits, "value": str(value)}
        raise PydanticCustomError("finite_number", "must be a number{limits}, not {value}", context)
    return value


def _limits(field: FieldInfo) -> tuple[float | None, float | None]:
    """The range a field declares (ge/gt, le/lt), as the OpenAPI spec states it: on the field, or on the
    number type it may hold (``Millis | None``)."""
    constraints = list(field.metadata)
    for member in get_args(field.annotation):
        for extra in get_args(member)[1:] if get_origin(member) is Annotated else ():
            constraints += getattr(extra, "metadata", [extra])
    low = high = None
    for constraint in constraints:  # annotated_types.Ge, Gt, Le, Lt, or a group of them (a Whole)
        for each in constraint if isinstance(constraint, GroupedMetadata) else (constraint,):
            low = getattr(each, "ge", getattr(each, "gt", low))
            high = getattr(each, "le", getattr(each, "lt", high))
    return low, high


# --- whole numbers ---------------------------------------------------------------------------------
# Every whole number the API takes is of one of these kinds, each with its range: what the column that
# keeps it holds, or less where the use case takes less. The range is stated in the OpenAPI spec
# (minimum and maximum) and a number beyond it is refused with 422 and the range, in a body (strictly:
# ``false`` or ``"5"`` is no number), a path or a query (which are text). Nothing bigger than a BIGINT
# (2**63 - 1) gets near the database: a budget's opens_ms of 2**63 was once a 500 on both databases.

# EXACT: the largest whole number every JSON reader keeps exactly; FastAPI writes a body's bounds as
# doubles, so 2**63 - 1 would be published as 2**63, past a BIGINT.
LOG_SIZE = 2**62  # entries of a log, at most (its size is a BIGINT column)
SHOWN_DIGITS = 30  # a longer number is named by its length in a refusal
BEYOND = {"greater_than_equal", "less_than_equal", "int_parsing_size"}  # pydantic's refusals of a whole number


@dataclasses.dataclass(frozen=True)
class Whole(GroupedMetadata):
    """A kind of whole number, from ``low`` to ``high``: ``Annotated[int, Whole(0, 10)]``."""

    low: int
    high: int

    def __iter__(self) -> Iterator[object]:
        yield Ge(self.low)  # the spec's minimum and maximum
        yield Le(self.high)
        yield WrapValidator(self._within)

    def _within(self, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """NaN, infinities, and numbers beyond the range (or too long to read) refused with the range."""
        _finite(value, self.low, self.high)
        try:
            return handler(value)
        except ValidationError as error:
            if not {problem["type"] for problem in error.errors()} & BEYOND:
                raise
        digits = str(value).strip().lstrip("+-")
        named = str(value).strip() if len(digits) <= SHOWN_DIGITS else f"a number of {len(digits):,} digits"
        context = {"low": _shown(self.low), "high": _shown(self.high), "value": named}
        raise PydanticCustomError("whole_number", "must be a whole number from {low} to {high}, not {value}", context)


ROW_ID = Whole(0, MAX_ID)  # an id, or a number (a statement's, a project's, a participant's): INTEGER columns
MILLIS = Whole(0, EXACT)  # a time, in ms since the epoch (up to the year 287,396): BIGINT columns
# In a request body: a JSON number, strictly.
RowId = Annotated[int, StrictNumber(), ROW_ID, Field(description="A row id or statement number.")]
Millis = Annotated[int, StrictNumber(), MILLIS]
Votes = Annotated[int, StrictNumber(), Whole(0, MAX_VOTES)]  # a place's tally: INTEGER columns
CodeCount = Annotated[int, StrictNumber(), Whole(1, MAX_PER_REQUEST)]  # invitation codes made at once
RuleWhole = Annotated[int, Whole(-EXACT, EXACT)]  # a rule's parameter (the rule checks its own range)
# In a path or a query: text, read as a number.
IdInPath = Annotated[int, ROW_ID]
LogPosition = Annotated[int, Whole(0, LOG_SIZE)]  # an entry's
LogSize = Annotated[int, Whole(1, LOG_SIZE)]
EntryCount = Annotated[int, Whole(1, MAX_LOG_ENTRIES)]


class Strict(BaseModel):
    """Request bodies: unknown fields refused, every text storable and within its limit; numbers are
    strict (``false`` is not statement 0) and finite: NaN and infinities are refused, with the field's
    limits where it declares them (nested floats without a validator of their own get pydantic's
    "finite number")."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _text_is_storable(cls, value: Any) -> Any:
        return _storable(value)

    @field_validator("*", mode="before")
    @classmethod
    def _number_is_finite(cls, value: Any, info: ValidationInfo) -> Any:
        """A field without limits is left to its type: an amount's own refusal, else pydantic's."""
        low, high = _limits(cls.model_fields[info.field_name]) if info.field_name else (None, None)
        return value if low is None and high is None else _finite(value, low, high)


class LoginIn(Strict):
    username: str = text(USERNAME_LENGTH)
    password: str = text(PASSWORD_LENGTH)


class LoginOut(BaseModel):
    username: str
    is_admin: bool
    csrf_token: str


# NaN and infinities pass here: the engine refuses them with the rule's own limits for the parameter.
RuleParameter = Annotated[float, Field(allow_inf_nan=True)] | RuleWhole | str | list[str]


def _one_of(names: Any, what: str) -> Any:
    """A rule's name: one of ``names`` (listed as an enum in the OpenAPI spec)."""
    return Field(description=f"{what}: {', '.join(names)}", json_schema_extra={"enum": list(names)})


class DecisionRuleIn(Strict):
    name: str = _one_of(RULES, "a rule of a conversation")
    parameters: dict[str, RuleParameter] = Field(default_factory=dict, max_length=8)

    @field_validator("name")
    @classmethod
    def _known(cls, name: str) -> str:
        if name not in RULES:
            raise ValueError(f"not a decision rule: use one of {', '.join(RULES)}")
        return name


class PlaceRuleIn(Strict):
    name: str = _one_of(PLACE_RULES, "a rule across places")
    parameters: dict[str, RuleParameter] = Field(default_factory=dict, max_length=8)

    @field_validator("name")
    @classmethod
    def _known(cls, name: str) -> str:
        if name not in PLACE_RULES:
            raise ValueError(f"not a rule across places: use one of {', '.join(PLACE_RULES)}")
        return name


class SpaceRuleIn(Strict):
    rule: DecisionRuleIn | None = Field(description="The default rule of every conversation below; null: none.")


class PlaceIn(Strict):
    weight: float = Field(1.0, ge=0, le=MAX_WEIGHT, description="As a place in a roll-up (a half-place weighs 0.5).")
    population: float | None = Field(None, ge=0, description="Declared population, for rules that weigh by it.")


class SpaceOut(BaseModel):
    id: int
    parent_id: int | None
    path: str
    name: str
    language: str
    description: str
    decision_rule: dict | None = None
    weight: float = 1.0
    population: float | None = None


class SpaceDetail(SpaceOut):
    children: list[SpaceOut]
    conversations: list[ConversationSummary]
    can_moderate: bool


class ModeratorIn(Strict):
    username: str = text(USERNAME_LENGTH)


MODERATOR_GRANT_NOTE = (
    "If an account of this name exists, it moderates this space and every space below it now. This answer is "
    "the same whether it exists or not; the operator, who makes the accounts, can tell you."
)


class ModeratorGrantOut(BaseModel):
    """The answer to adding a moderator, the same whether or not an account of that name exists."""

    username: str
    space_id: int
    note: str = Field(description="What was done, in words that do not say whether the account exists.")


Option = Annotated[str, Field(max_length=OPTION_LENGTH)]
Statement = Annotated[str, Field(max_length=STATEMENT_LENGTH_RANGE[1])]


class Attribute(Strict):
    name: str = text(ATTRIBUTE_NAME_LENGTH)
    options: list[Option] = Field(min_length=2, max_length=MAX_OPTIONS)


def _setting_type(limits: Limits) -> Any:
    """What a setting is in a request's body, as the OpenAPI spec states it."""
    return {
        "text": Annotated[str, Field(max_length=limits.length)],
        "choice": limits.choices,
        "whole": Annotated[int, StrictNumber(), Whole(limits.low or 0, limits.high or 0)],
        "flag": bool,
        "time": Annotated[int, StrictNumber(), Whole(limits.low or 0, limits.high or 0)] | None,
        "questions": Annotated[list[Attribute], Field(max_length=limits.most)],
        "rule": DecisionRuleIn | None,
    }[limits.kind]


def _settings_fields(
    names: Collection[str] | None = None,
    *,
    unset: Collection[str] = (),
    meanings: Mapping[str, str] | None = None,
    declared_by: type = ConversationSettings,
) -> dict[str, Any]:
    """The fields of a conversation's settings (or those ``declared_by`` another settings dataclass),
    those in ``names`` or all, in a request: each as declared, with its default, or none for those ``unset``
    (in a change, a setting left out keeps its value); ``meanings``: what some mean there, where it is
    not what they mean for a conversation."""
    built: dict[str, Any] = {}
    for setting in dataclasses.fields(declared_by):
        if names is not None and setting.name not in names:
            continue
        limits: Limits = setting.metadata["limits"]
        kind = _setting_type(limits)
        meaning = (meanings or {}).get(setting.name, limits.meaning)
        if setting.name in unset:
            built[setting.name] = (kind | None, Field(None, description=meaning))
        elif limits.required:
            built[setting.name] = (kind, Field(description=meaning))
        elif setting.default_factory is not dataclasses.MISSING:
            built[setting.name] = (kind, Field(default_factory=setting.default_factory, description=meaning))
        else:
            built[setting.name] = (kind, Field(setting.default, description=meaning))
    return built


def _shown_settings(*, texts: bool) -> dict[str, Any]:
    """The fields of a conversation's settings in an answer: its texts, or its other settings."""
    shown = {
        "text": str,
        "whole": int,
        "flag": bool,
        "time": int | None,
        "questions": list[Attribute],
        "rule": dict | None,
    }
    return {
        name: (shown.get(limits.kind, limits.choices), Field(description=limits.meaning))
        for name, limits in LIMITS.items()
        if (limits.kind == "text") == texts
    }


class ConversationIn(create_model("ConversationSettingsIn", __base__=Strict, **_settings_fields())):  # type: ignore[misc]
    """A new conversation's settings."""


class SpaceIn(
    create_model(  # type: ignore[misc]
        "SpaceSettingsIn",
        __base__=Strict,
        parent_id=(RowId | None, Field(None, description="The space this one sits in; none for a top-level space.")),
        **_settings_fields(declared_by=SpaceSettings),
    )
):
    """A new space."""


NULLABLE = frozenset({"decision_rule", *(name for name, limits in LIMITS.items() if limits.kind == "time")})


class ConversationPatch(create_model("ConversationSettingsPatch", __base__=Strict, **_settings_fields(unset=LIMITS))):  # type: ignore[misc]
    """The settings to change; the others keep their values."""

    @model_validator(mode="after")
    def _no_nulls(self):
        given_null = sorted(
            name for name in self.model_fields_set if getattr(self, name) is None and name not in NULLABLE
        )  # a null rule means the space's; a null closing time, none
        if given_null:
            raise ValueError(f"{', '.join(given_null)} cannot be null: leave a setting out to keep it")
        return self


class OutcomeIn(Strict):
    text: str = text(OUTCOME_LENGTH, "What was decided and what happens next; empty: none.")


class EmbeddingOut(BaseModel):
    xid_secret: str = Field(description="Give it to the embedding site: it signs the xids it vouches for.")
    allow_unsigned_xid: bool


class ConversationSummary(BaseModel):
    id: str
    topic: str
    is_open: bool


class ConversationOut(
    create_model(  # type: ignore[misc]
        "ConversationSettingsOut",
        id=(str, ...),
        space_id=(int, ...),
        space_path=(str, ...),
        **_shown_settings(texts=True),
        is_open=(bool, ...),
        **_shown_settings(texts=False),
    )
):
    effective_rule: dict = Field(
        description="The rule that decides its proposals: its own, else a space's above; once it is closed, "
        "the one in force when it closed."
    )
    statements: int
    participants: int
    votes: int
    outcome: str | None = Field(description="What was decided and what happens next, written once it closed.")


LANGUAGE_TAG = "A BCP 47 language tag, e.g. en, fa-AF (Dari), ps (Pashto)."
Language = Annotated[str, Field(max_length=LANGUAGE_TAG_LENGTH, description=LANGUAGE_TAG)]


class StatementIn(Strict):
    text: Statement = Field(description="Limited further by the conversation's max_statement_length.")
    language: Language | None = Field(
        None,
        max_length=LANGUAGE_TAG_LENGTH,
        description="The language it is written in; guessed from its script if left out.",
    )


class StatementPatch(Strict):
    language: Language = Field(description="The language it was written in (a moderator's correction).")


class StatementOut(BaseModel):
    number: int
    text: str = Field(description="As written, in its original language.")
    language: str = Field(description="The language it was written in.")
    translations: dict[str, str] = Field(
        default_factory=dict, description="Accepted translations by language: show a reader the one in theirs."
    )
    status: StatementStatus
    is_seed: bool
    is_proposal: bool = False
    created_ms: int


class TranslationIn(Strict):
    subject: Translated = Field(Translated.STATEMENT, description="What it translates.")
    statement: RowId | None = Field(None, description="The statement's number (for a statement's translation).")
    language: Language = Field(description="The language it is in.")
    text: str = Field(max_length=max(TRANSLATION_LENGTHS.values()), description=f"Limits: {TRANSLATION_LIMITS}.")


class TranslationOut(BaseModel):
    id: int
    subject: Translated
    statement: int | None
    language: str
    text: str
    original: str = Field(description="The text it translates, as it was.")
    status: TranslationStatus = Field(
        description="accepted: shown to readers of its language; pending: waiting for a moderator; "
        "rejected (the reason is in the moderation log); replaced: a newer one is shown."
    )
    by_volunteer: bool = Field(description="Offered by a participant (else a moderator's, or imported).")
    created_ms: int


class TranslationDecisionIn(Strict):
    status: Literal["accepted", "rejected"]
    reason: str = Field("", max_length=REASON_LENGTH, description="Required for a rejection; published.")


class CoverageOut(BaseModel):
    language: str
    name: str = Field(description="The language's name, in English.")
    statements: int = Field(description="Shown statements readable in it (written in it, or translated).")
    of: int = Field(description="Shown statements.")
    topic: bool
    description: bool | None = Field(description="Null when the conversation has no description.")
    pending: int = Field(description="Volunteers' translations into it waiting for a moderator.")


class PoImportOut(BaseModel):
    stored: int = Field(description="Translations stored, now shown.")
    unchanged: int = Field(description="The same as the translation shown already.")
    untranslated: int = Field(description="Entries with an empty msgstr.")
    fuzzy: int = Field(description="Entries marked fuzzy (a guess to check): not stored.")
    stale: list[int] = Field(description="Lines whose msgid is no longer the text (it changed since the export).")
    written_in_it: int = Field(description="Entries for texts written in this language: nothing to translate.")


ProposalTranslation = Annotated[str, Field(max_length=TRANSLATION_LENGTHS[Translated.STATEMENT])]


class ProposalIn(Strict):
    proposal: bool = Field(description="True: decided by the conversation's rule; false: a statement again.")


# What a setting means for the conversations a proposal opens in the places below, where it differs.
IN_EACH_PLACE = {
    "moderation": "Of participants' statements: pre (a moderator accepts each) or post.",
    "access": "Who may take part in each place: link (anyone with the link), invite (one-time codes, which each "
    "place's moderators make) or xid (members of an embedding site, signed with each conversation's own key).",
    "max_statement_length": "At least the proposal's length; none: 140, or the proposal's length if longer.",
    "attributes": "Questions asked of participants in every place; their answers become declared groups.",
    "decision_rule": "The rule of each place's conversation; none: each place's own (from its spaces).",
}


class SpaceProposalIn(
    create_model(  # type: ignore[misc]
        "PlaceSettingsIn",
        __base__=Strict,
        **_settings_fields(PLACE_SETTINGS, unset={"max_statement_length"}, meanings=IN_EACH_PLACE),
    )
):
    """A proposal put to every space below; each space at the bottom gets a conversation holding it,
    set as this says (the proposal is its topic; nothing is added to it). Invitation codes are made by
    each place's moderators for its own conversation (POST /api/conversations/{id}/invitations)."""

    text: str = Field(max_length=PROPOSAL_LENGTH)
    rule: PlaceRuleIn = Field(description="How the places' outcomes roll up.")
    language: Language | None = Field(
        None, description="The language it is written in; guessed from its script if left out."
    )
    translations: dict[Language, ProposalTranslation] = Field(
        default_factory=dict,
        max_length=MAX_PROPOSAL_TRANSLATIONS,
        description="The proposal in other languages, by language tag: accepted at once as translations of "
        "its statement and topic in every place's conversation.",
    )


class TallyIn(Strict):
    space_id: RowId = Field(description="The place below that reports (any depth).")
    agree: Votes
    disagree: Votes
    note: str = Field("", max_length=NOTE_LENGTH)


class PlaceOut(BaseModel):
    space_id: int
    path: str
    name: str
    source: Literal["conversation", "reported", "below", "silent"]
    conversation: str | None
    outcome: Literal["pass", "fail", "undecided"] | None
    agree: int
    disagree: int
    weight: float
    population: float | None


class RollupOut(BaseModel):
    id: int
    text: str
    rule: dict
    outcome: Literal["pass", "fail", "undecided"]
    explanation: str
    popular_majority: Literal["pass", "fail"]
    silent: list[str]
    undecided: list[str]
    places: list[PlaceOut]
    language: str | None = Field(None, description="The language the proposal is written in.")
    translations: dict[str, str] = Field(
        default_factory=dict,
        description="Its accepted translations by language, as the places' conversations hold them.",
    )


class ModerationIn(Strict):
    status: StatementStatus
    reason: str = Field("", max_length=REASON_LENGTH)


class BlocDecisionIn(Strict):
    """A moderator's verdict on accounts suspected of acting as one bloc (``results.blocs``)."""

    participants: list[RowId] = Field(
        min_length=2, max_length=MAX_ACCOUNTS, description="The accounts' participant numbers."
    )
    verdict: BlocVerdict = Field(description="real: real people, each counted; coordinated: counted once.")
    reason: str = Field(min_length=1, max_length=REASON_LENGTH, description="Published in the moderation log.")


class BlocDecisionOut(BaseModel):
    participants: list[int]
    verdict: BlocVerdict
    reason: str
    time_ms: int


class LogEntryOut(BaseModel):
    kind: Literal["statement", "translation", "bloc"] = "statement"
    statement: int | None = Field(
        description="The statement's number (null for a translation of the topic or description, and a bloc)."
    )
    subject: Translated = Field(Translated.STATEMENT, description="What a translation translates.")
    language: str | None = Field(None, description="A translation's language.")
    accounts: int | None = Field(None, description="How many accounts a verdict on a suspected bloc is about.")
    status: StatementStatus | TranslationStatus | BlocVerdict
    reason: str
    time_ms: int
    text: str | None = Field(description="The text, while it is shown.")


AttributeName = Annotated[str, Field(max_length=ATTRIBUTE_NAME_LENGTH)]
Answers = Annotated[dict[AttributeName, Option], Field(max_length=MAX_ATTRIBUTES)]


class JoinIn(Strict):
    invite_code: str | None = Field(None, max_length=CODE_LENGTH)
    xid: str | None = Field(None, max_length=XID_MAX_LENGTH)
    xid_token: str | None = Field(
        None, max_length=XID_TOKEN_LENGTH, description="The embedding site's signature of the xid (see README)."
    )
    attributes: Answers = Field(default_factory=dict)


class ParticipantOut(BaseModel):
    number: int
    token: str | None = Field(
        None, description="Returned when joining: send it as X-Participant-Token (or keep the cookie)."
    )
    attributes: dict[str, str]
    votes: dict[str, int] = Field(default_factory=dict, description="Current vote per statement number: 1, -1 or 0.")
    csrf_token: str | None = None


class AttributesIn(Strict):
    attributes: Answers


class NextOut(BaseModel):
    statement: StatementOut | None
    remaining: int
    voted: int


class VoteIn(Strict):
    statement: RowId
    vote: VoteChoice


class ReceiptOut(BaseModel):
    entry: int = Field(description="The vote's entry in the conversation's log.")
    leaf: str = Field(description="The entry's leaf hash (hex SHA-256 of 0x00 and the entry).")


class VoteOut(BaseModel):
    statement: int
    vote: int
    receipt: ReceiptOut | None = None


class LogOut(BaseModel):
    origin: str = Field(description="The log's name: the first line of its checkpoints.")
    size: int = Field(description="How many entries it holds.")
    root: str = Field(description="The Merkle tree hash of its entries (RFC 9162), hex.")
    key: str = Field(description="The verifier key that signs its checkpoints, committed in entry 0.")
    checkpoint: str = Field(description="The signed checkpoint of this size and root (c2sp.org signed note).")


class CheckpointsOut(BaseModel):
    logs: list[LogOut]


class InclusionOut(BaseModel):
    entry: int
    size: int = Field(description="The size of the tree the proof is against.")
    leaf: str
    body: str | None = Field(
        description="The entry, exactly as hashed (left out of a private conversation's, but for its moderators)."
    )
    proof: list[str] = Field(description="The audit path (RFC 9162 §2.1.3), hex, from the leaf upwards.")
    checkpoint: str = Field(description="The signed checkpoint of the tree of this size.")


class ConsistencyOut(BaseModel):
    first: int
    size: int
    proof: list[str] = Field(description="The consistency proof (RFC 9162 §2.1.4), hex.")


class VoteReceiptOut(BaseModel):
    entry: int = Field(description="A vote's entry in the conversation's log.")
    leaf: str = Field(description="The entry's leaf hash (hex SHA-256 of 0x00 and the entry).")


class ReceiptsOut(BaseModel):
    """Nothing in it says whose votes these are or how they went: anyone can have the same file made for
    any entries (`?entry=`)."""

    log: LogOut
    receipts: list[VoteReceiptOut]


class InvitationsIn(Strict):
    count: CodeCount = 1


class InvitationOut(BaseModel):
    hint: str
    created_ms: int
    used: bool
    code: str | None = Field(None, description="Only in the response that creates it; never stored.")


class ResultsOut(BaseModel):
    computed_ms: int | None = Field(None, description="When this analysis ran (ms since the epoch).")
    vote_count: int = Field(0, description="Votes it was computed from.")
    last_event_id: int = 0
    seconds: float | None = None
    log_size: int = Field(0, description="The results are of the first log_size entries of the conversation's log.")
    results: ConversationResults | None = Field(
        None,
        description="Groups (with their sizes), consensus, bridging, declared groups and the opinion map, binned: "
        "of a size that does not grow with the participants. Each participant's own place and group are in the "
        "export (see README).",
    )


class ErrorDetail(BaseModel):
    code: str = Field(
        ..., description="bad_request, bad_json, invalid, unauthorized, forbidden, not_found, conflict or rate_limited"
    )
    message: str = Field(..., description="For people, in English.")
    reason: str = Field(..., description="The precise case, e.g. duplicate_statement or invitation_used.")


class ErrorOut(BaseModel):
    error: ErrorDetail


SpaceDetail.model_rebuild()


# --- budgets ---------------------------------------------------------------------------------------


def _exact_amount(value: Any) -> Any:
    """A JSON number with a fraction or an exponent is a float, not an exact amount (NaN and 1e999 among
    them): refused with what an amount is."""
    if isinstance(value, float):
        raise PydanticCustomError(
            "not_money",
            'an amount is a whole number or a decimal text such as "1250.50", more than 0 and at most {most}, '
            "not {value}",
            {"most": _shown(int(MONEY_LIMIT)), "value": str(value)},
        )
    return value


# A whole amount's range is stated here and refused by the use case, with what an amount is.
WholeAmount = Annotated[StrictInt, Field(json_schema_extra={"minimum": 1, "maximum": int(MONEY_LIMIT)})]
Money = Annotated[
    str | WholeAmount,
    BeforeValidator(_exact_amount),
    Field(description='An exact amount: a whole number, or a decimal text such as "1250.50" (at most 6 decimals).'),
]


class BudgetBallotRules(BaseModel):
    type: str = Field(description="approval, choose-1, cumulative (points to share out) or ordinal (a ranking).")
    max_projects: int | None = Field(None, description="The most projects a ballot may list (or rank).")
    max_cost: str | None = Field(None, description="The most a ballot's projects may cost together.")
    max_points: int | None = Field(None, description="A cumulative ballot's points, shared out by each voter.")


def _budget_type(limits: Limits) -> Any:
    """What a budget's own setting or a project's field is in a request's body: money, a number in its
    range, one of the ballot's words, or a kind a conversation's settings have too."""
    if limits.kind == "money":
        return Money
    if limits.kind == "number":
        return Annotated[float, Field(ge=limits.low, le=limits.high)]
    if limits.kind == "choice" and limits.choices is not None:
        return Literal[tuple(str(choice) for choice in limits.choices)]
    return _setting_type(limits)


def _declared_fields(record: type, *, patch: bool, names: Collection[str]) -> dict[str, Any]:
    """The fields of a budget's settings (:class:`BudgetSettings`, with its conversation's settings
    declared there) or a project's (:class:`ProjectFields`) in a request, as declared: with their
    defaults, or none in a change (a field left out keeps its value)."""
    built: dict[str, Any] = {}
    for declared in dataclasses.fields(record):
        if declared.name not in names:
            continue
        limits: Limits = declared.metadata["limits"]
        kind = _setting_type(limits) if declared.metadata.get("conversation") else _budget_type(limits)
        described: dict[str, Any] = {"description": limits.meaning} if limits.meaning else {}
        if patch or declared.default is None:
            built[declared.name] = (kind | None, Field(None, **described))
        elif limits.required:
            built[declared.name] = (kind, Field(**described))
        elif declared.default_factory is not dataclasses.MISSING:
            built[declared.name] = (kind, Field(default_factory=declared.default_factory, **described))
        else:
            built[declared.name] = (kind, Field(declared.default, **described))
    return built


_BUDGET_SETTINGS = [each.name for each in dataclasses.fields(BudgetSettings)]
_PROJECT_FIELDS = [each.name for each in dataclasses.fields(ProjectFields)]
_CHANGES = [name for name in _BUDGET_SETTINGS if name not in VOTER_SETTINGS]  # its conversation's: changed there


_BudgetIn = create_model(
    "BudgetSettingsIn", __base__=Strict, **_declared_fields(BudgetSettings, patch=False, names=_BUDGET_SETTINGS)
)
_BudgetPatch = create_model(
    "BudgetSettingsPatch", __base__=Strict, **_declared_fields(BudgetSettings, patch=True, names=_CHANGES)
)
_ProjectIn = create_model(
    "ProjectFieldsIn", __base__=Strict, **_declared_fields(ProjectFields, patch=False, names=_PROJECT_FIELDS)
)
_ProjectPatch = create_model(
    "ProjectFieldsPatch", __base__=Strict, **_declared_fields(ProjectFields, patch=True, names=CHANGEABLE)
)
_SHOWN = get_type_hints(ProjectRecord)
_PROJECT_SHOWN: dict[str, Any] = {"number": (int, ...), **{name: (_SHOWN[name], ...) for name in _PROJECT_FIELDS}}
_ProjectOut = create_model("ProjectRecordOut", **_PROJECT_SHOWN)


class BudgetIn(_BudgetIn):
    pass  # a new budget's settings (no docstring: the spec describes it as before)


class BudgetPatch(_BudgetPatch):
    pass  # the settings to change; the others keep their values


class ProjectIn(_ProjectIn):
    pass  # a new project


class ProjectPatch(_ProjectPatch):
    pass  # the fields to change (its code never changes)


class ProjectOut(_ProjectOut):
    pass  # a project as stored, with its number


class BudgetSummary(BaseModel):
    id: str
    name: str
    amount: str
    currency: str
    state: Literal["open", "not-yet", "closed", "split"]


class BudgetOut(BudgetSummary):
    space_id: int
    space_path: str
    description: str
    ballot: BudgetBallotRules
    opens_ms: int | None
    closes_ms: int | None
    conversation: str = Field(description="Its voters join here (POST /api/conversations/{id}/participants).")
    parent: str | None = Field(description="The budget it was split from.")
    split: dict | None = Field(description="How it was split among the spaces below, if it was.")
    ballots: int
    projects: list[ProjectOut]


class BallotIn(Strict):
    projects: list[RowId] = Field(
        max_length=MAX_PROJECTS,
        description="The numbers of the projects chosen; for an ordinal ballot without ranks, in rank order.",
    )
    points: list[Annotated[int, StrictNumber(), Whole(-EXACT, EXACT)]] | None = Field(
        None,
        max_length=MAX_PROJECTS,
        description="A cumulative ballot: each project's points (whole, more than 0), in the order of projects, "
        "together at most the budget's max_points.",
    )
    ranks: list[Annotated[int, StrictNumber(), Whole(-EXACT, EXACT)]] | None = Field(
        None,
        max_length=MAX_PROJECTS,
        description="An ordinal ballot: each project's rank, in the order of projects (1 the first choice, then "
        "2, 3… without a gap or a repeat); left out, the order of projects is the ranking.",
    )


class BallotOut(BaseModel):
    projects: list[int] = Field(description="The projects chosen: in rank order for an ordinal ballot.")
    points: list[int] | None = Field(None, description="A cumulative ballot's points, one per project.")
    updated_ms: int


Share = Annotated[float, Field(ge=0, le=1), BeforeValidator(lambda value: _finite(value, 0, 1))]


class SplitIn(Strict):
    mode: Literal["equal", "population", "weight", "formula"]
    parts: dict[Literal["equal", "population", "weight"], Share] | None = Field(
        None, description='For a formula: shares adding up to 1, e.g. {"equal": 0.2, "population": 0.8}.'
    )


class FairnessOut(BaseModel):
    attribute: str
    group: str
    voters: int
    voter_share: float
    equal_shares: float = Field(description="Share of the money spent credited to the group (equal shares).")
    greedy: float = Field(description="The same under greedy by votes.")
    equal_shares_reached: float
    greedy_reached: float


class BudgetOutcomeOut(BaseModel):
    budget: int | float
    voters: int
    projects: int
    funded: list[str] = Field(
        description="Project ids, in the order funded: equal shares' rounds, then the completion."
    )
    spent: int | float
    share: int | float = Field(description="Each voter's share in the equal-shares run kept.")
    raises: int
    greedy: list[str] = Field(description="What greedy by votes alone funds.")
    greedy_spent: int | float
    explanation: list[dict[str, Any]] = Field(description="Each project: how it fared and why (see README).")
    fairness: list[FairnessOut]
    numbers: dict[str, int] = Field(description="Each project id's number in this budget.")


class OutcomeAsOfOut(BaseModel):
    log_size: int = Field(description="The outcome is that of the budget's log's first log_size entries.")
    computed_ms: int = Field(description="When it was computed.")
    current: bool = Field(
        description="False: ballots came in since; the outcome is being computed again (read it again soon)."
    )


class BudgetResultsOut(BaseModel):
    outcome: BudgetOutcomeOut | None = Field(description="Null while there is nothing to decide.")
    as_of: OutcomeAsOfOut | None = Field(default=None, description="Which ballots the outcome is of.")
    parts: dict[str, BudgetOutcomeOut | None] = Field(
        default_factory=dict, description="A split budget: each part's outcome, by the part's id."
    )


class ReadinessOut(BaseModel):
    ready: bool = Field(description="Send this process traffic.")
    database: str = Field(description='"ok", or why the database cannot be reached.')
    stopping: bool = Field(description="Shutting down: finishing the requests it has, taking no more.")
