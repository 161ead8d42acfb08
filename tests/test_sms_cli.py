"""``concord sms``: the kannel.conf group (parsed back as Kannel reads a group, with a secret that is the
database's and that the callback takes), connecting and disconnecting numbers, bad input ending with
one line and exit code 2, and invitations sent through a fake Kannel sendsms server at the pace asked."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
import time
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest
from typer.testing import CliRunner

from concord.cli.app import app as cli
from test_sms_core import PHONE, text

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def concord(*args: str):
    return CliRunner().invoke(cli, [*args], catch_exceptions=False)


def kannel_group(output: str) -> dict[str, str]:
    """A kannel.conf group as Kannel reads it: ``name = value`` lines, ``#`` comments, quoted values."""
    group = {}
    for line in output.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, equals, value = line.partition("=")
        assert equals, f"not a kannel.conf line: {line!r}"
        value = value.strip()
        if value.startswith('"'):
            assert value.endswith('"') and value.count('"') == 2, line
            value = value[1:-1]
        group[name.strip()] = value
    return group


def test_kannel_config_prints_a_service_group_whose_secret_the_callback_takes(site, database_url):
    first = concord("sms", "kannel-config", "--url", "http://127.0.0.1:8000/", "--database", database_url)
    assert first.exit_code == 0, first.output
    group = kannel_group(first.output)
    assert group["group"] == "sms-service" and group["keyword"] == "default"
    assert group["accept-x-kannel-headers"] == "true"
    assert group["max-messages"] == "3" and group["concatenation"] == "true" and group["omit-empty"] == "true"
    url = urlsplit(group["get-url"])
    assert (url.scheme, url.netloc, url.path) == ("http", "127.0.0.1:8000", "/sms/kannel")
    fields = dict(part.split("=", 1) for part in url.query.split("&"))
    assert fields["from"] == "%p" and fields["to"] == "%P" and fields["text"] == "%a"
    assert fields["coding"] == "%c" and fields["charset"] == "%C"
    secret = fields["secret"]
    assert len(secret) == 40
    # The same secret every time for this database, and the one the callback takes.
    again = concord("sms", "kannel-config", "--url", "http://127.0.0.1:8000", "--database", database_url)
    assert kannel_group(again.output)["get-url"] == group["get-url"]
    assert concord("sms", "connect", site.conversation, "2020", "--database", database_url).exit_code == 0
    assert text(site.admin, PHONE, "hello", secret=secret).text.startswith("Welcome")
    assert text(site.admin, PHONE, "hello", secret=secret[:-1] + ("1" if secret[-1] != "1" else "2")).status_code == 403


def test_connect_list_disconnect(site, database_url):
    made = concord("sms", "connect", site.conversation, "+93 700 123-000", "--database", database_url)
    assert made.exit_code == 0 and made.output.startswith(f"+93700123000 → {site.conversation}")
    assert concord("sms", "connect", site.conversation, "2020", "--database", database_url).exit_code == 0
    listed = concord("sms", "list", "--database", database_url)
    assert [line.split("\t")[:2] for line in listed.output.splitlines()] == [
        ["+93700123000", site.conversation],
        ["2020", site.conversation],
    ]
    assert text(site.admin, PHONE, "hello", number="+93700123000").text.startswith("Welcome")
    gone = concord("sms", "disconnect", "0093700123000", "--database", database_url)
    assert gone.exit_code == 0, gone.output
    assert text(site.admin, PHONE, "1", number="+93700123000").text.startswith("This number takes part in no")


def test_a_number_serves_one_conversation(site, database_url):
    other = site.new_conversation()
    assert concord("sms", "connect", site.conversation, "2020", "--database", database_url).exit_code == 0
    taken = CliRunner().invoke(cli, ["sms", "connect", other, "2020", "--database", database_url])
    assert taken.exit_code == 2
    assert "connected to the conversation" in taken.output


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["sms", "connect", "nosuchone", "2020"], "no conversation nosuchone"),
        (["sms", "connect", "{conversation}", "AWCC"], "is not a phone number or short code"),
        (["sms", "disconnect", "5555"], "no conversation is connected to 5555"),
        (["sms", "kannel-config", "--url", "ftp://example.org"], "--url must be this server's address"),
    ],
)
def test_bad_input_ends_with_one_line_and_exit_code_2(site, database_url, args, said):
    args = [arg.format(conversation=site.conversation) for arg in args]
    run = subprocess.run(
        [sys.executable, "-m", "concord", *args, "--database", database_url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2, run.stderr
    assert run.stderr.count("\n") == 1 and said in run.stderr and "Traceback" not in run.stderr


class FakeSendsms(http.server.BaseHTTPRequestHandler):
    """Kannel's sendsms interface as far as Concord uses it: records each message, answers 202."""

    received: ClassVar[list[tuple[float, dict[str, list[str]]]]] = []

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path != "/cgi-bin/sendsms":
            self.send_error(404)
            return
        fields = parse_qs(url.query)
        if fields.get("username") != ["concord"] or fields.get("password") != ["secret"]:
            self.send_response(403)
            self.end_headers()
            self.wfile.write(b"Authorization failed for sendsms")
            return
        self.received.append((time.monotonic(), fields))
        self.send_response(202)
        self.end_headers()
        self.wfile.write(b"0: Accepted for delivery")

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def sendsms():
    FakeSendsms.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeSendsms)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/cgi-bin/sendsms", FakeSendsms.received
    server.shutdown()
    server.server_close()


def test_invitations_go_through_sendsms_at_the_pace_asked_but_not_to_phones_that_stopped(
    site, database_url, sendsms, tmp_path
):
    url, received = sendsms
    conversation = site.new_conversation(language="fa-AF", topic="آب آشامیدنی ولسوالی")
    assert concord("sms", "connect", conversation, "2020", "--database", database_url).exit_code == 0
    text(site.admin, "+93700000001", "سلام")
    text(site.admin, "+93700000001", "STOP")  # not to be texted again
    text(site.admin, "+93700000002", "سلام")  # takes part already
    listed = tmp_path / "phones.txt"
    listed.write_text("+93700000001\n+93700000002\n\n+93 700 000 003\n0093700000004\n+93700000003\n")
    invite = [
        "sms", "invite", conversation, str(listed), "--sendsms", url, "--username", "concord",
        "--password", "secret", "--per-second", "5", "--database", database_url,
    ]  # fmt: skip
    sent = concord(*invite)
    assert sent.exit_code == 0, sent.output
    assert "sent 2 invitations; left out 1 phone that sent STOP and 1 taking part already" in sent.output
    assert [fields["to"] for _, fields in received] == [["+93700000003"], ["+93700000004"]]
    first = received[0][1]
    assert first["from"] == ["2020"] and first["coding"] == ["2"] and first["charset"] == ["UTF-8"]
    assert first["text"][0].startswith("دعوت شده‌اید: آب آشامیدنی ولسوالی")
    assert received[1][0] - received[0][0] >= 0.18  # 5 a second at most
    wrong = CliRunner().invoke(cli, [*invite[:-6], "--password", "wrong", "--database", database_url])
    assert wrong.exit_code == 2 and "Kannel refused the message: 403" in wrong.output
    # The password may come from the environment, out of sight of the process list.
    unlisted = [*invite[:-6], "--database", database_url]
    from_environment = CliRunner().invoke(cli, unlisted, env={"CONCORD_SENDSMS_PASSWORD": "secret"})
    assert from_environment.exit_code == 0, from_environment.output
    assert [fields["to"] for _, fields in received[2:]] == [["+93700000003"], ["+93700000004"]]


def test_an_invitation_list_with_a_line_that_is_no_number_is_refused_whole(site, database_url, sendsms, tmp_path):
    url, received = sendsms
    assert concord("sms", "connect", site.conversation, "2020", "--database", database_url).exit_code == 0
    listed = tmp_path / "phones.txt"
    listed.write_text("+93700000003\nnot a phone\n")
    refused = CliRunner().invoke(
        cli, ["sms", "invite", site.conversation, str(listed), "--sendsms", url, "--database", database_url]
    )
    assert refused.exit_code == 2 and "line 2: not a phone is not a phone number" in refused.output
    assert received == []
