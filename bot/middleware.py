"""The HTTP API's error shape, and its ASGI middleware: request bodies over a limit are refused before they are read."""

from __future__ import annotations

from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodyLimit", "error_response"]


def error_response(status: int, message: str, kind: str = "invalid_request_error", headers: dict | None = None) -> JSONResponse:
    """The JSON error every route answers with: ``{"error": {"message", "type"}}``."""
    message = message.encode("utf-8", "backslashreplace").decode("utf-8")  # it may echo a lone surrogate
    return JSONResponse({"error": {"message": message, "type": kind}}, status_code=status, headers=headers)


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
