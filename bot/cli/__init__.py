"""The ``bot`` command line. Its commands, flags and JSON fields are a contract: keep them stable.

Errors meant for users (:class:`index.errors.BotError`) become one ``error: …`` line on
stderr and exit status 1; nothing else is caught here.
"""

from __future__ import annotations

import sys

from bot.cli.asking import ask, chat
from bot.cli.common import app, echo, end_now, state
from bot.cli.indexing import articles, ingest, remove, repair
from bot.cli.measures import eval_command, report
from bot.cli.models import models
from bot.cli.serving import serve
from index.errors import BotError

__all__ = ["app", "main"]

# registered here, in the order `bot --help` lists them
for _command in (ingest, repair, remove, ask, articles):
    app.command()(_command)
app.command("eval")(eval_command)
for _command in (report, serve, chat):
    app.command()(_command)
app.add_typer(models, name="models")


def main() -> None:
    """Console-script entry point: user errors become one stderr line and exit 1. A command that wrote nothing
    (``ask``) ends without tearing the interpreter down (:func:`bot.cli.common.end_now`)."""
    try:
        try:
            app()
        except BotError as exc:
            echo(f"error: {exc}", err=True)
            sys.exit(1)
    except SystemExit as done:
        if state.read_only:
            end_now(done.code)
        raise
