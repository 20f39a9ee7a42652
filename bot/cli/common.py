"""What every ``bot`` command shares: the Typer app and its global options (the settings of this
invocation), the bot built for them on first use, and printing for a person."""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer
from pydantic import ValidationError

from bot.settings import Settings
from index.errors import BotError, InputError

if TYPE_CHECKING:
    from bot.chain import NewsBot
    from bot.models import Answer

__all__ = ["app", "echo", "end_now", "get_bot", "get_settings", "print_answer", "setting_error", "state"]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="Answer questions about news articles, citing the passage behind every claim.",
)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def echo(text: str = "", err: bool = False) -> None:
    """Print for a person: control characters from article text or titles (terminal escape
    sequences above all) are shown as ``\\x1b``, never sent to the terminal raw."""
    typer.echo(_CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text), err=err)


class _State:
    settings: Settings | None = None
    bot: NewsBot | None = None
    #: set by a command that writes nothing (``ask``): the process may end without the interpreter's teardown
    read_only: bool = False


state = _State()


def get_bot() -> NewsBot:
    """The bot for this invocation's settings, built on first use."""
    if state.bot is None:
        from bot.chain import NewsBot

        state.bot = NewsBot(state.settings)
    return state.bot


def end_now(code: object) -> NoReturn:
    """End the process with exit status ``code`` (as ``sys.exit`` takes it) without tearing the interpreter down:
    freeing Chroma's, LangChain's and onnxruntime's objects module by module took 0.4 s after a question's answer
    was printed, a sixth of a cold ``bot ask``. Only for a command that wrote nothing: the output and the log
    handlers are flushed; nothing else is left to close (the store was only read)."""
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)  # as sys.exit("message") does
        code = 1
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)


def get_settings() -> Settings:
    """This invocation's settings."""
    assert state.settings is not None  # the app's callback reads them before any command runs
    return state.settings


@app.callback()
def _main(
    data_dir: str | None = typer.Option(
        None, "--data-dir", help="Where the index lives. Default: $BOT_DATA_DIR, else ~/.local/share/newsbot."
    ),
    chroma_host: str | None = typer.Option(
        None, "--chroma-host", help="Use a Chroma server instead of the embedded store (env BOT_CHROMA_HOST)."
    ),
    chroma_port: int | None = typer.Option(
        None, "--chroma-port", min=1, max=65535, help="Chroma server port (env BOT_CHROMA_PORT, default 8000)."
    ),
) -> None:
    overrides: dict = {}
    if data_dir is not None:
        # read as text: a Path would make '' the current folder, indistinguishable from '.'
        if not data_dir.strip():
            raise InputError("--data-dir is empty: give a folder, or leave the option out for $BOT_DATA_DIR or the default")
        overrides["data_dir"] = Path(data_dir)
    if chroma_host:
        overrides["chroma_host"] = chroma_host
    if chroma_port is not None:
        overrides["chroma_port"] = chroma_port
    state.bot, state.read_only = None, False  # one bot per invocation, for the settings of this invocation
    try:
        state.settings = Settings(**overrides)
    except ValidationError as exc:
        raise BotError(setting_error(exc)) from None


def setting_error(exc: ValidationError) -> str:
    """The first error of ``exc`` for a person: ``bad setting BOT_X: why``, or, for a rule over several settings
    (a model-level error has no field), ``bad settings: why``, its message naming them."""
    first = exc.errors()[0]
    message = str(first["msg"]).removeprefix("Value error, ")
    if not first["loc"]:
        return f"bad settings: {message}"
    return f"bad setting BOT_{str(first['loc'][0]).upper()}: {message}"


def print_answer(answer: Answer) -> None:
    """The answer for a person: its text, then each source with the passage it quotes."""
    echo(answer.answer)
    if answer.citations:
        echo("\nSources:")
        for c in answer.citations:
            echo(f"[{c.n}] {c.title} ({c.article_id}, characters {c.start}-{c.end}, score {c.score:.2f})")
            for line in c.text.splitlines():
                if line.strip():
                    echo(f"    {line}")
