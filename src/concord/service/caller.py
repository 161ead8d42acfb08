"""Who makes a request, as the web layer read it from cookies and headers. Use cases decide from it
who acts: a logged-in moderator, a participant of the conversation at hand, or nobody known."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    session_token: str | None = None  # a moderator's login (cookie)
    participant_token: str | None = None  # an anonymous participant's token (cookie or header)
    # The network address, used only as the key of the limit on new participants; never stored.
    address: str = "local"


NOBODY = Caller()
