"""One question's path for every route: check → admit → answer (or stream) → record.

The four question routes (``POST /api/ask``, ``POST /v1/chat/completions``, the chat page's
answer and Gradio's named ``/ask``) and the rating route call :class:`QuestionService`; none of
them reaches into the bot's store or question log. What a route does itself is only its transport:
reading the request, and writing the answer in its own form.

* **check**: bad input is refused first (:func:`bot.checks.checked`), so it costs the client no token;
* **admit**: the client's rate limit and the article's daily cap (:class:`RateLimitedError` over
  either); a database that fails while serving lets the question in (logged as an error): readers
  keep their answers while the log's store is down;
* **answer**: :meth:`NewsBot.answer`, or :meth:`NewsBot.answer_stream` cut into a few words a piece;
* **record**: the question, its answer, scope, channel and latency go to the question log; the row id
  comes back with the answer (None when questions are not logged or the database failed).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from bot.chain import NewsBot
from bot.checks import Question
from bot.models import Answer
from index.errors import BackendUnavailableError, UnknownQuestionError

__all__ = ["Logged", "QuestionService", "stream_pieces"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Logged:
    """An answer and its row in the question log (``id``: None when it is not logged)."""

    answer: Answer
    id: int | None


def stream_pieces(text: str, words: int = 3) -> Iterator[str]:
    """``text`` in pieces of a few words, whitespace kept, so the pieces join back to ``text``."""
    parts = text.split(" ")
    for i in range(0, len(parts), words):
        piece = " ".join(parts[i : i + words])
        yield piece if i + words >= len(parts) else piece + " "


class QuestionService:
    """The question routes' one lifecycle, over ``bot`` and its question log."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self.settings = bot.settings
        self.logbook = bot.logbook  # the one place outside the bot that holds the question log

    def ask(self, question: object, history: object, article: object, *, client: str, channel: str) -> Logged:
        """Check, admit, answer and record one question."""
        asked, started = self._admit(question, history, article, client)
        answer = self.bot.answer(asked)
        return Logged(answer, self._record(asked, answer, client, channel, started))

    def stream(self, question: object, history: object, article: object, *, client: str, channel: str) -> Iterator[str | Logged]:
        """Check and admit now (raising before anything is streamed), then yield the answer as it is
        written, a few words (``settings.stream_chunk_words``) a piece, and last the recorded :class:`Logged`."""
        asked, started = self._admit(question, history, article, client)
        return self._streamed(asked, started, client, channel)

    def _streamed(self, asked: Question, started: float, client: str, channel: str) -> Iterator[str | Logged]:
        for piece in self.bot.answer_stream(asked):
            if isinstance(piece, Answer):
                yield Logged(piece, self._record(asked, piece, client, channel, started))
                return
            yield from stream_pieces(piece, self.settings.stream_chunk_words)

    def _admit(self, question: object, history: object, article: object, client: str) -> tuple[Question, float]:
        asked = self.bot.check(question, history, article)
        try:
            self.logbook.admit(client, asked.article)
        except (BackendUnavailableError, SQLAlchemyError) as exc:  # a database failing mid-run (down, or its tables gone)
            log.error("the limits were not checked: %s", exc)
        return asked, time.perf_counter()

    def _record(self, asked: Question, answer: Answer, client: str, channel: str, started: float) -> int | None:
        try:
            return self.logbook.record(question=asked.text, article=asked.article, answer=answer, client=client,
                                       channel=channel, latency_ms=(time.perf_counter() - started) * 1000)
        except (BackendUnavailableError, SQLAlchemyError) as exc:
            log.error("a question was not logged: %s", exc)
            return None

    def rate(self, row: int, liked: bool | None, comment: str | None = None, *, client: str) -> None:
        """👍/👎 (None takes it back) and an optional comment on the logged answer ``row``, by the client
        that asked it; :class:`UnknownQuestionError` when there is no such answer of that client's."""
        if not self.settings.log_questions:
            raise UnknownQuestionError("questions are not logged here (BOT_LOG_QUESTIONS=false), so there is nothing to rate")
        if not self.logbook.rate(row, liked, comment, client=client):
            raise UnknownQuestionError(f"no logged answer {row} asked from this client: send the `id` that /api/ask returned")

    def articles(self) -> list[dict]:
        """Every article's row with its suggested questions (``bot articles --json``)."""
        return self.bot.articles()

    def rows(self) -> list[dict]:
        """Every article's row, without suggestions (cheap: a page needs one article's, not every one's)."""
        return self.bot.rows()

    def row(self, article_id: str) -> dict | None:
        """One article's row, without suggestions (read now: a page scoped to an article reads nothing else)."""
        return self.bot.row(article_id)

    def suggested(self, article_id: str) -> list[str]:
        return self.bot.suggested_questions(article_id)

    def health(self) -> dict:
        """Liveness and the number of indexed articles."""
        return {"status": "ok", "articles": self.bot.count()}
