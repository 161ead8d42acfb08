"""A real Kannel for the SMS tests and bench/sms.py (../shared/docs/reach-and-trust.md, "SMS participation").

``Kannel(folder, service).start()`` writes a kannel.conf into ``folder`` — a core group, one
``smsc = fake`` connection, an smsbox group, the given ``sms-service`` group (``concord sms
kannel-config`` prints Concord's) and a ``sendsms-user`` — on free loopback ports, starts Debian's
``bearerbox`` and ``smsbox`` each in a process group of its own, and returns once the bearerbox status
page shows the smsbox on line and the smsbox's sendsms port answers (polled, no fixed sleeps).
``stop()`` signals both process groups (TERM, then KILL) and always runs when it is used as a context
manager; an ``atexit`` hook does the same if the test session dies first.

Phones: ``kannel.phones()`` is the client end of the fake SMSC, a Python client speaking the same line
protocol as Kannel's own ``fakesmsc`` (one TCP connection to the bearerbox; ``SENDER RECEIVER text
TEXT`` or ``… ucs2 URL-ENCODED-UTF-16BE`` a line towards Kannel; ``… text|data|ucs-2 …`` and ``… udh
UDH data BYTES`` for concatenated parts back). It can drive many phones at once, each in its own order,
and timestamps every message, which ``fakesmsc`` cannot (it picks its messages at random and logs whole
seconds). ``kannel.fakesmsc(...)`` runs the real ``/usr/lib/kannel/test/fakesmsc`` for a phone, as the
README's test by hand does. The fake SMSC takes one client at a time: close one before the other.
``$CONCORD_KANNEL_BIN`` names a folder holding ``bearerbox``, ``smsbox`` and ``fakesmsc`` to use
instead of Debian's.
"""

from __future__ import annotations

import atexit
import os
import queue
import re
import secrets
import select
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

BINARIES_VARIABLE = "CONCORD_KANNEL_BIN"  # a folder with bearerbox, smsbox and fakesmsc: another Kannel
BEARERBOX, SMSBOX, FAKESMSC = "bearerbox", "smsbox", "fakesmsc"
DEBIAN = {BEARERBOX: "/usr/sbin/bearerbox", SMSBOX: "/usr/sbin/smsbox", FAKESMSC: "/usr/lib/kannel/test/fakesmsc"}
SENDSMS_USER = "concord"
INSTALL = "apt-get install -y kannel kannel-extras"


def binary(name: str) -> str | None:
    """Where Kannel's ``name`` is: in $CONCORD_KANNEL_BIN when set (and then only there), else where
    Debian puts it (/usr/sbin, not on a user's PATH; fakesmsc in kannel-extras' /usr/lib/kannel/test),
    else on the PATH."""
    if os.environ.get(BINARIES_VARIABLE):
        candidates = [Path(os.environ[BINARIES_VARIABLE]) / name]
    else:
        candidates = [Path(DEBIAN[name]), *([Path(found)] if (found := shutil.which(name)) else [])]
    return next((str(path) for path in candidates if path.is_file() and os.access(path, os.X_OK)), None)


def unavailable_reason() -> str | None:
    """None when Kannel can run here; otherwise what is missing and how to install it."""
    missing = [name for name in (BEARERBOX, SMSBOX, FAKESMSC) if binary(name) is None]
    if missing:
        where = os.environ.get(BINARIES_VARIABLE) or "Debian's places or the PATH"
        return f"Kannel is not installed (no {', '.join(missing)} in {where}): {INSTALL}"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class KannelFailed(RuntimeError):
    """Kannel did not start or misbehaved; the message carries the tails of its logs."""


class Kannel:
    def __init__(self, folder: Path, service: str, *, log_level: int = 1) -> None:
        """``service``: the ``group = sms-service`` text (one or more groups) to put in kannel.conf.
        ``log_level``: Kannel's (0 debug … 4 panic), for its log files and its output alike; at 1 (info)
        smsbox logs a line for every message, at 0 (debug) every message whole."""
        self.folder = Path(folder)
        self.service = service.strip()
        self.log_level = log_level
        self.admin_password = secrets.token_urlsafe(12)
        self.sendsms_password = secrets.token_urlsafe(12)
        self.admin_port = self.smsbox_port = self.smsc_port = self.sendsms_port = 0
        self.processes: list[subprocess.Popen] = []

    # --- configuration --------------------------------------------------------------------------

    @property
    def conf(self) -> Path:
        return self.folder / "kannel.conf"

    def config(self) -> str:
        log = self.folder
        return f"""\
group = core
admin-port = {self.admin_port}
admin-interface = 127.0.0.1
admin-password = {self.admin_password}
smsbox-port = {self.smsbox_port}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = "{log}/bearerbox.log"
log-level = {self.log_level}

group = smsc
smsc = fake
smsc-id = fake
port = {self.smsc_port}
our-host = 127.0.0.1
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {self.smsbox_port}
sendsms-port = {self.sendsms_port}
sendsms-interface = 127.0.0.1
log-file = "{log}/smsbox.log"
log-level = {self.log_level}

{self.service}

group = sendsms-user
username = {SENDSMS_USER}
password = {self.sendsms_password}
max-messages = 3
concatenation = true
"""

    @property
    def sendsms(self) -> str:
        """The smsbox's sendsms interface (``concord sms invite --sendsms``), without credentials."""
        return f"http://127.0.0.1:{self.sendsms_port}/cgi-bin/sendsms"

    # --- life cycle -----------------------------------------------------------------------------

    def start(self, timeout: float = 30) -> Kannel:
        reason = unavailable_reason()
        if reason:
            raise KannelFailed(reason)
        self.folder.mkdir(parents=True, exist_ok=True)
        atexit.register(self.stop)
        last: KannelFailed | None = None
        for _attempt in range(3):  # another process may take a probed port before Kannel binds it
            self.admin_port, self.smsbox_port, self.smsc_port, self.sendsms_port = _distinct_ports(4)
            self.conf.write_text(self.config())
            try:
                self._start(timeout)
                return self
            except KannelFailed as error:
                last = error
                self.stop()
        assert last is not None
        raise last

    def _start(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        self._spawn(BEARERBOX)
        self._wait(lambda: self.status() is not None, deadline, "the bearerbox's admin port to answer")
        self._spawn(SMSBOX)
        self._wait(lambda: "smsbox:" in (self.status() or ""), deadline, "the smsbox to connect to the bearerbox")
        self._wait(self._sendsms_answers, deadline, "the smsbox's sendsms port to answer")
        self._wait(self._smsc_listens, deadline, "the fake SMSC to listen")

    def _spawn(self, program: str) -> None:
        name = binary(program)
        assert name is not None
        with open(self.folder / f"{program}.out", "ab") as output:
            self.processes.append(
                subprocess.Popen(
                    [name, "-v", str(self.log_level), str(self.conf)],
                    cwd=self.folder,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group: stop() signals the whole group
                )
            )

    def _wait(self, ready: Callable[[], bool], deadline: float, what: str) -> None:
        while not ready():
            for name, process in zip((BEARERBOX, SMSBOX), self.processes):
                if process.poll() is not None:
                    raise KannelFailed(f"{name} exited ({process.returncode}) {self.logs()}")
            if time.monotonic() > deadline:
                raise KannelFailed(f"timed out waiting for {what} {self.logs()}")
            time.sleep(0.05)

    def status(self) -> str | None:
        """The bearerbox's plain-text status page, or None while its admin port does not answer."""
        try:
            answer = httpx.get(
                f"http://127.0.0.1:{self.admin_port}/status.txt", params={"password": self.admin_password}, timeout=2
            )
        except httpx.HTTPError:
            return None
        return answer.text if answer.status_code == 200 else None

    def _sendsms_answers(self) -> bool:
        try:
            httpx.get(f"http://127.0.0.1:{self.sendsms_port}/", timeout=2)
        except httpx.HTTPError:
            return False
        return True

    def _smsc_listens(self) -> bool:
        return "fake[fake]" in (self.status() or "")

    def wait_until_online(self, timeout: float = 10) -> None:
        """Until the fake SMSC's client is connected (the status page says the connection is online)."""
        self._wait(
            lambda: re.search(r"fake\[fake\][^\n]*\(online", self.status() or "") is not None,
            time.monotonic() + timeout,
            "the fake SMSC client to connect",
        )

    def stop(self) -> None:
        """TERM to each process group, KILL after five seconds; safe to call twice."""
        for process in self.processes:
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + 5
        for process in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _signal_group(process, signal.SIGKILL)
            process.wait()
        self.processes = []

    def __enter__(self) -> Kannel:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()

    def logs(self, characters: int = 3000) -> str:
        """The tails of the bearerbox's and smsbox's logs, for an error message."""
        parts = []
        for name in ("bearerbox.out", "bearerbox.log", "smsbox.out", "smsbox.log"):
            path = self.folder / name
            if path.exists() and path.stat().st_size:
                parts.append(f"--- {name} ---\n{path.read_text(errors='replace')[-characters:]}")
        return "\n" + "\n".join(parts) if parts else "(no Kannel logs)"

    # --- phones ---------------------------------------------------------------------------------

    def phones(self, on_message: Callable[[Sms], None] | None = None) -> Phones:
        """Connect to the fake SMSC as its client (the one fakesmsc would be); wait until it is online."""
        phones = Phones("127.0.0.1", self.smsc_port, on_message)
        try:
            self.wait_until_online()
        except KannelFailed:
            phones.close()
            raise
        return phones

    def fakesmsc(self, *messages: str, replies: int = 1, timeout: float = 20) -> list[Sms]:
        """Run Kannel's own fakesmsc once (``-m`` = number of ``messages``, sent 0.1 s apart; with several
        messages fakesmsc picks them at random) until the "Got message" lines it prints (e.g. ``<4545
        +93700000001 ucs-2 %063%06D…>``) make ``replies`` whole messages; those messages. fakesmsc
        prints each further line of a GSM text as a "message" of its own: of such a reply only the
        first line is returned."""
        command = [binary(FAKESMSC) or FAKESMSC, "-H", "127.0.0.1", "-r", str(self.smsc_port), "-i", "0.1", "-m"]
        command += [str(len(messages)), *messages]
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        got: list[Sms] = []
        output: list[str] = []
        done = threading.Event()
        reassembler = Reassembler()

        def read() -> None:
            assert process.stdout is not None
            for raw in process.stdout:
                line = raw.decode("latin-1").rstrip("\n")
                output.append(line)
                found = re.search(r"Got message \d+: <(.*)>$", line)
                try:
                    got.extend(reassembler.feed(found.group(1), time.perf_counter()) if found else [])
                    got.extend(reassembler.flush())  # fakesmsc shows a text's further lines as messages
                except ValueError:
                    pass
                if len(got) >= replies:
                    done.set()
            got.extend(reassembler.flush())
            done.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            done.wait(timeout)
        finally:
            _signal_group(process, signal.SIGKILL)  # fakesmsc never exits by itself
            process.wait()
            reader.join(timeout=5)
        if len(got) < replies:
            raise KannelFailed(
                f"fakesmsc got {len(got)} of {replies} replies:\n" + "\n".join(output[-20:]) + self.logs()
            )
        return got


def _distinct_ports(count: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port())
    return list(ports)


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            pass


# --- the fake SMSC's line protocol ------------------------------------------------------------------


@dataclass(frozen=True)
class Sms:
    """A message Kannel delivered to a phone. ``coding``: ``text`` (7-bit), ``data`` (8-bit), ``ucs-2``;
    for a message that came in concatenated parts (the wire does not say their coding) ``ucs-2`` when
    its bytes hold control characters, which GSM text never does. ``at``: ``time.perf_counter()`` when
    its last part arrived."""

    sender: str
    receiver: str
    text: str
    coding: str
    parts: int
    at: float


def encode_line(sender: str, receiver: str, text: str) -> bytes:
    """One message towards Kannel: ``text`` when it is printable ASCII, else ``ucs2`` (URL-encoded UTF-16BE)."""
    if text.isascii() and text.isprintable():
        return f"{sender} {receiver} text {text}\n".encode("ascii")
    encoded = urllib.parse.quote_from_bytes(text.encode("utf-16-be"), safe="")
    return f"{sender} {receiver} ucs2 {encoded}\n".encode("ascii")


def _unquote(data: str) -> bytes:
    # Kannel's octstr_url_encode writes a space as '+' and a '+' as %2B.
    return urllib.parse.unquote_to_bytes(data.replace("+", "%20"))


def _concatenation(udh: bytes) -> tuple[int, int, int] | None:
    """(reference, total, sequence) of a concatenated part's user-data header (IEI 0x00 or 0x08)."""
    at, end = 1, 1 + udh[0] if udh else 0
    while at + 1 < end:
        iei, length = udh[at], udh[at + 1]
        body = udh[at + 2 : at + 2 + length]
        if iei == 0x00 and length == 3:
            return body[0], body[1], body[2]
        if iei == 0x08 and length == 4:
            return body[0] << 8 | body[1], body[2], body[3]
        at += 2 + length
    return None


def _decode(data: bytes, coding: str) -> str:
    if coding == "ucs-2":
        return data.decode("utf-16-be", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


_HEADER = re.compile(r"\S+ \S+ (text|data|ucs-2|udh) ")


class Reassembler:
    """Reads the fake SMSC's lines towards a phone (as Kannel writes them and fakesmsc prints them) into
    whole messages, joining the parts of a concatenated one. A GSM text travels as it is, so a reply
    with a line break arrives as several lines: a line that starts no message continues the last text,
    which is therefore held until the next message or ``flush()``."""

    def __init__(self) -> None:
        self._parts: dict[tuple[str, int], dict[int, bytes]] = {}
        self._text: Sms | None = None

    def feed(self, line: str, at: float = 0.0) -> list[Sms]:
        """The messages this line completes (none while parts are missing); ValueError if unreadable."""
        if not _HEADER.match(line):
            if self._text is None:
                raise ValueError(f"not a fake-SMSC line: {line!r}")
            self._text = replace(self._text, text=f"{self._text.text}\n{_decode(line.encode('latin-1'), 'text')}")
            return []
        done = self.flush()
        sender, receiver, kind, rest = line.split(" ", 3)
        if kind == "udh":
            udh_text, _, data = rest.partition(" data ")
            udh, body = _unquote(udh_text), _unquote(data)
            concatenated = _concatenation(udh)
            if concatenated is None:
                return [*done, Sms(sender, receiver, _decode(body, _guess(body)), _guess(body), 1, at)]
            reference, total, sequence = concatenated
            key = (receiver, reference)
            parts = self._parts.setdefault(key, {})
            parts[sequence] = body
            if len(parts) < total:
                return done
            del self._parts[key]
            whole = b"".join(parts[n] for n in sorted(parts))
            coding = _guess(whole)
            return [*done, Sms(sender, receiver, _decode(whole, coding), coding, total, at)]
        if kind == "text":
            self._text = Sms(sender, receiver, _decode(rest.encode("latin-1"), "text"), "text", 1, at)
            return done
        return [*done, Sms(sender, receiver, _decode(_unquote(rest), kind), kind, 1, at)]

    def flush(self) -> list[Sms]:
        """The text held for continuation lines, if any."""
        held, self._text = self._text, None
        return [held] if held is not None else []


class Phones:
    """Many phones on one fake-SMSC connection. ``send(phone, to, text)`` returns the send time
    (``time.perf_counter()``); ``receive(phone)`` the next whole message Kannel delivered to that phone,
    or, with ``on_message``, each message is handed to it (on the reading thread) instead."""

    def __init__(self, host: str, port: int, on_message: Callable[[Sms], None] | None = None) -> None:
        self.on_message = on_message
        self.socket = socket.create_connection((host, port), timeout=10)
        self.socket.settimeout(None)
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._write = threading.Lock()
        self._inbox: dict[str, queue.Queue[Sms]] = defaultdict(queue.Queue)
        self._inbox_lock = threading.Lock()
        self._reassembler = Reassembler()
        self.unparsed: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def send(self, phone: str, to: str, text: str) -> float:
        line = encode_line(phone, to, text)
        with self._write:
            sent = time.perf_counter()
            self.socket.sendall(line)
        return sent

    def send_raw(self, line: str) -> float:
        """A line as it is (e.g. ``+93… 1234 ucs2 %06%33…``), newline added."""
        with self._write:
            sent = time.perf_counter()
            self.socket.sendall(line.encode("ascii") + b"\n")
        return sent

    def inbox(self, phone: str) -> queue.Queue[Sms]:
        with self._inbox_lock:
            return self._inbox[phone]

    def receive(self, phone: str, timeout: float = 15) -> Sms:
        try:
            return self.inbox(phone).get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no message reached {phone} within {timeout} s") from None

    def nothing_for(self, phone: str, seconds: float) -> list[Sms]:
        """The messages that reach ``phone`` within ``seconds`` (a test expects none)."""
        time.sleep(seconds)
        box, found = self.inbox(phone), []
        while not box.empty():
            found.append(box.get_nowait())
        return found

    def close(self) -> None:
        try:
            self.socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._reader.join(timeout=5)
        self.socket.close()

    def __enter__(self) -> Phones:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = self.socket.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            at = time.perf_counter()
            *lines, buffer = (buffer + chunk).split(b"\n")
            for raw in lines:
                line = raw.decode("latin-1").rstrip("\r")
                try:
                    self._deliver_all(self._reassembler.feed(line, at))
                except ValueError:
                    self.unparsed.append(line)
            try:
                pending = bool(buffer) or bool(select.select([self.socket], [], [], 0)[0])
            except (OSError, ValueError):
                break
            if not pending:
                self._deliver_all(self._reassembler.flush())  # a text's lines come in one write
        self._deliver_all(self._reassembler.flush())

    def _deliver_all(self, messages: list[Sms]) -> None:
        for sms in messages:
            self._deliver(sms)

    def _deliver(self, sms: Sms) -> None:
        if self.on_message is not None:
            self.on_message(sms)
        else:
            self.inbox(sms.receiver).put(sms)


def _guess(data: bytes) -> str:
    return "ucs-2" if any(byte < 0x20 and byte not in b"\n\r" for byte in data) else "text"
