"""The commands that measure: ``eval`` (answer quality on a question set) and ``report`` (the editors'
report from the question log)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from bot.backends import NAMES, names_text
from bot.cli.common import echo, get_bot, get_settings
from index.errors import InputError

__all__ = ["eval_command", "report"]


def eval_command(
    file: Path = typer.Argument(..., help="A dev.jsonl-style file, a SQuAD 2.0 JSON file, or a folder of news articles with questions."),
    articles_spec: str | None = typer.Option(None, "--articles", help="SQuAD articles to use, e.g. 1-6 (default: all)."),
    article: list[Path] = typer.Option([], "--article", help="Article file(s) a .jsonl file is asked against (default: the bundled ones)."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
    compare: bool = typer.Option(False, "--compare", help="Also run dense-only and BM25-only ablations."),
    threshold: float | None = typer.Option(None, "--threshold", min=0.0, max=1.0, help="Override BOT_REFUSAL_THRESHOLD."),
    part: str | None = typer.Option(None, "--part", help="A folder's fit or check articles (its split.json)."),
    answerer: str | None = typer.Option(
        None, "--answerer", help=f"{names_text()} (default: BOT_ANSWERER); an LLM adds the share of "
        "its sentences the grounding guard kept and of extractive fallbacks."),
) -> None:
    """Measure answer quality: each article indexed on its own, every question asked."""
    from bot.evaluate import by_kind, evaluate, kind_figures, load_eval_set, table

    if part not in (None, "fit", "check"):
        raise InputError(f"--part {part!r}: use fit or check")
    if answerer is not None and answerer not in NAMES:
        raise InputError(f"--answerer {answerer!r}: use {names_text()}")
    sets = load_eval_set(file, articles_spec, list(article) or None, part)
    base = get_settings().model_copy(update={"refusal_threshold": threshold} if threshold is not None else {})
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
        per_kind = by_kind(next(iter(outcome.values()))[1])
        echo(table(results) + (f"\n\nper kind ({results[0].name}):\n\n{per_kind}" if per_kind else ""))


def report(
    article: str | None = typer.Option(None, "--article", help="Only questions asked about (or answered from) this article id."),
    since: str | None = typer.Option(None, "--since", help="Only questions asked on or after this day (YYYY-MM-DD, UTC)."),
    csv_file: Path | None = typer.Option(None, "--csv", help="Also write one row per article and day to this CSV file."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """The editors' report from the question log: questions per article and day, the most disliked
    answers, and what readers asked that the article didn't answer (refused questions, grouped)."""
    from bot.logbook import Logbook
    from bot.logbook.report import build_report, parse_day
    from bot.logbook.report_text import render

    day = parse_day(since)
    bot = get_bot()
    book = Logbook(bot.settings)  # its own connection, closed once the rows are read
    try:
        rows = book.rows(article=article, since=day)
    finally:
        book.close()
    # an empty log is still a report, so that --json and --csv stay parseable: zero counts, empty lists, the header
    result = build_report(rows, bot.embeddings, article=article, since=day)
    if csv_file is not None:
        try:
            result.write_csv(csv_file)
        except OSError as exc:
            raise InputError(f"cannot write {csv_file}: {exc.strerror}") from None
    if as_json:
        typer.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
    elif not rows:
        scope = (f" about {article}" if article else "") + (f" since {day.isoformat()}" if day else "")
        echo(f"no questions logged{scope} yet: they are logged as readers ask (BOT_LOG_QUESTIONS)")
    else:
        echo(render(result))
    if csv_file is not None:
        echo(f"wrote {len(result.days)} rows (one per article and day) to {csv_file}", err=as_json)
