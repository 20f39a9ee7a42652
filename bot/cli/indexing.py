"""The commands that fill and tend the index: ``ingest``, ``repair``, ``remove``, ``articles``."""

from __future__ import annotations

import json
import sys
import time
from typing import TYPE_CHECKING

import typer

from bot.cli.common import echo, get_bot, get_settings

if TYPE_CHECKING:
    from index.transactions import IngestResult

__all__ = ["articles", "ingest", "rate_line", "remove", "repair"]


def ingest(
    sources: list[str] = typer.Argument(..., help="Article files (.txt, .md), JSONL files of records, folders of them, or http(s) URLs."),
    article_id: str | None = typer.Option(None, "--id", help="Article id (one article only). Default: the file's stem."),
    title: str | None = typer.Option(None, "--title", help="Title (one article only). Default: metadata, heading or file name."),
    workers: int | None = typer.Option(
        None, "--workers", min=1, max=256, help="Encoder threads sharing the cores (onnx backends on the CPU). "
        "Default: BOT_INGEST_WORKERS, else one per core."),
) -> None:
    """Store articles in the index; unchanged articles are skipped, changed ones replaced."""
    from index.sources import load_sources

    # read and check everything before storing anything
    articles = load_sources(sources, article_id, title, max_bytes=get_settings().max_article_bytes)
    start = time.perf_counter()
    try:
        results = get_bot().ingest_many(articles, progress=len(articles) > 1 and sys.stderr.isatty(), workers=workers)
    except KeyboardInterrupt:
        # each batch is its own transaction: those committed stay, the one cut short is cleaned up by the next writer
        echo("interrupted: the batches finished before it are stored; run the same command again to finish "
             "(what is stored is skipped as unchanged)", err=True)
        raise typer.Exit(130) from None
    echo(rate_line(results, time.perf_counter() - start), err=True)
    if len(results) <= 20:
        for r in results:
            echo(f"{r.status} {r.article_id}: {r.chunks} passages, {r.sentences} sentences ({r.title})")
    else:
        counts = {status: sum(r.status == status for r in results) for status in ("added", "updated", "unchanged")}
        echo(f"{len(results)} articles: {counts['added']} added, {counts['updated']} updated, {counts['unchanged']} unchanged")


def rate_line(results: list[IngestResult], seconds: float) -> str:
    """``ingested N articles in S s (R articles/s, T texts/s)``: the texts are the passages and sentences encoded
    (an unchanged article has none)."""
    texts = sum(r.chunks + r.sentences for r in results if r.status != "unchanged")
    seconds = max(seconds, 1e-9)
    return (f"ingested {len(results)} article{'s' * (len(results) != 1)} in {seconds:.1f} s "
            f"({len(results) / seconds:.1f} articles/s, {texts / seconds:.1f} texts/s)")


def repair() -> None:
    """Make the store consistent after a crash: finish or undo interrupted writes, drop passages
    that belong to no article, and index again any article whose passages are incomplete."""
    report = get_bot().repair()
    echo(
        f"repaired: {report.markers} interrupted write(s) cleaned up, {report.removed} leftover record(s) removed, "
        f"{len(report.reindexed)} article(s) indexed again" + (f" ({', '.join(report.reindexed)})" if report.reindexed else "")
    )


def remove(article_id: str = typer.Argument(..., help="The id of the article to delete (see `bot articles`).")) -> None:
    """Delete an article and all its passages."""
    get_bot().remove(article_id)
    echo(f"removed {article_id}")


def articles(as_json: bool = typer.Option(False, "--json", help="Print a JSON list.")) -> None:
    """List the indexed articles (with --json, each with its suggested questions)."""
    rows = get_bot().articles() if as_json else get_bot().rows()  # the plain list needs no suggestions
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        echo("no articles yet: run `bot ingest PATH`")
    for row in rows:
        echo(f"{row['id']}\t{row.get('chunks', '?')} passages\t{row['title']}" + (f"\t{row['url']}" if row.get("url") else ""))
