"""The ``concord`` command. Thin: parse options, call formats/engine/service, print.

Heavy modules (numpy, scipy, pyarrow, the server) are imported inside commands, so ``concord --help``
and small analyses start fast.
"""

from __future__ import annotations

import typer

from concord.cli import analysis, budgets, decisions, ledger, server, sms

app = typer.Typer(
    help="Concord: inclusive, decentralized collective decisions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(analysis.analyze)
app.command()(analysis.synth)
app.command()(decisions.decide)
app.command()(budgets.budget)
app.command()(server.serve)
app.command("import")(server.import_conversation)
app.command("export")(server.export_conversation)
app.command("backup")(server.backup_database)
app.command("restore")(server.restore_database)
app.command("migrate")(server.migrate_database)
app.command()(ledger.verify)
app.command()(ledger.witness)
spaces = typer.Typer(
    help="Spaces: where conversations happen, nested country → province → district.", no_args_is_help=True
)
spaces.command("add")(server.add_space)
app.add_typer(spaces, name="space")
users = typer.Typer(help="Moderator and administrator accounts.", no_args_is_help=True)
users.command("add")(server.add_user)
users.command("grant")(server.grant_role)
app.add_typer(users, name="user")
texts = typer.Typer(
    help="Translations of a conversation's statements, topic and description, as gettext PO files.",
    no_args_is_help=True,
)
texts.command("export")(server.export_translations)
texts.command("import")(server.import_translations)
texts.command("coverage")(server.translation_coverage)
app.add_typer(texts, name="translations")
app.add_typer(sms.app, name="sms")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
