"""``concord serve`` and the operator's commands around it: accounts, imports and exports."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from concord.cli.errors import run_safely

DATABASE_HELP = "Database URL (default: $CONCORD_DATABASE_URL, else sqlite:///concord.db in this folder)."


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (0.0.0.0 for every interface)."),
    port: int = typer.Option(8000, help="Port to listen on."),
    database: str | None = typer.Option(None, help=DATABASE_HELP),
    demo: bool = typer.Option(True, "--demo/--no-demo", help="On an empty database, create the demo conversation."),
    secure_cookies: bool = typer.Option(False, help="Mark cookies Secure (when served over HTTPS)."),
    workers: int = typer.Option(
        1,
        min=1,
        max=64,
        help="Server processes on this machine, sharing the port (PostgreSQL only).",
    ),
    forwarded_allow_ips: str = typer.Option(
        "127.0.0.1",
        help="Addresses of the reverse proxies whose X-Forwarded-For names the client (comma-separated, or *).",
    ),
) -> None:
    """Run the server: the web app and the JSON API (described at /openapi.json), with live analysis."""
    run_safely(_serve, host, port, database, demo, secure_cookies, workers, forwarded_allow_ips)


def _serve(
    host: str, port: int, database: str | None, demo: bool, secure_cookies: bool, workers: int, proxies: str
) -> None:
    import gc
    import json
    import os

    import uvicorn
    from sqlalchemy.engine import make_url

    from concord.service.demo import ensure_demo
    from concord.service.errors import Invalid
    from concord.service.live_analysis import LiveAnalysis
    from concord.store.database import database_url
    from concord.web.app import SERVE_SETTINGS, create_app

    url = database_url(database)
    if workers > 1 and make_url(url).get_backend_name() != "postgresql":
        raise Invalid("--workers needs PostgreSQL: on SQLite one process (the default) stores votes fastest")
    sessions = _sessions(database)  # migrated once, before any worker starts
    if demo and (created := ensure_demo(sessions)) is not None:
        print("created the demo conversation (a real Pol.is export, CC BY 4.0); analysing it …", file=sys.stderr)
        LiveAnalysis(sessions).analyse_now(created)
    sessions.kw["bind"].dispose()
    print(f"Concord on http://{host}:{port}/  (database: {_without_password(url)})", file=sys.stderr)
    # No access log: it would write participants' IP addresses, which Concord never keeps. On SIGTERM
    # the server stops listening, finishes the requests it has (votes in the intake are stored and
    # answered) for up to 30 s, then stops the analysis.
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "access_log": False,
        "log_level": "warning",
        "timeout_graceful_shutdown": 30,
        "forwarded_allow_ips": proxies,
    }
    if workers > 1:  # each worker builds its app from these settings (uvicorn starts them by name)
        os.environ[SERVE_SETTINGS] = json.dumps({"database": url, "secure_cookies": secure_cookies})
        uvicorn.run("concord.web.app:app_from_environment", factory=True, workers=workers, **options)
        return
    app = create_app(url, secure_cookies=secure_cookies, analysis_process=True)
    # Everything loaded so far lives as long as the server: freezing it keeps the garbage collector's
    # full passes (which otherwise walk every imported object) short, so they do not stall requests.
    gc.collect()
    gc.freeze()
    uvicorn.run(app, **options)


def _without_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _sessions(database: str | None):
    from concord.store.database import migrate, open_database, session_factory

    engine = open_database(database)
    migrate(engine)
    return session_factory(engine)


def add_user(
    username: str = typer.Argument(..., help="Login name."),
    admin: bool = typer.Option(False, "--admin", help="Administrator: may create top-level spaces and act everywhere."),
    space: str | None = typer.Option(None, help="Also make the user moderator of this space path, e.g. /afghanistan."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input."),
    database: str | None = typer.Option(None, help=DATABASE_HELP),
) -> None:
    """Create a moderator account (the password is asked for, hashed with Argon2id)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    run_safely(_add_user, username, password, admin, space, database)


def _add_user(username: str, password: str, admin: bool, space: str | None, database: str | None) -> None:
    from concord.service import spaces
    from concord.service.accounts import moderators as accounts

    with _sessions(database).begin() as session:
        user = accounts.create_user(session, username, password, is_admin=admin)
        if space:
            accounts.grant(session, user, spaces.space_by_path(session, space))
    role = "administrator" if admin else "user"
    print(f"created {role} {username}" + (f", moderator of {space}" if space else ""))


def grant_role(
    username: str = typer.Argument(...),
    space: str = typer.Argument(..., help="Space path, e.g. /afghanistan/herat."),
    database: str | None = typer.Option(None, help=DATABASE_HELP),
) -> None:
    """Make a user moderator of a space (and of every space below it)."""
    run_safely(_grant, username, space, database)


def _grant(username: str, space: str, database: str | None) -> None:
    from concord.service import spaces
    from concord.service.accounts import moderators as accounts

    with _sessions(database).begin() as session:
        accounts.grant(session, accounts.find_user(session, username), spaces.space_by_path(session, space))
    print(f"{username} now moderates {space}")


def add_space(
    path: str = typer.Argument(..., help="Where the space goes, e.g. /afghanistan/herat (its parent must exist)."),
    name: str = typer.Option(..., help="The space's name as people read it, e.g. Herat."),
    language: str = typer.Option("en", help="Its main language tag, e.g. fa-AF (Dari) or ps (Pashto)."),
    description: str = typer.Option("", help="What the space is for."),
    database: str | None = typer.Option(None, help=DATABASE_HELP),
) -> None:
    """Create a space (a country, province, district, city, cooperative …) as the operator."""
    run_safely(_add_space, path, name, language, description, database)


def _add_space(path: str, name: str, language: str, description: str, database: str | None) -> None:
    from concord.service.accounts.moderators import system_actor
    from concord.service.errors import Invalid
    from concord.service.spaces import create_space

    parent, _, slug = path.strip().rstrip("/").rpartition("/")
    if not slug:
        raise Invalid(f"{path!r} names no space: give a path such as /afghanistan or /afghanistan/herat")
    with _sessions(database).begin() as session:
        space = create_space(
            session,
            system_actor(),
            parent_path=parent or None,
            slug=slug,
            name=name,
            language=language,
            description=description,
        )
        print(f"created the space {space.path} ({space.name})")


def import_conversation(
    folder: Path = typer.Argument(..., help="A Pol.is export folder."),
    space: str = typer.Option(..., help="Space path to import into, e.g. /demo."),
    topic: str | None = typer.Option(None, help="Topic (default: the export's)."),
    database: str | None = typer.Option(None, help=DATABASE_HELP),
) -> None:
    """Import a Pol.is export as a new conversation."""
    run_safely(_import, folder, space, topic, database)


def _import(folder: Path, space: str, topic: str | None, database: str | None) -> None:
    from concord.service.accounts.moderators import system_actor
    from concord.service.conversations.exchange import import_polis_folder
    from concord.service.errors import NotFound
    from concord.service.live_analysis import LiveAnalysis
    from concord.service.spaces import space_by_path

    sessions = _sessions(database)
    with sessions.begin() as session:
        try:
            target = space_by_path(session, space)
        except NotFound as missing:
            raise NotFound(f"{missing}: create it first with `concord space add {space} --name NAME`") from None
        imported = import_polis_folder(session, system_actor(), target, folder, topic)
        conversation_id, public_id = imported.conversation.id, imported.conversation.public_id
    LiveAnalysis(sessions).analyse_now(conversation_id)
    print(
        f"imported {imported.participants:,} participants, {imported.statements:,} statements and "
        f"{imported.vote_events:,} vote events as conversation {public_id}"
    )


def export_conversation(
    conversation: str = typer.Argument(..., help="Conversation id (as in its link)."),
    folder: Path = typer.Argument(..., help="Folder to write the export to."),
    database: str | None = typer.Option(None, help=DATABASE_HELP),
) -> None:
    """Export a conversation in Pol.is format (plus conversation.json)."""
    run_safely(_export, conversation, folder, database)


def _export(conversation: str, folder: Path, database: str | None) -> None:
    from concord.service.conversations.exchange import export_polis_folder
    from concord.service.conversations.lifecycle import conversation_by_public_id
    from concord.store.database import read_snapshot

    with _sessions(database).begin() as session:
        read_snapshot(session)
        names = export_polis_folder(session, conversation_by_public_id(session, conversation), folder)
    print(f"wrote {', '.join(names)} to {folder}")


def export_translations(
    conversation: str = typer.Argument(..., help="Conversation id (as in its link)."),
    language: str = typer.Argument(..., help="The language to translate into, e.g. fa-AF (Dari) or ps (Pashto)."),
    file: Path = typer.Argument(..., help="The PO file to write, e.g. herat.ps.po."),
    database: str | None = typer.Option(None, help=DATABASE_HELP),
) -> None:
    """Write the texts to translate into LANGUAGE as a gettext PO file (Poedit, Weblate … read it)."""
    run_safely(_export_translations, conversation, language, file, database)


def _export_translations(conversation: str, language: str, file: Path, database: str | None) -> None:
    from concord.service.conversations.lifecycle import conversation_by_public_id
    from concord.service.spaces import validate_language
    from concord.service.translations.files import po_entries, po_file

    with _sessions(database).begin() as session:
        found = conversation_by_public_id(session, conversation)
        data = po_file(session, found, language)
        entries = po_entries(session, found, validate_language(language))
    file.write_bytes(data)
    done = sum(1 for entry in entries if entry.translation)
    print(f"wrote {len(entries):,} texts to translate ({done:,} translated already) to {file}")


def import_translations(
    conversation: str = typer.Argument(..., help="Conversation id (as in its link)."),
    language: str = typer.Argument(..., help="The language the file translates into, e.g. ps."),
    file: Path = typer.Argument(..., help="The translated PO file."),
    database: str | None = typer.Option(None, help=DATABASE_HELP),
) -> None:
    """Store the translations of a PO file, all or none (a line that cannot be stored is named)."""
    run_safely(_import_translations, conversation, language, file, database)


def _import_translations(conversation: str, language: str, file: Path, database: str | None) -> None:
    from concord.service.accounts.moderators import system_actor
    from concord.service.conversations.lifecycle import conversation_by_public_id
    from concord.service.translations.files import import_po

    data = file.read_bytes()
    with _sessions(database).begin() as session:
        found = conversation_by_public_id(session, conversation)
        outcome = import_po(session, system_actor(), found, language, data, str(file))
    stored = f"{outcome.stored:,} translation{'' if outcome.stored == 1 else 's'}"
    print(
        f"stored {stored}; {outcome.unchanged:,} unchanged, {outcome.untranslated:,} left empty, "
        f"{outcome.fuzzy:,} marked fuzzy (not stored)"
    )
    if outcome.stale:
        lines = ", ".join(str(line) for line in outcome.stale)
        print(f"left out: the entries on lines {lines} translate texts that changed since the file was made")


def translation_coverage(
    conversation: str = typer.Argument(..., help="Conversation id (as in its link)."),
    database: str | None = typer.Option(None, help=DATABASE_HELP),
) -> None:
    """How much of the conversation readers of each language can read in it."""
    run_safely(_coverage, conversation, database)


def _coverage(conversation: str, database: str | None) -> None:
    from concord.languages import language_name
    from concord.service.conversations.lifecycle import conversation_by_public_id
    from concord.service.translations.texts import coverage, reading_languages, translatable
    from concord.web.i18n import LANGUAGES

    with _sessions(database).begin() as session:
        found = conversation_by_public_id(session, conversation)
        languages = reading_languages(session, found, [language.tag for language in LANGUAGES.values()])
        rows = coverage(session, found, languages, translatable(session, found))
    for row in rows:
        description = "" if row.description is None else f", description {'yes' if row.description else 'no'}"
        print(
            f"{language_name(row.language)} ({row.language}): {row.statements:,} of {row.of:,} statements, "
            f"topic {'yes' if row.topic else 'no'}{description}, {row.pending:,} waiting for a moderator"
        )


def backup_database(
    file: Path = typer.Argument(..., help="The backup to write (it must not exist)."),
    database: str | None = typer.Option(None, help=DATABASE_HELP),
) -> None:
    """Back up the database while servers run: SQLite's online backup, or pg_dump for PostgreSQL."""
    from concord.store.backups import backup
    from concord.store.database import database_url

    print(run_safely(backup, database_url(database), file))


def restore_database(
    file: Path = typer.Argument(..., help="A backup made by `concord backup`."),
    database: str | None = typer.Option(None, help=DATABASE_HELP + " It must be empty."),
) -> None:
    """Restore a backup into an empty database (a new SQLite file, or a new PostgreSQL database), then
    migrate it."""
    from concord.store.backups import restore
    from concord.store.database import database_url

    print(run_safely(restore, database_url(database), file))


def migrate_database(database: str | None = typer.Option(None, help=DATABASE_HELP)) -> None:
    """Bring the database's schema up to this version of Concord (`concord serve` does it too, at start)."""
    run_safely(_migrate, database)


def _migrate(database: str | None) -> None:
    from concord.store.database import migrate, open_database, schema_revision

    engine = open_database(database)
    try:
        before = schema_revision(engine)
        migrate(engine)
        after = schema_revision(engine)
    finally:
        engine.dispose()
    was = "already" if before == after else f"(it was {'empty' if before is None else 'at ' + before})"
    print(f"the database is at revision {after} {was}")
