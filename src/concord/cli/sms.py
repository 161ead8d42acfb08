"""``concord sms``: taking part by SMS through a gateway (Kannel). The gateway's configuration, which
numbers serve which conversation, and invitations texted to a convener's list of phones."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import typer

from concord.cli.errors import run_safely
from concord.cli.server import DATABASE_HELP

if TYPE_CHECKING:
    from concord.service.runtime import Runtime

app = typer.Typer(help="Taking part by SMS, through an SMS gateway (Kannel).", no_args_is_help=True)


@contextmanager
def _runtime(database: str | None) -> Iterator[Runtime]:
    from concord.service.startup import open_runtime

    runtime = open_runtime(database)
    try:
        yield runtime
    finally:
        runtime.close()


@app.command("kannel-config")
def kannel_config(
    url: str = typer.Option(
        ..., "--url", help="This server's address as Kannel reaches it, e.g. http://127.0.0.1:8000"
    ),
    database: str | None = typer.Option(None, help=DATABASE_HELP),
) -> None:
    """Print the sms-service group for kannel.conf that sends every incoming SMS to this server."""
    run_safely(_kannel_config, url, database)


def _kannel_config(url: str, database: str | None) -> None:
    from concord.service.errors import Invalid
    from concord.service.sms.numbers import kannel_secret
    from concord.sms.kannel import service_group

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise Invalid(f"--url must be this server's address, such as http://127.0.0.1:8000, not {url!r}")
    with _runtime(database) as runtime:
        secret = kannel_secret(runtime)
    print(service_group(url, secret), end="")


@app.command("connect")
def connect(
    conversation: str = typer.Argument(..., help="Conversation id (as in its link)."),
    number: str = typer.Argument(..., help="The short code or long number phones text, e.g. 2020 or +93700123456."),
    database: str | None = typer.Option(None, help=DATABASE_HELP),
) -> None:
    """Texts to NUMBER take part in CONVERSATION from now on."""
    run_safely(_connect, conversation, number, database)


def _connect(conversation: str, number: str, database: str | None) -> None:
    from concord.service.sms.numbers import connect as connect_number

    with _runtime(database) as runtime:
        record = connect_number(runtime, conversation, number)
    print(f"{record.number} → {record.conversation} ({record.topic})")


@app.command("disconnect")
def disconnect(
    number: str = typer.Argument(..., help="The number to disconnect."),
    database: str | None = typer.Option(None, help=DATABASE_HELP),
) -> None:
    """Texts to NUMBER no longer reach its conversation (its phones' votes stay)."""
    run_safely(_disconnect, number, database)


def _disconnect(number: str, database: str | None) -> None:
    from concord.service.sms.numbers import disconnect as disconnect_number

    with _runtime(database) as runtime:
        record = disconnect_number(runtime, number)
    print(f"{record.number} disconnected from {record.conversation}")


@app.command("list")
def list_numbers(database: str | None = typer.Option(None, help=DATABASE_HELP)) -> None:
    """The numbers connected, each with its conversation."""
    run_safely(_list, database)


def _list(database: str | None) -> None:
    from concord.service.sms.numbers import connected

    with _runtime(database) as runtime:
        records = connected(runtime)
    for record in records:
        print(f"{record.number}\t{record.conversation}\t{record.topic}")


@app.command("invite")
def invite(
    conversation: str = typer.Argument(..., help="Conversation id (as in its link)."),
    file: Path = typer.Argument(..., help="The phones to invite, one number a line."),
    sendsms: str = typer.Option(
        ..., "--sendsms", help="Kannel's sendsms URL, e.g. http://127.0.0.1:13013/cgi-bin/sendsms"
    ),
    username: str = typer.Option("", help="Kannel's sendsms-user username."),
    password: str = typer.Option(
        "",
        envvar="CONCORD_SENDSMS_PASSWORD",
        help="Kannel's sendsms-user password; better given in CONCORD_SENDSMS_PASSWORD, since every user "
        "of the machine can read a command line.",
    ),
    sender: str | None = typer.Option(
        None, "--from", help="The number invitations come from (default: the conversation's)."
    ),
    per_second: float = typer.Option(1.0, min=0.01, max=100.0, help="Invitations sent per second at most."),
    database: str | None = typer.Option(None, help=DATABASE_HELP),
) -> None:
    """Text an invitation to every phone of FILE, but those that sent STOP or take part already."""
    run_safely(_invite, conversation, file, sendsms, username, password, sender, per_second, database)


def _invite(
    conversation: str,
    file: Path,
    sendsms: str,
    username: str,
    password: str,
    sender: str | None,
    per_second: float,
    database: str | None,
) -> None:
    from concord.service.errors import Invalid
    from concord.service.sms.invitations import invitations
    from concord.sms.gateway import GatewayError
    from concord.sms.kannel import KannelGateway
    from concord.sms.texts import invitation_text
    from concord.web.i18n import translations

    phones = file.read_text(encoding="utf-8").splitlines()
    with _runtime(database) as runtime:
        chosen = invitations(runtime, conversation, phones)
    gateway = KannelGateway(sendsms, username=username, password=password, sender=sender or chosen.number)
    text = invitation_text(chosen.topic, chosen.language, translations)
    sent, pause, due = 0, 1.0 / per_second, time.monotonic()
    for phone in chosen.phones:
        time.sleep(max(0.0, due - time.monotonic()))  # at most per_second invitations a second
        due = time.monotonic() + pause
        try:
            gateway.send(phone, text)
        except GatewayError as error:
            raise Invalid(f"sent {sent:,} of {len(chosen.phones):,} invitations, then: {error}") from None
        sent += 1
    print(
        f"sent {_phones(sent, 'invitation')}; left out {_phones(chosen.stopped, 'phone')} that sent STOP "
        f"and {chosen.taking_part:,} taking part already"
    )


def _phones(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"
