"""What Concord needs of an SMS gateway, so that another one (an Android SMS gateway app, RapidPro's
external channel, a GSM modem) is one more adapter beside Kannel's, with no change to the dialogue:
read an incoming request into an :class:`IncomingSms`, render a reply as the gateway's HTTP answer,
and send a message to a phone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class IncomingSms:
    sender: str  # the phone (never stored: the dialogue keeps a keyed hash)
    receiver: str  # the number it texted
    text: str
    secret: str | None  # what the gateway showed to authenticate itself


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)


class GatewayError(Exception):
    """A request the gateway should not have made (a missing field, an unknown charset), or a message
    it did not take."""


class Gateway(Protocol):
    def incoming(self, query: bytes, headers: Mapping[str, str], body: bytes) -> IncomingSms:
        """The message a gateway's request carries (its raw query string, headers and body)."""
        ...

    def reply(self, text: str) -> HttpAnswer:
        """The answer that has the gateway send ``text`` back to the phone (nothing when empty)."""
        ...

    def send(self, to: str, text: str) -> None:
        """Send ``text`` to the phone ``to``, or raise :class:`GatewayError`."""
        ...
