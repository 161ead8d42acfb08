"""Taking part by SMS through a real Kannel (issue 27): Debian's bearerbox and smsbox with a fake SMSC,
Concord's sms-service group as ``concord sms kannel-config`` prints it, and a real ``concord serve``.

The phones are tests/kannel.py's client of the fake SMSC (the line protocol Kannel's fakesmsc speaks,
so twenty phones can each follow their own dialogue on one connection); a Dari phone also greets
through Kannel's own fakesmsc binary. Without Kannel these tests are skipped, saying why; under CI
($CI) that is a failure (scripts/test installs ``kannel`` and ``kannel-extras``).
"""

from __future__ import annotations

import csv
import http.server
import io
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
import zipfile
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from kannel import SENDSMS_USER, Kannel, unavailable_reason
from live_server import free_port, serve_process

REASON = unavailable_reason()
if REASON:
    if os.environ.get("CI"):
        pytest.fail(f"{REASON} (scripts/test installs it)", pytrace=False)
    pytest.skip(f"{REASON}; the Kannel SMS tests are skipped", allow_module_level=True)

SHORT_CODE = "4545"


# --- the harness itself, against a stub service -----------------------------------------------------


@contextmanager
def stub_service() -> Iterator[tuple[str, list[dict]]]:
    """A web service that echoes each text back (in Dari, as UCS-2, for a UCS-2 text, with a reply too
    long for one SMS); yields its base URL and the requests it got."""
    seen: list[dict] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query, encoding="latin-1")
            fields = {key: values[0] for key, values in query.items()}
            seen.append(fields)
            raw = fields.get("text", "").encode("latin-1")
            ucs2 = fields.get("charset") == "UTF-16BE"
            text = raw.decode("utf-16-be") if ucs2 else raw.decode("utf-8")
            reply = (f"گفتید: {text}. " + "این یک پاسخ طولانی است. " * 4) if ucs2 else f"you said: {text}"
            body = reply.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            if ucs2:
                self.send_header("X-Kannel-Coding", "2")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def stub_group(url: str) -> str:
    return f"""\
group = sms-service
keyword = default
catch-all = true
get-url = "{url}/sms?from=%p&to=%P&text=%a&coding=%c&charset=%C"
accept-x-kannel-headers = true
max-messages = 4
concatenation = true
omit-empty = true"""


def test_the_harness_carries_texts_both_ways_in_latin_and_in_dari(tmp_path):
    with stub_service() as (url, seen), Kannel(tmp_path / "kannel", stub_group(url)) as kannel:
        dari = "سلام"
        with kannel.phones() as phones:
            sent = phones.send("+93700000001", SHORT_CODE, "hello")
            reply = phones.receive("+93700000001")
            assert (reply.sender, reply.text, reply.coding) == (SHORT_CODE, "you said: hello", "text")
            assert reply.at > sent
            phones.send("+93700000002", SHORT_CODE, dari)
            reply = phones.receive("+93700000002")
            assert reply.coding == "ucs-2" and reply.parts > 1, reply
            assert reply.text.startswith(f"گفتید: {dari}. این یک پاسخ"), reply
        assert [(s["from"], s["to"], s["coding"]) for s in seen] == [
            ("+93700000001", SHORT_CODE, "0"),
            ("+93700000002", SHORT_CODE, "2"),
        ]
        # Kannel's own fakesmsc, as the README's test by hand uses it
        encoded = urllib.parse.quote_from_bytes(dari.encode("utf-16-be"), safe="")
        [reply] = kannel.fakesmsc(f"+93700000003 {SHORT_CODE} ucs2 {encoded}")
        assert (reply.sender, reply.receiver, reply.coding) == (SHORT_CODE, "+93700000003", "ucs-2"), reply
        assert reply.text.startswith(f"گفتید: {dari}. این یک پاسخ"), reply
    assert not kannel.processes


# --- Concord behind Kannel --------------------------------------------------------------------------

SEEDS = (
    "Clean water should reach every village first",
    "Schools need more women teachers",
    "Roads between provinces must be repaired",
)
TOPIC = "How should our district spend next year?"
PHONES = [f"+9370012{n:04d}" for n in range(20)]
DIGITS = ("123", "۱۲۳", "١٢٣")  # Latin, Extended Arabic-Indic (Dari, Pashto), Arabic-Indic
VOTE = {1: "agree", 2: "disagree", 3: "pass"}
ADMIN_PASSWORD = "a long enough password"


@dataclass
class Site:
    url: str
    database: Path
    conversation: str
    api: httpx.Client  # logged in as an administrator
    kannel: Kannel
    numbers: set[str] = field(default_factory=set)  # every phone number a test used

    def concord(self, *arguments: str, stdin: str | None = None) -> str:
        return concord(*arguments, database=self.database, stdin=stdin)


def concord(*arguments: str, database: Path, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "concord", *arguments, "--database", f"sqlite:///{database}"],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"concord {' '.join(arguments)}: {done.stderr or done.stdout}"
    return done.stdout


def seeded(database: Path) -> str:
    """An administrator, a space and a conversation of SEEDS (the browser tests' way, through the
    service layer on the database file before the server opens it); the conversation's public id."""
    from concord.service import spaces
    from concord.service.accounts import moderators as accounts
    from concord.service.conversations import lifecycle as conversations
    from concord.service.conversations import statements
    from concord.service.startup import open_runtime

    runtime = open_runtime(f"sqlite:///{database}")
    try:
        with runtime.transaction() as session:
            admin = accounts.create_user(session, "admin", ADMIN_PASSWORD, is_admin=True)
            space = spaces.create_space(session, admin, parent_path=None, slug="kabul", name="Kabul")
            settings = conversations.ConversationSettings(topic=TOPIC)
            conversation = conversations.create_conversation(session, admin, space, settings)
            for text in SEEDS:
                statements.add_statement(session, conversation, text, moderator=admin)
            return conversation.public_id
    finally:
        runtime.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    """A real ``concord serve`` with a conversation of three statements connected to SHORT_CODE by
    ``concord sms connect``, and a real Kannel whose sms-service group is the one ``concord sms
    kannel-config`` prints (both commands run while the server starts)."""
    folder = tmp_path_factory.mktemp("sms")
    database = folder / "concord.db"
    conversation = seeded(database)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    pool = ThreadPoolExecutor(3)
    connected = pool.submit(concord, "sms", "connect", conversation, SHORT_CODE, database=database)
    group = pool.submit(concord, "sms", "kannel-config", "--url", url, database=database)
    started = pool.submit(serve_process, f"sqlite:///{database}", "--no-demo", port=port)
    try:
        assert SHORT_CODE in connected.result()
        with Kannel(folder / "kannel", group.result()) as kannel, httpx.Client(base_url=url, timeout=30) as api:
            started.result()
            login = api.post("/api/session", json={"username": "admin", "password": ADMIN_PASSWORD})
            assert login.status_code == 200, login.text
            yield Site(url, database, conversation, api, kannel)
    finally:
        pool.shutdown()  # every command has ended, the server has started (or failed to)
        if started.exception() is None:
            stop_server(started.result()[0])


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)  # the server's group: its analysis process too
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def seed_in(text: str) -> int:
    """The number (1…) of the seed statement a reply puts to the phone."""
    found = [number for number, seed in enumerate(SEEDS, 1) if seed in text]
    assert len(found) == 1, f"no statement in the reply: {text!r}"
    return found[0]


def votes_by_statement(site: Site) -> Counter[tuple[int, str]]:
    """(seed 1…, agree|disagree|pass) → votes, from the conversation's export (votes.csv), its statements
    known by their text (whatever numbers they were given)."""
    listed = site.api.get(f"/api/conversations/{site.conversation}/statements")
    assert listed.status_code == 200, listed.text
    seed_of = {str(row["number"]): SEEDS.index(row["text"]) + 1 for row in listed.json() if row["text"] in SEEDS}
    export = site.api.get(f"/api/conversations/{site.conversation}/export")
    assert export.status_code == 200, export.text
    with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read(f"{site.conversation}/votes.csv").decode())))
    names = {"1": "agree", "-1": "disagree", "0": "pass"}
    return Counter((seed_of[row["comment-id"]], names[row["vote"]]) for row in rows)


def vote_count(site: Site, expected: int, timeout: float = 30) -> int:
    """The results' vote_count once it reaches ``expected`` (the live analysis trails the votes)."""
    deadline = time.monotonic() + timeout
    while True:
        count = site.api.get(f"/api/conversations/{site.conversation}/results").json()["vote_count"]
        if count >= expected or time.monotonic() > deadline:
            return count
        time.sleep(0.2)


def assert_no_phone_number_stored(site: Site) -> None:
    """No phone number, in any spelling (+93…, 93…, 0…, the subscriber's digits alone; UTF-8 or
    UTF-16), is in the database file or its write-ahead log."""
    stored = b"".join(
        path.read_bytes() for path in site.database.parent.glob(site.database.name + "*") if path.is_file()
    )
    assert stored
    for number in site.numbers:
        digits = number.lstrip("+")
        for spelling in {number, digits, "0" + digits[2:], digits[2:]}:
            for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
                assert spelling.encode(encoding) not in stored, f"{spelling} ({encoding}) is in the database"


def test_twenty_phones_answer_every_statement_and_their_votes_reach_the_results(site):
    expected: Counter[tuple[int, str]] = Counter()
    shown: dict[str, int] = {}
    with site.kannel.phones() as phones:
        site.numbers.update(PHONES)
        for phone in PHONES:
            phones.send(phone, SHORT_CODE, "Hello")
        for phone in PHONES:
            reply = phones.receive(phone)
            assert reply.sender == SHORT_CODE and reply.coding == "text", reply
            assert TOPIC in reply.text and "1 agree, 2 disagree, 3 pass" in reply.text, reply
            shown[phone] = seed_in(reply.text)
        for turn in range(len(SEEDS)):
            for index, phone in enumerate(PHONES):
                choice = (index + turn) % 3 + 1
                phones.send(phone, SHORT_CODE, DIGITS[index % 3][choice - 1])
                expected[shown[phone], VOTE[choice]] += 1
            for phone in PHONES:
                reply = phones.receive(phone)
                if turn < len(SEEDS) - 1:
                    following = seed_in(reply.text)
                    assert following != shown[phone], reply
                    shown[phone] = following
                else:
                    assert "You answered every statement" in reply.text, reply
        assert not phones.unparsed
    votes = len(PHONES) * len(SEEDS)
    assert vote_count(site, votes) == votes
    assert votes_by_statement(site) == expected
    assert_no_phone_number_stored(site)


def test_a_phone_greeting_in_dari_is_answered_in_dari_as_ucs2_and_can_stop(site):
    from concord.service.sms.dialogue import Say
    from concord.sms.texts import ANSWERS, SAYINGS
    from concord.web.i18n import translations

    dari = translations("fa_AF").gettext
    phone = "+93799000001"
    site.numbers.add(phone)
    greeting = urllib.parse.quote_from_bytes("سلام".encode("utf-16-be"), safe="")
    [reply] = site.kannel.fakesmsc(f"{phone} {SHORT_CODE} ucs2 {greeting}")  # Kannel's own fakesmsc
    assert (reply.sender, reply.receiver, reply.coding) == (SHORT_CODE, phone, "ucs-2"), reply
    assert reply.text.startswith(dari(SAYINGS[Say.WELCOME]) % {"topic": TOPIC}), reply
    assert dari(ANSWERS) in reply.text and dari(ANSWERS) != ANSWERS, reply
    statement = seed_in(reply.text)
    with site.kannel.phones() as phones:
        phones.send(phone, SHORT_CODE, "۲")  # disagree, in Dari's digits
        reply = phones.receive(phone)
        assert reply.coding == "ucs-2" and dari(ANSWERS) in reply.text and seed_in(reply.text) != statement
        phones.send(phone, SHORT_CODE, "توقف")  # "stop"
        reply = phones.receive(phone)
        assert reply.coding == "ucs-2" and reply.text == dari(SAYINGS[Say.STOPPED]), reply
    assert votes_by_statement(site)[statement, "disagree"] >= 1
    assert_no_phone_number_stored(site)


def test_stop_ends_it_no_further_message_reaches_that_phone(site, tmp_path):
    stopping, invited = "+93700999001", "+93700999002"
    site.numbers.update({stopping, invited})
    with site.kannel.phones() as phones:
        phones.send(stopping, SHORT_CODE, "hi")
        seed_in(phones.receive(stopping).text)
        phones.send(stopping, SHORT_CODE, "STOP")
        assert phones.receive(stopping).text == "You left. We will not text you. Write any time to come back."
        # The convener invites a list of phones through Kannel's sendsms: not the one that stopped.
        listed = tmp_path / "phones.txt"
        listed.write_text(f"{stopping}\n{invited}\n")
        kannel = site.kannel
        said = site.concord(
            "sms",
            "invite",
            site.conversation,
            str(listed),
            "--sendsms",
            kannel.sendsms,
            "--username",
            SENDSMS_USER,
            "--password",
            kannel.sendsms_password,
            "--per-second",
            "50",
        )
        assert "sent 1 invitation; left out 1 phone that sent STOP" in said, said
        invitation = phones.receive(invited)
        assert (invitation.sender, invitation.coding) == (SHORT_CODE, "text"), invitation
        assert TOPIC in invitation.text and "Reply to take part" in invitation.text, invitation
        assert phones.nothing_for(stopping, 1) == []
    assert_no_phone_number_stored(site)


def table_counts(database: Path) -> dict[str, int]:
    """Rows of every table but the live analysis's own (it may still be at work on earlier votes)."""
    with sqlite3.connect(database) as db:
        names = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {
            name: db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            for name in names
            if name not in {"analyses", "analysis_leases", "budget_outcome_leases"}
        }


def test_a_forged_callback_without_the_secret_is_refused_and_stores_nothing(site):
    forger = "+93700555001"
    site.numbers.add(forger)
    before = table_counts(site.database)
    message = {"from": forger, "to": SHORT_CODE, "text": "Hello", "coding": "0", "charset": "UTF-8"}
    for secret in ({}, {"secret": ""}, {"secret": "0" * 40}):
        for text in ("Hello", "1"):
            answer = httpx.get(f"{site.url}/sms/kannel", params={**secret, **message, "text": text}, timeout=10)
            assert 400 <= answer.status_code < 500, (secret, answer.status_code, answer.text)
            assert "Welcome" not in answer.text and "agree" not in answer.text
    assert table_counts(site.database) == before
    assert_no_phone_number_stored(site)
