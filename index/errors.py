"""Errors meant for people.

Every error a user can cause or fix is a :class:`BotError`. Its message says what
went wrong and what to do. The CLI, the HTTP API and the web UI turn these into
their own form at the edge (one stderr line, a 4xx JSON body, a chat message);
nothing else catches broadly.

This module sits below both ``index`` and ``bot`` (it imports nothing of either), so
loading and storing raise the same errors as answering. It knows nothing of transports: the web
layer maps each error to its HTTP status (:mod:`bot.web.errors`).
"""

from __future__ import annotations

__all__ = [
    "BotError",
    "InputError",
    "ArticleError",
    "EmptyIndexError",
    "UnknownArticleError",
    "BackendUnavailableError",
    "StorageError",
    "AuthError",
    "RateLimitedError",
    "UnknownQuestionError",
    "is_connection_error",
]


class BotError(Exception):
    """Base class: the message is shown to the user as is."""


class InputError(BotError):
    """A question, a request or an option that cannot be used as given."""


class ArticleError(BotError):
    """An article file that cannot be read: missing, binary, not UTF-8, empty."""


class EmptyIndexError(BotError):
    """Nothing has been ingested yet."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or "no articles yet: run `bot ingest PATH` first")


class UnknownArticleError(BotError):
    """An article id that is not in the index."""


class BackendUnavailableError(BotError):
    """A service the bot depends on (LLM endpoint, Chroma server) cannot be reached."""


class StorageError(BackendUnavailableError):
    """The store cannot be written or read: a full disk, an I/O error, a read-only file system."""


class AuthError(BotError):
    """A missing or wrong API token."""


class UnknownQuestionError(BotError):
    """Feedback for a question id that is not in the question log (or was asked by someone else)."""


class RateLimitedError(BotError):
    """A client asking faster than the rate limit allows, or an article over its daily cap.

    ``retry_after`` is the whole number of seconds after which asking again will work
    (the API sends it as the ``Retry-After`` header)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


def is_connection_error(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or an exception it was raised from) means a service could not be reached.

    Client libraries (httpx, chromadb, openai, ollama) raise many types for one cause, so the
    names and the standard connection, timeout and OS errors count, and a ``ValueError`` that
    says it could not connect (chromadb's)."""
    while exc is not None:
        name = type(exc).__name__
        if "Connect" in name or "Timeout" in name or isinstance(exc, (ConnectionError, TimeoutError, OSError)) or (
            isinstance(exc, ValueError) and "connect" in str(exc).lower()
        ):
            return True
        exc = exc.__cause__ or exc.__context__
    return False
