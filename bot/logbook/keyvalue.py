"""Small values every worker shares, in the ``meta`` table: :class:`KeyValues` (the suggested questions use it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.logbook import db
from bot.logbook.schema import meta, storable

if TYPE_CHECKING:
    from bot.logbook.database import Database

__all__ = ["KeyValues"]


class KeyValues:
    """A write-once key/value store over the shared database: the first value kept under a key stays."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def recall(self, key: str) -> str | None:
        """The value :meth:`keep` stored under ``key``, or None."""
        with self.database.usable(), self.database.engine.connect() as conn:
            return conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar_one_or_none()

    def keep(self, key: str, value: str) -> str:
        """Store ``value`` under ``key`` unless a value is there already (every worker shares it); the value kept."""
        with self.database.usable(), db.writing(self.database.engine) as conn:
            return db.meta_setdefault(conn, key, storable(value))
