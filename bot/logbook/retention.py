"""How long the question log keeps things: :class:`Retention` deletes what has aged out."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine, delete

from bot.logbook import db, sessions
from bot.logbook.schema import daily_counts, questions, rate_buckets

if TYPE_CHECKING:
    from bot.logbook.database import Database
    from bot.logbook.limits import Limits
    from bot.settings import Settings

__all__ = ["Retention", "PRUNE_EVERY_S"]

log = logging.getLogger(__name__)
#: Recording a question prunes at most this often (seconds).
PRUNE_EVERY_S = 3600


class Retention:
    """Deletes the questions older than ``log_retention_days`` (0 keeps them forever), the buckets idle
    long enough to be full again, the daily counts of past days and the expired editors' sessions."""

    def __init__(self, settings: Settings, database: Database, limits: Limits) -> None:
        self.settings, self.database, self.limits = settings, database, limits
        self._pruned_at = 0.0

    def prune(self, now: datetime | None = None) -> int:
        """Prune now; returns how many questions were deleted."""
        with self.database.usable():
            return self.prune_engine(self.database.engine, now or datetime.now(UTC))

    def prune_at_start(self, engine: Engine) -> None:
        """Prune a database just opened; the next :meth:`prune_due` is :data:`PRUNE_EVERY_S` later."""
        self.prune_engine(engine, datetime.now(UTC))
        self._pruned_at = time.monotonic()

    def prune_due(self, engine: Engine, now: datetime) -> None:
        """Prune when the last prune was :data:`PRUNE_EVERY_S` ago or more (a question is being recorded)."""
        if time.monotonic() - self._pruned_at >= PRUNE_EVERY_S:
            self._pruned_at = time.monotonic()
            self.prune_engine(engine, now)

    def prune_engine(self, engine: Engine, now: datetime) -> int:
        """Prune ``engine``'s database as of ``now``; how many questions were deleted."""
        settings, deleted = self.settings, 0
        with db.writing(engine) as conn:
            if settings.log_retention_days:
                cutoff = now - timedelta(days=settings.log_retention_days)
                deleted = conn.execute(delete(questions).where(questions.c.asked_at < cutoff)).rowcount
            # a bucket idle until it is full again is as good as none: dropping it changes nothing
            full_after = max(bucket.full_after for bucket in self.limits.buckets)
            conn.execute(delete(rate_buckets).where(rate_buckets.c.updated < now.timestamp() - full_after))
            sessions.prune(conn, now)
            conn.execute(delete(daily_counts).where(daily_counts.c.day < now.astimezone(UTC).date().isoformat()))
        if deleted:
            log.info("pruned %d logged questions older than %d days", deleted, settings.log_retention_days)
        return deleted
