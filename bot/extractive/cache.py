"""Per-process cache of :class:`~bot.extractive.article.ArticleIndex` objects, reloaded when the store changes."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from bot.extractive.article import ArticleIndex

__all__ = ["EvidenceCache"]


class EvidenceCache:
    """ArticleIndex objects by article id, rebuilt when the store's generation changes.

    The generation is read at most once per ``ttl`` seconds, so a hot question reads
    nothing from Chroma; an ingest in this process invalidates at once, one in another
    process within ``ttl``.
    """

    def __init__(self, store, embeddings=None, max_articles: int = 64, ttl: float = 1.0) -> None:
        self.store = store
        self.embeddings = embeddings
        self.max_articles = max_articles
        self.ttl = ttl
        self._items: OrderedDict[str, ArticleIndex] = OrderedDict()
        self._generation: str | None = None
        self._checked = 0.0
        self._ids: list[str] | None = None
        self._lock = threading.RLock()

    def invalidate(self) -> None:
        with self._lock:
            self._items.clear()
            self._ids = None
            self._generation = None
            self._checked = 0.0

    def _fresh(self) -> None:
        now = time.monotonic()
        if now - self._checked < self.ttl and self._generation is not None:
            return
        generation = self.store.generation()
        with self._lock:
            if generation != self._generation:
                self._items.clear()
                self._ids = None
                self._generation = generation
            self._checked = now

    def article_ids(self) -> list[str]:
        """Ids of every stored article (cached like the rest)."""
        self._fresh()
        with self._lock:
            if self._ids is None:
                self._ids = [a["id"] for a in self.store.articles()]
            return self._ids

    def get(self, article_id: str) -> ArticleIndex:
        self._fresh()
        with self._lock:
            if article_id in self._items:
                self._items.move_to_end(article_id)
                return self._items[article_id]
        index = ArticleIndex.from_record(self.store.article_data(article_id), self.embeddings)
        with self._lock:
            self._items[article_id] = index
            while len(self._items) > self.max_articles:
                self._items.popitem(last=False)
        return index
