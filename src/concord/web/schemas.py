"""Request and response bodies of the JSON API (they also document it in /openapi.json)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from concord.report.contract import ConversationResults
from concord.states import Access, Moderation, StatementStatus, VoteChoice
from concord.store.models import MAX_ID

RowId = Annotated[int, Field(ge=0, le=MAX_ID, description="A row id or statement number.")]


def _storable(value):
    """JSON may carry lone surrogates (``"\\ud800"``) that no database can store as text."""
    if isinstance(value, str):
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


class Strict(BaseModel):
    """Request bodies: unknown fields refused, every text storable."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _text_is_storable(cls, value):
        return _storable(value)


class LoginIn(Strict):
    username: str
    password: str


class LoginOut(BaseModel):
    username: str
    is_admin: bool
    csrf_token: str


class SpaceIn(Strict):
    parent_id: RowId | None = Field(None, description="The space this one sits in; none for a top-level space.")
    slug: str = Field(..., description="Short name used in paths, e.g. 'herat'.")
    name: str
    language: str = "en"
    description: str = ""


class SpaceOut(BaseModel):
    id: int
    parent_id: int | None
    path: str
    name: str
    language: str
    description: str


class SpaceDetail(SpaceOut):
    children: list[SpaceOut]
    conversations: list[ConversationSummary]
    can_moderate: bool


class ModeratorIn(Strict):
    username: str


class Attribute(Strict):
    name: str
    options: list[str]


class ConversationIn(Strict):
    topic: str
    description: str = ""
    language: str = "en"
    moderation: Moderation = Field(
        Moderation.POST, description="pre: statements wait for a moderator; post: shown at once, removable."
    )
    participants_can_write: bool = True
    access: Access = Field(
        Access.LINK,
        description="link: anyone with the link; invite: one-time codes; xid: an id passed by an embedding site.",
    )
    max_statement_length: int = 140
    attributes: list[Attribute] = Field(
        default_factory=list, description="Declared attributes asked of participants, used as declared groups."
    )


class ConversationPatch(Strict):
    topic: str | None = None
    description: str | None = None
    language: str | None = None
    moderation: Moderation | None = None
    participants_can_write: bool | None = None
    access: Access | None = None
    max_statement_length: int | None = None
    attributes: list[Attribute] | None = None

    @model_validator(mode="after")
    def _no_nulls(self):
        given_null = sorted(name for name in self.model_fields_set if getattr(self, name) is None)
        if given_null:
            raise ValueError(f"{', '.join(given_null)} cannot be null: leave a setting out to keep it")
        return self


class ConversationSummary(BaseModel):
    id: str
    topic: str
    is_open: bool


class ConversationOut(BaseModel):
    id: str
    space_id: int
    space_path: str
    topic: str
    description: str
    language: str
    is_open: bool
    moderation: Moderation
    participants_can_write: bool
    access: Access
    max_statement_length: int
    attributes: list[Attribute]
    statements: int
    participants: int
    votes: int


class StatementIn(Strict):
    text: str


class StatementOut(BaseModel):
    number: int
    text: str
    status: StatementStatus
    is_seed: bool
    created_ms: int


class ModerationIn(Strict):
    status: StatementStatus
    reason: str = ""


class LogEntryOut(BaseModel):
    statement: int
    status: StatementStatus
    reason: str
    time_ms: int
    text: str | None


class JoinIn(Strict):
    invite_code: str | None = None
    xid: str | None = None
    attributes: dict[str, str] = Field(default_factory=dict)


class ParticipantOut(BaseModel):
    number: int
    token: str | None = Field(
        None, description="Returned when joining: send it as X-Participant-Token (or keep the cookie)."
    )
    attributes: dict[str, str]
    votes: dict[str, int] = Field(default_factory=dict, description="Current vote per statement number: 1, -1 or 0.")
    csrf_token: str | None = None


class AttributesIn(Strict):
    attributes: dict[str, str]


class NextOut(BaseModel):
    statement: StatementOut | None
    remaining: int
    voted: int


class VoteIn(Strict):
    statement: RowId
    vote: VoteChoice


class VoteOut(BaseModel):
    statement: int
    vote: int


class InvitationsIn(Strict):
    count: int = 1


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
    results: ConversationResults | None = Field(
        None, description="Groups, consensus, bridging, declared groups and the opinion map (see README)."
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
