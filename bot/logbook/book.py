"""The question log and the abuse limits as one object: :class:`Logbook`, a composition of its jobs.

Every job shares one :class:`~bot.logbook.database.Database` handle (one engine per URL per process):

* :attr:`Logbook.log` (:class:`~bot.logbook.log.QuestionLog`): record a question, read the rows;
* :attr:`Logbook.limits` (:class:`~bot.logbook.limits.Limits`): admit a question, the ``/admin`` lock-out;
* :attr:`Logbook.ratings` (:class:`~bot.logbook.ratings.Ratings`): the reader's 👍/👎 and comment;
* :attr:`Logbook.retention` (:class:`~bot.logbook.retention.Retention`): prune what has aged out;
* :attr:`Logbook.sessions` (:class:`~bot.logbook.sessions.Sessions`): the editors' sessions;
* :attr:`Logbook.legacy` (:class:`~bot.logbook.legacy.FeedbackImport`): the old ``feedback.jsonl``;
* :attr:`Logbook.cache` (:class:`~bot.logbook.keyvalue.KeyValues`): small values every worker shares;
* :attr:`Logbook.clients` (:class:`~bot.logbook.clients.Clients`): the salted keys clients are known by.

The limits and the sessions work when questions are not logged (``log_questions`` off): the database
is there all the same, so a logout or a lock-out holds on every worker (``/admin``, :mod:`bot.web.admin`).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from bot.logbook.clients import Clients
from bot.logbook.database import Database
from bot.logbook.keyvalue import KeyValues
from bot.logbook.legacy import FeedbackImport
from bot.logbook.limits import Limits
from bot.logbook.log import QuestionLog, QuestionRow
from bot.logbook.ratings import Ratings
from bot.logbook.retention import Retention
from bot.logbook.sessions import Sessions

if TYPE_CHECKING:
    from bot.models import Answer
    from bot.settings import Settings

__all__ = ["Logbook"]


class Logbook:
    """The question log and the limits in the database ``settings.database`` names.

    Cheap to construct: :meth:`open` (or the first use of any method) connects, migrates, prunes old
    rows and imports an old ``feedback.jsonl`` (when ``log_questions`` is on). A database that cannot
    be used raises :class:`BackendUnavailableError` naming ``BOT_DATABASE_URL``, from every method.
    The methods below are the jobs' own, kept here so that callers need only the Logbook."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.database = Database(settings, on_open=self._startup)
        self.clients = Clients(settings)
        self.limits = Limits(settings, self.database, self.clients)
        self.retention = Retention(settings, self.database, self.limits)
        self.log = QuestionLog(settings, self.database, self.clients, self.retention)
        self.ratings = Ratings(settings, self.database, self.clients, self.limits)
        self.sessions = Sessions(self.database)
        self.legacy = FeedbackImport(self.database)
        self.cache = KeyValues(self.database)

    def _startup(self, engine: Engine) -> None:
        self.retention.prune_at_start(engine)
        feedback = self.settings.feedback_path
        if self.settings.log_questions and feedback.is_file():
            self.legacy.import_into(engine, feedback)

    def open(self) -> None:
        """Connect now: create and migrate the database, prune old rows, import an old feedback file.
        A wrong ``BOT_DATABASE_URL`` raises :class:`BackendUnavailableError` here rather than at the first question."""
        self.database.open()

    @property
    def engine(self) -> Engine:
        """The database's engine, opened as :meth:`open` does on first use."""
        return self.database.engine

    def admit(self, client: str, article: str | None, now: float | None = None) -> None:
        """Let a question in or raise :class:`RateLimitedError`: :meth:`Limits.admit`."""
        self.limits.admit(client, article, now)

    def record(self, *, question: str, article: str | None, answer: Answer, latency_ms: float, client: str,
               channel: str) -> int | None:
        """Store one answered question; its row id, or None when not logging: :meth:`QuestionLog.record`."""
        return self.log.record(question=question, article=article, answer=answer, latency_ms=latency_ms, client=client,
                               channel=channel)

    def rows(self, article: str | None = None, since: date | None = None) -> list[QuestionRow]:
        """The logged questions, oldest first: :meth:`QuestionLog.rows`."""
        return self.log.rows(article, since)

    def rate(self, question_id: int, liked: bool | None, comment: str | None = None, *, client: str | None = None) -> bool:
        """Set the reader's 👍/👎 and comment on a logged question: :meth:`Ratings.rate`."""
        return self.ratings.rate(question_id, liked, comment, client=client)

    def open_session(self, seconds: float) -> str:
        """Open an editor's session lasting ``seconds``; its id: :meth:`Sessions.open_session`."""
        return self.sessions.open_session(seconds)

    def session_open(self, session_id: str, now: datetime | None = None) -> bool:
        """Whether ``session_id`` is open: :meth:`Sessions.session_open`."""
        return self.sessions.session_open(session_id, now)

    def end_session(self, session_id: str) -> None:
        """End ``session_id`` for every worker: :meth:`Sessions.end_session`."""
        self.sessions.end_session(session_id)

    def login_failed(self, client: str, now: float | None = None) -> None:
        """Count a wrong admin token from ``client``: :meth:`Limits.login_failed`."""
        self.limits.login_failed(client, now)

    def login_wait(self, client: str, now: float | None = None) -> int:
        """Seconds before ``client`` may try an admin token again (0: now): :meth:`Limits.login_wait`."""
        return self.limits.login_wait(client, now)

    def prune(self, now: datetime | None = None) -> int:
        """Delete what has aged out; how many questions were deleted: :meth:`Retention.prune`."""
        return self.retention.prune(now)

    def import_feedback(self, path: Path) -> int:
        """Import an old ``feedback.jsonl`` once; the rows imported: :meth:`FeedbackImport.import_feedback`."""
        return self.legacy.import_feedback(path)

    def recall(self, key: str) -> str | None:
        """The value kept under ``key``, or None: :meth:`KeyValues.recall`."""
        return self.cache.recall(key)

    def keep(self, key: str, value: str) -> str:
        """Store ``value`` under ``key`` unless one is there; the value kept: :meth:`KeyValues.keep`."""
        return self.cache.keep(key, value)

    def close(self) -> None:
        """Close the database connections (the engine is made again on next use)."""
        self.database.close()
