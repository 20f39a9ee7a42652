"""The commands that ask: ``ask`` (one question, or a JSONL batch of them) and ``chat`` (in the terminal)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from bot.cli.common import echo, get_bot, print_answer, state
from index.errors import BotError, InputError

__all__ = ["ask", "chat"]


def _batch(path: Path, article: str | None = None) -> int:
    from index.loader import json_object, regular_file

    bot = get_bot()
    bot.require(article)
    regular_file(path, InputError)  # a pipe would wait for a writer forever
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()  # a byte-order mark first is no part of line 1
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read as UTF-8 text ({exc})") from None
    failures = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        item_id = None
        try:
            try:
                item = json_object(line, 'an object with a "question"')
            except ValueError as exc:
                raise InputError(f"line {number}: {exc}") from None
            item_id = item.get("id")
            history = item.get("history") or []
            if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
                raise InputError(f"line {number}: \"history\" must be a list of strings")
            if "question" not in item:
                raise InputError(f'line {number}: no "question" in the object')
            answer = bot.ask(item["question"], history, item.get("article") or article)
            typer.echo(json.dumps(answer.as_json(id=item_id), ensure_ascii=False))
        except BotError as exc:
            failures += 1
            typer.echo(json.dumps({"id": item_id, "error": str(exc)}, ensure_ascii=False))
    if failures:
        echo(f"error: {failures} of the batch's questions failed; see their \"error\" fields", err=True)
    return 1 if failures else 0


def ask(
    question: str | None = typer.Argument(None, help="The question."),
    history: list[str] = typer.Option([], "--history", help="An earlier question in the conversation (repeat, oldest first)."),
    as_json: bool = typer.Option(False, "--json", help="Print the answer as JSON."),
    batch: Path | None = typer.Option(None, "--batch", help="A JSONL file of {id, question, history}; one answer line each."),
    article: str | None = typer.Option(None, "--article", help="Answer only from this article (id); default: all."),
) -> None:
    """Answer a question (or a batch of them) from the indexed articles."""
    state.read_only = True
    if batch is not None:
        if question:
            raise InputError("give either a QUESTION or --batch FILE, not both")
        if not as_json:
            raise InputError("--batch writes JSON lines: add --json")
        raise typer.Exit(_batch(batch, article))
    answer = get_bot().ask(question or "", history, article)
    if as_json:
        typer.echo(json.dumps(answer.as_json(), ensure_ascii=False))
    else:
        print_answer(answer)


def chat() -> None:
    """Chat in the terminal (ingests the bundled article if the index is empty)."""
    bot = get_bot()
    if bot.count() == 0:
        for result in bot.ingest_bundled():
            echo(f"{result.status} {result.article_id}")
    echo("Ask about the article; an empty line or Ctrl-D quits.")
    history: list[str] = []
    while True:
        try:
            question = input("\n> ").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if not question:
            break
        try:
            print_answer(bot.ask(question, history))
            history.append(question)
        except BotError as exc:
            echo(f"error: {exc}", err=True)
