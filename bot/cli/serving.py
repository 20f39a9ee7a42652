"""``bot serve``: the web chat, the embeddable chat and the API over HTTP."""

from __future__ import annotations

import errno
import socket
import sys

import typer

from bot.cli.common import echo, get_bot
from index.errors import BotError

__all__ = ["listen", "serve"]

#: Seconds an idle keep-alive connection stays open. Longer than the clients' and proxies' own (httpx 5 s, a load
#: balancer's 60 s): with uvicorn's 5 s, a client could send its next request on a connection the server was just
#: closing, and that request failed (one `ReadError` in 12,031 with 64 clients).
KEEP_ALIVE_S = 75
#: uvicorn's exit status when the app did not start (its lifespan failed): what ``uvicorn.run`` exits with
STARTUP_FAILURE = 3


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind; 0.0.0.0 exposes the bot to the network."),
    port: int = typer.Option(7860, "--port", min=1, max=65535, help="TCP port."),
) -> None:
    """Serve the web chat (/), the embeddable chat (/embed) and the API (/api, /v1, /docs)."""
    import uvicorn

    # bound first, before the index is opened or anything is announced: a busy port or an unknown host is one line
    sockets = listen(host, port)
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
    server = uvicorn.Server(uvicorn.Config(web, host=host, port=port, log_level="warning", timeout_keep_alive=KEEP_ALIVE_S))
    try:
        server.run(sockets=sockets)
    except KeyboardInterrupt:
        pass
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def listen(host: str, port: int) -> list[socket.socket]:
    """Sockets bound to ``host``:``port``, one per address the host names (as asyncio's own ``create_server`` binds
    them), for uvicorn to listen on; a :class:`BotError` when the host is unknown or the port taken."""
    if not host.strip():  # asyncio would take it as every interface: a slip, not a choice
        raise BotError("--host is empty: give an interface, such as 127.0.0.1 (0.0.0.0: every interface)")
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, socket.gaierror) else "not a host name"
        raise BotError(f"cannot listen on {host}:{port}: {reason}; give a --host of this machine, such as 127.0.0.1") from None
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(addresses):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a port in TIME_WAIT is free; a listened one is not
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
    except OSError as exc:
        for sock in sockets:
            sock.close()
        hint = "give a --host of this machine" if exc.errno == errno.EADDRNOTAVAIL else "pick another --port"
        raise BotError(f"cannot listen on {host}:{port}: {exc.strerror}; {hint}") from None
    return sockets
