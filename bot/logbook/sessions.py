"""The editors' sessions (``/admin``), one row each in the shared database, so that every worker knows
them and logging out on one ends the session on all.

A session is a random id the editor's cookie carries; the table keeps only its SHA-256 (a copy of the
database opens no session) and when it expires. Expired rows are deleted when the log is pruned.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection, delete, select

from bot.logbook import db
from bot.logbook.schema import admin_sessions
from index.text import raw_bytes

if TYPE_CHECKING:
    from bot.logbook.database import Database

__all__ = ["Sessions", "new_id", "open_session", "is_open", "end", "prune"]


def new_id() -> str:
    """A fresh session id: 32 random bytes, URL-safe base64 (43 characters of ``A-Za-z0-9_-``)."""
    return secrets.token_urlsafe(32)


def _key(session_id: str) -> str:
    return hashlib.sha256(raw_bytes(session_id)).hexdigest()


def open_session(conn: Connection, session_id: str, now: datetime, seconds: float) -> None:
    """Store ``session_id`` (hashed) as open from ``now`` for ``seconds``."""
    conn.execute(admin_sessions.insert().values(key=_key(session_id), created_at=now,
                                                expires_at=now + timedelta(seconds=seconds)))


def is_open(conn: Connection, session_id: str, now: datetime) -> bool:
    """Whether ``session_id`` was opened and has neither ended nor expired."""
    s = admin_sessions.c
    return conn.execute(select(s.key).where(s.key == _key(session_id), s.expires_at > now)).first() is not None


def end(conn: Connection, session_id: str) -> None:
    """End ``session_id`` (nothing happens when it is not open)."""
    conn.execute(delete(admin_sessions).where(admin_sessions.c.key == _key(session_id)))


def prune(conn: Connection, now: datetime) -> None:
    """Delete the sessions expired by ``now``."""
    conn.execute(delete(admin_sessions).where(admin_sessions.c.expires_at <= now))


class Sessions:
    """The editors' sessions in the shared database (they work when questions are not logged too)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def open_session(self, seconds: float) -> str:
        """Open an editor's session lasting ``seconds``; its random id (the database keeps only its hash)."""
        session_id = new_id()
        with self.database.usable(), db.writing(self.database.engine) as conn:
            open_session(conn, session_id, datetime.now(UTC), seconds)
        return session_id

    def session_open(self, session_id: str, now: datetime | None = None) -> bool:
        """Whether ``session_id`` is open: opened by :meth:`open_session` (by any worker), not ended nor expired."""
        with self.database.usable(), self.database.engine.connect() as conn:
            return is_open(conn, session_id, now or datetime.now(UTC))

    def end_session(self, session_id: str) -> None:
        """End ``session_id`` for every worker (logging out)."""
        with self.database.usable(), db.writing(self.database.engine) as conn:
            end(conn, session_id)
