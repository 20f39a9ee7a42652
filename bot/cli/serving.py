"""``bot serve``: the web chat, the embeddable chat and the API over HTTP."""

from __future__ import annotations

import typer

from bot.cli.common import echo, get_bot
from index.errors import BotError

__all__ = ["serve"]

#: Seconds an idle keep-alive connection stays open. Longer than the clients' and proxies' own (httpx 5 s, a load
#: balancer's 60 s): with uvicorn's 5 s, a client could send its next request on a connection the server was just
#: closing, and that request failed (one `ReadError` in 12,031 with 64 clients).
KEEP_ALIVE_S = 75


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind; 0.0.0.0 exposes the bot to the network."),
    port: int = typer.Option(7860, "--port", min=1, max=65535, help="TCP port."),
) -> None:
    """Serve the web chat (/), the embeddable chat (/embed) and the API (/api, /v1, /docs)."""
    import uvicorn

    bot = get_bot()
    if bot.recover(wait=False):  # a writer busy now recovers by itself
        echo("cleaned up after an interrupted ingest")
    if bot.count() == 0:
        for result in bot.ingest_bundled():
            echo(f"{result.status} {result.article_id}: {result.chunks} passages ({result.title})")
    from app import create_app

    bot.warm_up()
    web = create_app(bot)
    bot.open_log()  # connects, migrates and imports an old feedback.jsonl now: a wrong BOT_DATABASE_URL stops here
    shown = "localhost" if host in {"127.0.0.1", "0.0.0.0", "::"} else host
    echo(f"newsbot is serving {bot.count()} article(s) at http://{shown}:{port}/  (API docs: /docs; Ctrl-C stops)")
    try:
        uvicorn.run(web, host=host, port=port, log_level="warning", timeout_keep_alive=KEEP_ALIVE_S)
    except OSError as exc:
        raise BotError(f"cannot listen on {host}:{port}: {exc.strerror}; pick another --port") from None
