"""Each article revision's suggested questions, made once and kept, and the article list that carries them.

:class:`SuggestionCache` holds what :meth:`bot.chain.NewsBot.articles` and
:meth:`~bot.chain.NewsBot.suggested_questions` return. Suggestions are made once per article revision
(its content hash: a re-ingested article gets new ones), in memory for this process and in the
database's key/value cache for every process that shares it; the article list is read again only
when the store's generation changes. Safe to call from many threads: one thread makes an article's
suggestions, the others wait for them.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import threading
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError

from index.errors import BotError
from index.loader import Article

__all__ = ["SuggestionCache"]

#: how long a caller of :meth:`SuggestionCache.rows` waits for the article list read again after a change
REREAD_WAIT_S = 0.5

log = logging.getLogger(__name__)


class SuggestionCache:
    """Suggested questions by (article id, content hash), and the article list by store generation.

    ``store`` is the article store (its ``generation``, ``articles`` and ``article_text``), ``kept`` the
    database's key/value cache (``recall``/``keep``), ``make(article_id, n)`` makes at most ``n``
    suggestions, and ``config`` is what they depend on beyond the text (the limit is added to it)."""

    def __init__(self, store, kept, make: Callable[[str, int], list[str]], limit: int, config: list) -> None:
        self.store, self.kept, self.make, self.limit, self.config = store, kept, make, limit, config
        self._suggested: dict[tuple[str, str], list[str]] = {}
        self._suggesting: dict[tuple[str, str], threading.Lock] = {}
        self._listed: tuple[str, list[dict]] | None = None
        self._listing: tuple[str, list[dict]] | None = None
        self._rereading: threading.Thread | None = None
        self._lock = threading.Lock()

    def articles(self) -> list[dict]:
        """Every article's row with its ``"suggested"`` questions; cached until the store changes."""
        generation, rows = self.rows()
        with self._lock:
            if self._listing is not None and self._listing[0] == generation:
                return copy.deepcopy(self._listing[1])
        listing = [{**row, "suggested": self.of(row)} for row in rows]
        with self._lock:
            self._listing = (generation, listing)
        return copy.deepcopy(listing)

    def rows(self) -> tuple[str, list[dict]]:
        """The store's generation and its article rows (the generation they were read at). Read whole the
        first time; when the store has changed since, they are read again in a thread of their own (a read of
        every article: about 6 s at 100,000) and the rows read before are returned unless it is done within
        :data:`REREAD_WAIT_S`: no page waits seconds after an ingest."""
        generation = self.store.generation()
        with self._lock:
            listed, rereading = self._listed, self._rereading
            if listed is not None and listed[0] == generation:
                return listed
            if listed is not None and rereading is None:
                rereading = self._rereading = threading.Thread(target=self._reread, name="article-rows", daemon=True)
                rereading.start()
        if listed is None:
            return self._read()
        assert rereading is not None
        rereading.join(REREAD_WAIT_S)
        with self._lock:
            return self._listed or listed

    def _read(self) -> tuple[str, list[dict]]:
        listed = (self.store.generation(), self.store.articles())  # the generation first: a later change reads again
        with self._lock:
            self._listed = listed
        return listed

    def _reread(self) -> None:
        try:
            self._read()
        except Exception as exc:  # the store failed: the rows read before stay, the next call tries again
            log.warning("reading the article list again failed (%s: %s)", type(exc).__name__, exc)
        finally:
            with self._lock:
                self._rereading = None

    def row(self, article_id: str) -> dict | None:
        """The stored article ``article_id``'s row (as :meth:`rows` gives it), read now; None if none."""
        found = self.store.articles([article_id])
        return found[0] if found else None

    def for_article(self, article_id: str) -> list[str]:
        """The suggestions of the stored article ``article_id``."""
        return self.of(self.row(article_id) or {"id": article_id, "title": ""})

    def of(self, row: dict) -> list[str]:
        """``row``'s (a row of the store's article list) suggested questions: its metadata's own first."""
        article_id, limit = row["id"], self.limit
        own = list(dict.fromkeys(row.get("questions", [])))[:limit]
        if len(own) >= limit:
            return own
        # the revision: the content hash the store keeps for the article (title and text), computed as it does
        key = (article_id, Article(article_id, row["title"], self.store.article_text(article_id)).content_hash)
        with self._lock:
            lock = self._suggesting.setdefault(key, threading.Lock())
        with lock:  # one thread makes an article's suggestions; the others wait for them
            with self._lock:
                made = self._suggested.get(key)
            if made is None:
                made = self._kept(key[1], limit - len(own), lambda n: self.make(article_id, n))
                with self._lock:
                    for old in [k for k in self._suggested if k[0] == article_id]:  # an earlier revision's
                        del self._suggested[old]
                    self._suggested[key] = made
                    self._suggesting.pop(key, None)
        return (own + [q for q in made if q not in own])[:limit]

    def _kept(self, content_hash: str, limit: int, make: Callable[[int], list[str]]) -> list[str]:
        """The suggestions for an article revision, made once for every process that shares the database:
        the key holds what they depend on. A database that fails only costs making them again."""
        config = json.dumps([content_hash, limit, *self.config])
        key = "suggested:" + hashlib.sha256(config.encode("utf-8")).hexdigest()[:40]
        try:
            if (kept := self.kept.recall(key)) is not None:
                return json.loads(kept)
        except (BotError, SQLAlchemyError, ValueError) as exc:
            log.warning("suggested questions not read from the database: %s", exc)
        made = make(limit)
        try:
            self.kept.keep(key, json.dumps(made, ensure_ascii=False))
        except (BotError, SQLAlchemyError) as exc:
            log.warning("suggested questions not kept in the database: %s", exc)
        return made
