"""The editors' sessions (``/admin``), one row each in the shared database, so that every worker knows
them and logging out on one ends the session on all.

A session is a random id the editor's cookie carries; the table keeps only its SHA-256 (a copy of the
database opens no session) and when it expires. Expired rows are deleted when the log is pruned.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, select

from bot.logbook.schema import admin_sessions

__all__ = ["new_id", "open_session", "is_open", "end", "prune"]


def new_id() -> str:
    """A fresh session id: 32 random bytes, URL-safe base64 (43 characters of ``A-Za-z0-9_-``)."""
    return secrets.token_urlsafe(32)


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "surrogatepass")).hexdigest()


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
