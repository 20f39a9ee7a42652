"""The readers' 👍/👎 and comments on logged questions: :class:`Ratings`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from bot.logbook import db
from bot.logbook.log import MAX_COMMENT_CHARS
from bot.logbook.schema import questions, storable

if TYPE_CHECKING:
    from bot.logbook.clients import Clients
    from bot.logbook.database import Database
    from bot.logbook.limits import Limits
    from bot.settings import Settings

__all__ = ["Ratings"]


class Ratings:
    """Sets the reader's rating on a row of the question log, within the client's ratings' bucket."""

    def __init__(self, settings: Settings, database: Database, clients: Clients, limits: Limits) -> None:
        self.settings, self.database, self.clients, self.limits = settings, database, clients, limits

    def rate(self, question_id: int, liked: bool | None, comment: str | None = None, *, client: str | None = None) -> bool:
        """Set the reader's 👍 (True), 👎 (False) or no rating (None) on a logged question.

        ``comment`` is trimmed and cut to :data:`MAX_COMMENT_CHARS`; None keeps the one there, an
        empty one removes it. With ``client`` (a raw address) only a question that client asked is
        rated, and only within its ratings' bucket (:attr:`Limits.ratings`; over it,
        :class:`RateLimitedError`). False when there is no such row (or questions are not logged)."""
        if not self.settings.log_questions:
            return False
        values: dict[str, Any] = {"liked": liked, "rated_at": datetime.now(UTC)}
        if comment is not None:
            values["comment"] = storable(comment.strip()[:MAX_COMMENT_CHARS].strip()) or None
        with self.database.usable():
            stmt = update(questions).where(questions.c.id == question_id).values(values)
            if client is not None:
                self.limits.take_rating(client)
            engine = self.database.engine
            if client is not None:  # asked today or yesterday (UTC): a reader rates right after the answer
                today = datetime.now(UTC).date()
                keys = [self.clients.logged(engine, client, day) for day in (today, today - timedelta(days=1))]
                stmt = stmt.where(questions.c.client.in_(keys))
            with db.writing(engine) as conn:
                return conn.execute(stmt).rowcount > 0
