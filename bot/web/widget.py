"""The one-script-tag chat widget: ``/widget.js``, and the page-to-article matching behind it.

A host page adds ``<script src="https://bot.example/widget.js"></script>``; the script
(``bot/web/static/widget.js``, plain JavaScript, no build step) draws a launcher bubble that
opens the ``/embed`` chat in an iframe. Without ``data-article`` it passes the page's
canonical URL as ``/embed/?url=…`` and the embed matches it here, server-side, against
the articles' stored ``url``: the host page needs no API call and no CORS. Framing is
allowed only for the origins in ``BOT_EMBED_ORIGINS`` (the CSP ``frame-ancestors`` of
:mod:`bot.web.api`); the script itself may load anywhere.
"""

from __future__ import annotations

from importlib import resources
from urllib.parse import quote, unquote, urlsplit

from fastapi import FastAPI
from fastapi.responses import Response

__all__ = ["EMBED_JS", "add_widget", "match_article", "normalise_url"]

SCRIPT = "static/widget.js"
#: run by the embed page on load: Escape pressed in the chat closes the widget's panel (keys pressed in a
#: frame never reach its parent, so the frame says so; the message carries nothing else)
EMBED_JS = """() => {
  if (window.parent === window) return;
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") window.parent.postMessage({type: "newsbot:close"}, "*");
  });
}"""
_DEFAULT_PORTS = {"http": 80, "https": 443}
#: what a path may hold unencoded (RFC 3986 pchar and "/"): "%7E" and "~" compare equal
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def normalise_url(url: str) -> str | None:
    """``url`` as ``host[:port]/path`` for comparing pages: the scheme, a leading ``www.``, a default
    port, the query, the fragment and trailing slashes are dropped, the host is lower-cased, the
    path keeps its case (with percent-encoding made uniform). None unless an http(s) URL with a host."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except (AttributeError, ValueError):  # not a string, or a port that is no number
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").rstrip(".")
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    try:  # a page's location is punycode; a stored url may spell the name in Unicode
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    host = host.lower().removeprefix("www.")
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    return host + quote(unquote(parts.path), safe=_PATH_SAFE).rstrip("/")


def match_article(url: str, articles: list[dict]) -> dict | None:
    """The first of ``articles`` (rows of ``bot.articles()``) whose stored ``url`` is the page ``url``
    by :func:`normalise_url`; None if none is, or ``url`` is no http(s) URL."""
    page = normalise_url(url)
    if page is None:
        return None
    return next((a for a in articles if a.get("url") and normalise_url(str(a["url"])) == page), None)


def add_widget(api: FastAPI) -> None:
    """Serve ``GET/HEAD /widget.js`` on ``api``: the script shipped as package data, read once here
    (a missing file is an error at startup), cacheable for five minutes and loadable from any origin."""
    script = resources.files("bot.web").joinpath(SCRIPT).read_bytes()
    headers = {
        "Cache-Control": "public, max-age=300",
        # a host page isolated with COEP may still load it
        "Cross-Origin-Resource-Policy": "cross-origin",
    }

    @api.api_route("/widget.js", methods=["GET", "HEAD"], include_in_schema=False)
    def widget_js() -> Response:
        return Response(script, media_type="text/javascript; charset=utf-8", headers=headers)
