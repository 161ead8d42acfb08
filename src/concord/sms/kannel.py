"""Kannel (1.4): its smsbox calls an ``sms-service``'s ``get-url`` for each incoming message and sends the
HTTP answer's body back to the phone; Concord's outgoing messages go through smsbox's ``sendsms`` HTTP
interface.

The service's URL carries the message with Kannel's escapes: ``%p`` the sender, ``%P`` the number it
texted, ``%a`` the text, ``%c`` its coding (0 GSM 7-bit, 1 8-bit, 2 UCS-2) and ``%C`` its charset: a
UCS-2 message arrives as UTF-16BE bytes, URL-encoded, so the query string is read as bytes and decoded
with the charset Kannel names. A reply that is not GSM text is marked ``X-Kannel-Coding: 2`` (UCS-2),
which smsbox heeds with ``accept-x-kannel-headers = true``; ``max-messages = 3`` and
``concatenation = true`` let it send a reply of up to three parts as one concatenated message, and
``omit-empty = true`` sends nothing for an empty answer (a refused flood).
"""

from __future__ import annotations

import codecs
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping

from concord.sms.gateway import GatewayError, HttpAnswer, IncomingSms
from concord.sms.messages import MAX_PARTS, is_gsm

PATH = "/sms/kannel"  # where smsbox's get-url points
UCS2 = "2"  # Kannel's coding of UCS-2 (X-Kannel-Coding, sendsms's coding=)
SERVICE_SETTINGS = {  # besides keyword and get-url: what the replies need of smsbox
    "accept-x-kannel-headers": "true",
    "max-messages": str(MAX_PARTS),
    "concatenation": "true",
    "omit-empty": "true",
}


def service_group(base_url: str, secret: str) -> str:
    """The ``sms-service`` group of kannel.conf that sends every incoming message to this server."""
    query = f"secret={secret}&from=%p&to=%P&text=%a&coding=%c&charset=%C"
    lines = [
        "# Concord: every incoming SMS goes to Concord, whose answer is the reply (concord sms kannel-config)",
        "group = sms-service",
        "keyword = default",
        f'get-url = "{base_url.rstrip("/")}{PATH}?{query}"',
        *(f"{name} = {value}" for name, value in SERVICE_SETTINGS.items()),
    ]
    return "\n".join(lines) + "\n"


def _fields(query: bytes) -> dict[str, bytes]:
    """The query's fields as bytes: ``+`` is a space in the text, a plus in the numbers (where
    Kannel's %p keeps an international number's sign)."""
    found: dict[str, bytes] = {}
    for pair in query.split(b"&"):
        name, _, value = pair.partition(b"=")
        key = urllib.parse.unquote_to_bytes(name).decode("latin-1")
        raw = value.replace(b"+", b" ") if key == "text" else value
        found.setdefault(key, urllib.parse.unquote_to_bytes(raw))
    return found


def _decoded(text: bytes, coding: str, charset: str) -> str:
    """The text as the phone wrote it, without control characters (but line breaks), which no
    statement may hold and PostgreSQL cannot store."""
    if charset:
        try:
            decoded = text.decode(codecs.lookup(charset).name, errors="replace")
        except LookupError:
            raise GatewayError(f"unknown charset {charset[:40]!r}") from None
    else:
        decoded = text.decode("utf-16-be" if coding == UCS2 else "utf-8", errors="replace")
    return "".join(ch for ch in decoded if ch == "\n" or unicodedata.category(ch) != "Cc")


def _plain(value: bytes) -> str:
    return "".join(ch for ch in value.decode("latin-1") if unicodedata.category(ch) != "Cc").strip()


class KannelGateway:
    """The Kannel adapter of :class:`concord.sms.gateway.Gateway`. ``sendsms``: smsbox's sendsms URL
    (``http://host:13013/cgi-bin/sendsms``) with its ``username`` and ``password``, for outgoing messages;
    ``sender``: the number they come from."""

    def __init__(
        self,
        sendsms: str | None = None,
        *,
        username: str = "",
        password: str = "",
        sender: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.sendsms, self.username, self.password = sendsms, username, password
        self.sender, self.timeout = sender, timeout

    def incoming(self, query: bytes, headers: Mapping[str, str], body: bytes) -> IncomingSms:
        fields = _fields(query)
        missing = [name for name in ("from", "to", "text") if name not in fields]
        if missing:
            raise GatewayError(f"the request names no {', '.join(missing)}: see concord sms kannel-config")
        secret = fields.get("secret")
        return IncomingSms(
            sender=_plain(fields["from"]),
            receiver=_plain(fields["to"]),
            text=_decoded(fields["text"], _plain(fields.get("coding", b"")), _plain(fields.get("charset", b""))),
            secret=_plain(secret) if secret is not None else None,
        )

    def reply(self, text: str) -> HttpAnswer:
        return HttpAnswer(200, text, {} if is_gsm(text) else {"X-Kannel-Coding": UCS2})

    def send(self, to: str, text: str) -> None:
        if not self.sendsms:
            raise GatewayError("no sendsms URL: name Kannel's (http://HOST:13013/cgi-bin/sendsms)")
        fields = {"username": self.username, "password": self.password, "to": to, "text": text, "charset": "UTF-8"}
        if not is_gsm(text):
            fields["coding"] = UCS2
        if self.sender:
            fields["from"] = self.sender
        url = f"{self.sendsms}{'&' if '?' in self.sendsms else '?'}{urllib.parse.urlencode(fields)}"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as answer:
                answer.read()
        except urllib.error.HTTPError as refused:
            raise GatewayError(f"Kannel refused the message: {refused.code} {refused.reason}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise GatewayError(f"Kannel's sendsms cannot be reached: {getattr(error, 'reason', error)}") from None
