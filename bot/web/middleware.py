"""The HTTP API's token check and its ASGI middleware: request bodies over a limit are refused before they
are read, and the mounted Gradio apps take no uploads and guard their named endpoint. (A bad call of
Gradio's own routes is a 4xx error in the API's shape: :mod:`bot.web.gradio_calls`.)"""

from __future__ import annotations

import re
import secrets

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.web.errors import bot_error_response, error_response
from index.errors import AuthError
from index.text import raw_bytes

__all__ = ["BodyLimit", "GradioGuard", "check_token"]


class BodyLimit:
    """ASGI middleware: a request body over ``limit`` bytes gets a 413 JSON error.

    A declared ``Content-Length`` over the limit is refused before anything is read; a
    chunked body is counted as it arrives and refused at the chunk that crosses the
    limit, so the app never holds more than ``limit`` bytes of it.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and not (declared.isascii() and declared.isdigit() and int(declared) <= self.limit):
            return await self._refuse(scope, receive, send)
        state = {"seen": 0, "started": False, "over": False}

        async def counted_receive() -> Message:
            message = await receive()
            state["seen"] += len(message.get("body", b""))
            if state["seen"] > self.limit:
                if not state["over"] and not state["started"]:
                    await self._refuse(scope, receive, send)
                state["over"] = True
                raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            if not state["over"]:  # once over, the app's own reply (an error about the cut body) goes nowhere
                state["started"] = True
                await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not state["over"]:
                raise

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"the request body is larger than {self.limit} bytes (BOT_MAX_REQUEST_BYTES)"
        await error_response(413, message, "request_too_large", {"Connection": "close"})(scope, receive, send)


class _BodyTooLarge(Exception):
    """Raised into the app when the body it is reading crosses the limit (the 413 is already sent)."""


def check_token(authorization: str | None, token: str | None) -> None:
    """Raise :class:`AuthError` unless no ``token`` is set or ``authorization`` is ``Bearer <token>``.

    Compared as bytes in constant time: a header holding any bytes at all (starlette
    decodes them as latin-1) is a wrong token, never an error.
    """
    if not token:
        return
    raw = raw_bytes(authorization or "")
    scheme, _, given = raw.partition(b" ")
    if scheme.lower() != b"bearer" or not secrets.compare_digest(given.strip(), token.encode("ascii")):
        raise AuthError("missing or wrong API token: send `Authorization: Bearer <token>`")


#: Gradio routes that take files (nothing here needs any), and the direct calls of the named API endpoint
_UPLOAD_ROUTE = re.compile(r"(?:/embed)?/gradio_api/(?:upload|upload_progress|process_recording)/?")
_API_ROUTE = r"(?:/embed)?/gradio_api/(?:run|api|call|call/v2)/{name}/?"
#: Gradio routes that are on in every Gradio app and have no use here: the development mode's reload stream
#: (each open one polled every 50 ms: two thousand idle ones slowed every request to seconds) and the usage
#: figures of ``/monitoring`` (public, whatever the API token)
_OFF_ROUTE = re.compile(r"(?:/embed)?/(?:gradio_api/dev/reload|monitoring)(?:/.*)?")


class GradioGuard:
    """ASGI middleware in front of the mounted Gradio apps.

    Uploads are refused (403) before a byte is read or stored, Gradio's development reload stream and
    monitoring figures are off (404). A direct HTTP call of the
    named endpoint ``api_name`` (``/gradio_api/run/ask`` …) without the API token gets a 401 rather
    than Gradio's error 500. The endpoint checks the token itself too, which covers the
    other ways in (the queue, or ``/run/predict`` with its ``fn_index``, as the page
    calls its own quick events).
    """

    def __init__(self, app: ASGIApp, token: str | None, api_name: str) -> None:
        self.app, self.token = app, token
        self.api_route = re.compile(_API_ROUTE.format(name=re.escape(api_name)))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = re.sub("/{2,}", "/", scope.get("path", "")) if scope["type"] == "http" else ""
        if _UPLOAD_ROUTE.fullmatch(path):
            return await error_response(403, "uploads are off: this app takes no files", "forbidden")(scope, receive, send)
        if _OFF_ROUTE.fullmatch(path):
            return await error_response(404, "not found: this route is off in newsbot", "not_found")(scope, receive, send)
        if self.api_route.fullmatch(path):
            try:
                check_token(Headers(scope=scope).get("authorization"), self.token)
            except AuthError as exc:
                return await bot_error_response(exc)(scope, receive, send)
        await self.app(scope, receive, send)
