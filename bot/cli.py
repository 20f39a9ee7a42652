"""The ``bot`` command line. Its commands, flags and JSON fields are a contract: keep them stable.

Errors meant for users (:class:`index.errors.BotError`) become one ``error: …`` line on
stderr and exit status 1; nothing else is caught here.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Optional

import typer
from pydantic import ValidationError

from index.errors import BotError, InputError
from bot.settings import Settings

__all__ = ["app", "main"]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="Answer questions about news articles, citing the passage behind every claim.",
)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _echo(text: str = "", err: bool = False) -> None:
    """Print for a person: control characters from article text or titles (terminal escape
    sequences above all) are shown as ``\\x1b``, never sent to the terminal raw."""
    typer.echo(_CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text), err=err)


class _State:
    settings: Settings | None = None
    bot = None


state = _State()


def _bot():
    if state.bot is None:
        from bot.chain import NewsBot

        state.bot = NewsBot(state.settings)
    return state.bot


@app.callback()
def _main(
    data_dir: Optional[Path] = typer.Option(
        None, "--data-dir", help="Where the index lives. Default: $BOT_DATA_DIR, else ~/.local/share/newsbot."
    ),
    chroma_host: Optional[str] = typer.Option(
        None, "--chroma-host", help="Use a Chroma server instead of the embedded store (env BOT_CHROMA_HOST)."
    ),
    chroma_port: Optional[int] = typer.Option(None, "--chroma-port", help="Chroma server port (env BOT_CHROMA_PORT, default 8000)."),
) -> None:
    overrides: dict = {"data_dir": data_dir} if data_dir else {}
    if chroma_host:
        overrides["chroma_host"] = chroma_host
    if chroma_port:
        overrides["chroma_port"] = chroma_port
    state.bot = None  # one bot per invocation, for the settings of this invocation
    try:
        state.settings = Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise BotError(f"bad setting BOT_{field.upper()}: {message}") from None


@app.command()
def ingest(
    sources: list[str] = typer.Argument(..., help="Article files (.txt, .md), JSONL files of records, folders of them, or http(s) URLs."),
    article_id: Optional[str] = typer.Option(None, "--id", help="Article id (one article only). Default: the file's stem."),
    title: Optional[str] = typer.Option(None, "--title", help="Title (one article only). Default: metadata, heading or file name."),
) -> None:
    """Store articles in the index; unchanged articles are skipped, changed ones replaced."""
    from index.sources import load_sources

    # read and check everything before storing anything
    articles = load_sources(sources, article_id, title, max_bytes=state.settings.max_article_bytes)
    results = _bot().ingest_many(articles, progress=len(articles) > 1 and sys.stderr.isatty())
    if len(results) <= 20:
        for r in results:
            _echo(f"{r.status} {r.article_id}: {r.chunks} passages, {r.sentences} sentences ({r.title})")
    else:
        counts = {status: sum(r.status == status for r in results) for status in ("added", "updated", "unchanged")}
        _echo(f"{len(results)} articles: {counts['added']} added, {counts['updated']} updated, {counts['unchanged']} unchanged")


@app.command()
def repair() -> None:
    """Make the store consistent after a crash: finish or undo interrupted writes, drop passages
    that belong to no article, and index again any article whose passages are incomplete."""
    report = _bot().repair()
    _echo(
        f"repaired: {report.markers} interrupted write(s) cleaned up, {report.removed} leftover record(s) removed, "
        f"{len(report.reindexed)} article(s) indexed again" + (f" ({', '.join(report.reindexed)})" if report.reindexed else "")
    )


@app.command()
def remove(article_id: str = typer.Argument(..., help="The id of the article to delete (see `bot articles`).")) -> None:
    """Delete an article and all its passages."""
    _bot().remove(article_id)
    _echo(f"removed {article_id}")


def _print_answer(answer) -> None:
    _echo(answer.answer)
    if answer.citations:
        _echo("\nSources:")
        for c in answer.citations:
            _echo(f"[{c.n}] {c.title} ({c.article_id}, characters {c.start}-{c.end}, score {c.score:.2f})")
            for line in c.text.splitlines():
                if line.strip():
                    _echo(f"    {line}")


def _batch(path: Path, article: str | None = None) -> int:
    from index.loader import json_object

    bot = _bot()
    bot.require(article)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
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
        _echo(f"error: {failures} of the batch's questions failed; see their \"error\" fields", err=True)
    return 1 if failures else 0


@app.command()
def ask(
    question: Optional[str] = typer.Argument(None, help="The question."),
    history: list[str] = typer.Option([], "--history", help="An earlier question in the conversation (repeat, oldest first)."),
    as_json: bool = typer.Option(False, "--json", help="Print the answer as JSON."),
    batch: Optional[Path] = typer.Option(None, "--batch", help="A JSONL file of {id, question, history}; one answer line each."),
    article: Optional[str] = typer.Option(None, "--article", help="Answer only from this article (id); default: all."),
) -> None:
    """Answer a question (or a batch of them) from the indexed articles."""
    if batch is not None:
        if question:
            raise InputError("give either a QUESTION or --batch FILE, not both")
        if not as_json:
            raise InputError("--batch writes JSON lines: add --json")
        raise typer.Exit(_batch(batch, article))
    answer = _bot().ask(question or "", history, article)
    if as_json:
        typer.echo(json.dumps(answer.as_json(), ensure_ascii=False))
    else:
        _print_answer(answer)


@app.command()
def articles(as_json: bool = typer.Option(False, "--json", help="Print a JSON list.")) -> None:
    """List the indexed articles (with --json, each with its suggested questions)."""
    rows = _bot().articles() if as_json else _bot().store.articles()  # the plain list needs no suggestions
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        _echo("no articles yet: run `bot ingest PATH`")
    for row in rows:
        _echo(f"{row['id']}\t{row.get('chunks', '?')} passages\t{row['title']}" + (f"\t{row['url']}" if row.get("url") else ""))


@app.command("eval")
def eval_command(
    file: Path = typer.Argument(..., help="A dev.jsonl-style file, a SQuAD 2.0 JSON file, or a folder of news articles with questions."),
    articles_spec: Optional[str] = typer.Option(None, "--articles", help="SQuAD articles to use, e.g. 1-6 (default: all)."),
    article: list[Path] = typer.Option([], "--article", help="Article file(s) a .jsonl file is asked against (default: the bundled ones)."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
    compare: bool = typer.Option(False, "--compare", help="Also run dense-only and BM25-only ablations."),
    threshold: Optional[float] = typer.Option(None, "--threshold", min=0.0, max=1.0, help="Override BOT_REFUSAL_THRESHOLD."),
    part: Optional[str] = typer.Option(None, "--part", help="A folder's fit or check articles (its split.json)."),
    answerer: Optional[str] = typer.Option(
        None, "--answerer", help="extractive, local, openai or ollama (default: BOT_ANSWERER); an LLM adds the share of "
        "its sentences the grounding guard kept and of extractive fallbacks."),
) -> None:
    """Measure answer quality: each article indexed on its own, every question asked."""
    from bot.evaluate import by_kind, evaluate, kind_figures, load_eval_set, table

    if part not in (None, "fit", "check"):
        raise InputError(f"--part {part!r}: use fit or check")
    if answerer not in (None, "extractive", "local", "openai", "ollama"):
        raise InputError(f"--answerer {answerer!r}: use extractive, local, openai or ollama")
    sets = load_eval_set(file, articles_spec, list(article) or None, part)
    base = state.settings.model_copy(update={"refusal_threshold": threshold} if threshold is not None else {})
    if answerer:
        base = base.model_copy(update={"answerer": answerer})
    runs = [("hybrid", "hybrid")] + ([("dense only", "dense"), ("BM25 only", "bm25")] if compare else [])
    outcome = evaluate(sets, {name: base.model_copy(update={"retrieval": mode}) for name, mode in runs})
    results = [figures for figures, _ in outcome.values()]
    if as_json:
        from dataclasses import asdict

        kinds = kind_figures(next(iter(outcome.values()))[1])
        first = {**asdict(results[0]), **({"by_kind": kinds} if kinds else {})}
        typer.echo(json.dumps([first, *(asdict(f) for f in results[1:])] if compare else first, indent=2))
    else:
        kinds = by_kind(next(iter(outcome.values()))[1])
        _echo(table(results) + (f"\n\nper kind ({results[0].name}):\n\n{kinds}" if kinds else ""))


@app.command()
def report(
    article: Optional[str] = typer.Option(None, "--article", help="Only questions asked about (or answered from) this article id."),
    since: Optional[str] = typer.Option(None, "--since", help="Only questions asked on or after this day (YYYY-MM-DD, UTC)."),
    csv_file: Optional[Path] = typer.Option(None, "--csv", help="Also write one row per article and day to this CSV file."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """The editors' report from the question log: questions per article and day, the most disliked
    answers, and what readers asked that the article didn't answer (refused questions, grouped)."""
    from bot.logbook.report import build_report, parse_day

    day = parse_day(since)
    bot = _bot()
    book = bot.logbook
    try:
        rows = book.rows(article=article, since=day)
    finally:
        book.close()
    if not rows:
        scope = (f" about {article}" if article else "") + (f" since {day.isoformat()}" if day else "")
        _echo(f"no questions logged{scope} yet: they are logged as readers ask (BOT_LOG_QUESTIONS)")
        return
    result = build_report(rows, bot.embeddings, article=article, since=day)
    if csv_file is not None:
        try:
            result.write_csv(csv_file)
        except OSError as exc:
            raise InputError(f"cannot write {csv_file}: {exc.strerror}") from None
    if as_json:
        typer.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
    else:
        _echo(result.text())
    if csv_file is not None:
        _echo(f"wrote {len(result.days)} rows (one per article and day) to {csv_file}", err=as_json)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind; 0.0.0.0 exposes the bot to the network."),
    port: int = typer.Option(7860, "--port", min=1, max=65535, help="TCP port."),
) -> None:
    """Serve the web chat (/), the embeddable chat (/embed) and the API (/api, /v1, /docs)."""
    import uvicorn

    bot = _bot()
    if bot.store.recover(wait=False):  # a writer busy now recovers by itself
        _echo("cleaned up after an interrupted ingest")
    if bot.store.count() == 0:
        for result in bot.ingest_bundled():
            _echo(f"{result.status} {result.article_id}: {result.chunks} passages ({result.title})")
    from app import create_app

    bot.warm_up()
    web = create_app(bot)
    bot.logbook.engine  # connects, migrates and imports an old feedback.jsonl now: a wrong BOT_DATABASE_URL stops here
    shown = "localhost" if host in {"127.0.0.1", "0.0.0.0", "::"} else host
    _echo(f"newsbot is serving {bot.store.count()} article(s) at http://{shown}:{port}/  (API docs: /docs; Ctrl-C stops)")
    try:
        uvicorn.run(web, host=host, port=port, log_level="warning")
    except OSError as exc:
        raise BotError(f"cannot listen on {host}:{port}: {exc.strerror}; pick another --port") from None


@app.command()
def chat() -> None:
    """Chat in the terminal (ingests the bundled article if the index is empty)."""
    bot = _bot()
    if bot.store.count() == 0:
        for result in bot.ingest_bundled():
            _echo(f"{result.status} {result.article_id}")
    _echo("Ask about the article; an empty line or Ctrl-D quits.")
    history: list[str] = []
    while True:
        try:
            question = input("\n> ").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if not question:
            break
        try:
            _print_answer(bot.ask(question, history))
            history.append(question)
        except BotError as exc:
            _echo(f"error: {exc}", err=True)


def main() -> None:
    """Console-script entry point: user errors become one stderr line and exit 1."""
    try:
        app()
    except BotError as exc:
        _echo(f"error: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
