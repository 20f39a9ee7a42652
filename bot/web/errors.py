"""Errors on the wire: every web route answers an error as JSON ``{"error": {"message", "type"}}``, and a
:class:`BotError` (which knows nothing of HTTP) gets its status here, at the edge."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from index.errors import (
    AuthError,
    BackendUnavailableError,
    BotError,
    EmptyIndexError,
    InputError,
    RateLimitedError,
    UnknownArticleError,
    UnknownQuestionError,
)

__all__ = ["STATUS", "bot_error_response", "error_response", "status_of"]

#: each user-facing error's HTTP status; a subclass not named here takes its nearest ancestor's
STATUS: dict[type[BotError], int] = {
    BotError: 400,
    InputError: 422,
    EmptyIndexError: 409,
    UnknownArticleError: 404,
    UnknownQuestionError: 404,
    AuthError: 401,
    RateLimitedError: 429,
    BackendUnavailableError: 503,
}


def status_of(exc: BotError) -> int:
    """The HTTP status ``exc`` is answered with."""
    return next(STATUS[kind] for kind in type(exc).__mro__ if kind in STATUS)


def error_response(status: int, message: str, kind: str = "invalid_request_error", headers: dict | None = None) -> JSONResponse:
    """The JSON error every route answers with: ``{"error": {"message", "type"}}``."""
    message = message.encode("utf-8", "backslashreplace").decode("utf-8")  # it may echo a lone surrogate
    return JSONResponse({"error": {"message": message, "type": kind}}, status_code=status, headers=headers)


def bot_error_response(exc: BotError) -> JSONResponse:
    """``exc`` as its JSON error: its status, its class name as the type, and ``Retry-After`` when over a limit."""
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimitedError) else None
    return error_response(status_of(exc), str(exc), type(exc).__name__, headers)
