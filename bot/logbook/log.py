"""The question log: :class:`QuestionLog` records each answered question and reads the rows back.

Every question the chat, the embed, the API or the OpenAI-compatible endpoint answers is one row
(question, answer, scope, first cited article, latency, a salted hash of the client, the reader's
👍/👎 and comment: :mod:`bot.logbook.ratings`). Nothing is recorded when ``log_questions`` is off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import or_, select

from bot.logbook import db, legacy
from bot.logbook.schema import questions, storable

if TYPE_CHECKING:
    from bot.logbook.clients import Clients
    from bot.logbook.database import Database
    from bot.logbook.retention import Retention
    from bot.models import Answer
    from bot.settings import Settings

__all__ = ["QuestionLog", "QuestionRow", "CHANNELS", "MAX_COMMENT_CHARS"]

#: Where a question came from.
CHANNELS = ("chat", "embed", "api", "openai", legacy.IMPORT_CHANNEL)
#: The longest comment kept; a longer one is cut.
MAX_COMMENT_CHARS = 2000


@dataclass(frozen=True)
class QuestionRow:
    """One logged question, as :meth:`QuestionLog.rows` returns it."""

    id: int
    asked_at: datetime  # timezone-aware UTC
    day: str  # "YYYY-MM-DD" (UTC) of asked_at
    article: str | None  # the scope asked in (None = all articles)
    cited_article: str | None  # article id of the first citation, if any
    question: str
    answer: str
    refused: bool
    latency_ms: float
    client: str  # salted hash, never the raw address ("" for imported rows)
    channel: str  # one of CHANNELS
    liked: bool | None  # 👍 True, 👎 False, None unrated
    comment: str | None


class QuestionLog:
    """The ``questions`` table: :meth:`record` one answered question, :meth:`rows` to read them."""

    def __init__(self, settings: Settings, database: Database, clients: Clients, retention: Retention) -> None:
        self.settings, self.database, self.clients, self.retention = settings, database, clients, retention

    def record(self, *, question: str, article: str | None, answer: Answer, latency_ms: float, client: str,
               channel: str) -> int | None:
        """Store one answered question; its row id, or None when ``log_questions`` is off.

        ``client`` is the raw address (stored only as its daily key, :meth:`Clients.logged`); ``channel``
        one of :data:`CHANNELS`. The citations are kept as JSON (``{n, article_id, title, text}`` each) and
        the first one's article as ``cited_article``. Prunes old rows at most once an hour."""
        if channel not in CHANNELS:
            raise ValueError(f"channel must be one of {CHANNELS}, not {channel!r}")
        if not self.settings.log_questions:
            return None
        asked_at = datetime.now(UTC)
        cited = [c.model_dump() for c in answer.citations]
        with self.database.usable():
            engine = self.database.engine
            self.retention.prune_due(engine, asked_at)
            values = {
                "asked_at": asked_at, "day": asked_at.date().isoformat(), "article": storable(article),
                "cited_article": storable(cited[0]["article_id"]) if cited else None, "question": storable(question),
                "answer": storable(answer.answer), "refused": answer.refused, "latency_ms": float(latency_ms),
                "client": self.clients.logged(engine, client, asked_at.date()), "channel": channel,
                "citations": storable(legacy.citations_json(cited)),
            }
            with db.writing(engine) as conn:
                return conn.execute(questions.insert().values(values).returning(questions.c.id)).scalar_one()

    def rows(self, article: str | None = None, since: date | None = None) -> list[QuestionRow]:
        """The logged questions, oldest first; ``article`` matches the scope asked in or the cited
        article; ``since`` keeps the questions asked on that UTC day or later."""
        q = questions.c
        stmt = select(*(q[name] for name in QuestionRow.__dataclass_fields__)).order_by(q.asked_at, q.id)
        if article is not None:
            article = storable(article)
            stmt = stmt.where(or_(q.article == article, q.cited_article == article))
        if since is not None:
            stmt = stmt.where(q.day >= since.isoformat())
        with self.database.usable(), self.database.engine.connect() as conn:
            return [QuestionRow(**row._asdict()) for row in conn.execute(stmt)]
