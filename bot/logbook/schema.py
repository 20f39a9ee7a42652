"""The question log's tables, defined once: the queries use them and the migrations (0001 on) create them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload

from sqlalchemy import Boolean, Column, DateTime, Float, Integer, MetaData, String, Table, Text
from sqlalchemy.types import TypeDecorator

from index.text import UNSTORABLE

__all__ = ["metadata", "questions", "rate_buckets", "daily_counts", "meta", "admin_sessions", "UTCDateTime", "storable"]


@overload
def storable(text: str) -> str: ...


@overload
def storable(text: None) -> None: ...


def storable(text: str | None) -> str | None:
    """``text`` as every database stores it: NUL and lone surrogates (:data:`index.text.UNSTORABLE`) become
    U+FFFD (�). A question may hold them (a client can send anything); the log keeps the rest of it rather than fail."""
    return None if text is None else UNSTORABLE.sub("\ufffd", text)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database.

    PostgreSQL keeps it as ``timestamptz``; SQLite has no time zones and hands back naive
    values, which are UTC because this type converts to UTC before storing."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("the question log stores timezone-aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

#: One row per question asked (or imported from the old feedback.jsonl).
questions = Table(
    "questions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("asked_at", UTCDateTime(), nullable=False, index=True),  # retention deletes by it
    Column("day", String(10), nullable=False, index=True),  # "YYYY-MM-DD" (UTC) of asked_at
    Column("article", String(255), nullable=True, index=True),  # the scope asked in; NULL = all articles
    Column("cited_article", String(255), nullable=True, index=True),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("refused", Boolean, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("client", String(64), nullable=False),  # salted hash of the address, never the address
    Column("channel", String(16), nullable=False),
    Column("citations", Text, nullable=False),  # JSON list of {n, article_id, title, text}
    Column("liked", Boolean, nullable=True),
    Column("comment", Text, nullable=True),
    Column("rated_at", UTCDateTime(), nullable=True),
)

#: The token bucket of each client (key = its salted hash); ``updated`` is epoch seconds.
rate_buckets = Table(
    "rate_buckets",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("updated", Float, nullable=False),
)

#: Questions asked per scope (an article id, or "*" for all articles) per UTC day.
daily_counts = Table(
    "daily_counts",
    metadata,
    Column("scope", String(255), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("count", Integer, nullable=False),
)

#: Small key/value facts shared by every worker (the client salt, which feedback files were imported).
meta = Table(
    "meta",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("value", Text, nullable=False),
)

#: The editors' logged-in sessions (migration 0003): the SHA-256 of each session's random id, never the id itself.
admin_sessions = Table(
    "admin_sessions",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False, index=True),  # pruning deletes by it
)
