"""Per-process cache of :class:`~bot.extractive.article.ArticleIndex` objects, reloaded when the store changes.

Three levels: this process's memory (``max_articles``, least recently used out), the evidence store on disk
(:mod:`bot.extractive.stored`, written at ingest), and building from the Chroma store (then kept on disk too)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from bot.extractive.article import ArticleIndex
from bot.extractive.stored import EvidenceStore, evidence_key
from index.embeddings import TokenEmbeddings
from index.records import StoredArticle

__all__ = ["EvidenceCache"]

#: ids whose content hash a process keeps looked up per store generation, at most (about 150 bytes each)
KNOWN_MAX = 100_000


class EvidenceCache:
    """ArticleIndex objects by article id, rebuilt when the store's generation changes.

    The generation is read at most once per ``ttl`` seconds, so a hot question reads
    nothing from Chroma; an ingest in this process invalidates at once, one in another
    process within ``ttl``.

    What a question needs to know about the archive is looked up per article and kept for the generation: the
    count, and the content hash of each article asked about (:meth:`hashes_of`, one lookup for all a question
    names). Every article's hash (:meth:`content_hashes`, :meth:`article_ids`) is one read of the whole archive,
    about 10 s at 100,000 articles: no question waits on it, or every worker would stall after each ingest.
    """

    def __init__(self, store, embeddings=None, max_articles: int = 64, ttl: float = 1.0, disk: EvidenceStore | None = None) -> None:
        self.store = store
        self.embeddings = embeddings
        self.disk = disk or EvidenceStore(None)
        self.max_articles = max_articles
        self.ttl = ttl
        self._items: OrderedDict[str, ArticleIndex] = OrderedDict()
        self._generation: str | None = None
        self._checked = 0.0
        self._hashes: dict[str, str] | None = None  # every stored article's content hash, by id
        self._ids: list[str] | None = None
        self._known: dict[str, str | None] = {}  # content hash by id, of the ids looked up (None: not stored)
        self._count: int | None = None
        self._lock = threading.RLock()

    def invalidate(self) -> None:
        with self._lock:
            self._forget()
            self._generation = None
            self._checked = 0.0

    def _fresh(self) -> None:
        now = time.monotonic()
        if now - self._checked < self.ttl and self._generation is not None:
            return
        generation = self.store.generation()
        with self._lock:
            if generation != self._generation:
                self._forget()
                self._generation = generation
            self._checked = now

    def _forget(self) -> None:
        self._items.clear()
        self._hashes = self._ids = self._count = None
        self._known = {}

    def generation(self) -> str | None:
        """The store's generation, as last read (at most ``ttl`` seconds ago)."""
        self._fresh()
        return self._generation

    def article_ids(self) -> list[str]:
        """Ids of every stored article, sorted (cached like the rest)."""
        return self._listing()[1]

    def __contains__(self, article_id: str) -> bool:
        return article_id in self.hashes_of([article_id])

    def count(self) -> int:
        """How many articles are stored (cached like the rest)."""
        self._fresh()
        with self._lock:
            if self._hashes is not None:
                return len(self._hashes)
            generation, count = self._generation, self._count
        if count is None:
            count = self.store.count()
            with self._lock:
                if generation == self._generation:
                    self._count = count
        return count

    def hashes_of(self, article_ids: list[str]) -> dict[str, str]:
        """The content hash by id of those of ``article_ids`` that are stored: one lookup of the ids this process
        has not looked up since the store last changed, none for the others."""
        self._fresh()
        with self._lock:
            if self._hashes is not None:
                return {a: self._hashes[a] for a in article_ids if a in self._hashes}
            generation = self._generation
            known = {a: self._known[a] for a in article_ids if a in self._known}  # read now: a change clears them
        missing = [a for a in dict.fromkeys(article_ids) if a not in known]
        found = self.store.content_hashes(missing) if missing else {}
        known.update((a, found.get(a)) for a in missing)
        with self._lock:
            if generation == self._generation:  # else the store changed meanwhile: answer, keep nothing
                if len(self._known) > KNOWN_MAX:
                    self._known = {}
                self._known.update((a, found.get(a)) for a in missing)
        return {a: h for a in article_ids if (h := known[a]) is not None}

    def learn(self, hashes: dict[str, str], generation: str | None) -> None:
        """Keep content hashes the store gave with something else (a search's hits), read after ``generation``
        was (:meth:`generation`): they hold for it, or for a later one that clears them at the next look. Kept
        only while the cache is still at ``generation``: learnt after it moved on, an old text's hash would be
        taken for the new generation's."""
        with self._lock:
            if generation is not None and generation == self._generation and self._hashes is None \
                    and len(self._known) + len(hashes) <= KNOWN_MAX:
                self._known.update(hashes)

    def content_hashes(self) -> dict[str, str]:
        """Every stored article's content hash, by id (cached like the rest)."""
        return self._listing()[0]

    def _listing(self) -> tuple[dict[str, str], list[str]]:
        """Every stored article's content hash by id, and the ids sorted: read once per store generation."""
        self._fresh()
        with self._lock:
            if self._hashes is not None and self._ids is not None:
                return self._hashes, self._ids
            generation = self._generation
        hashes = self.store.content_hashes()  # outside the lock: seconds at 100,000, and questions go on meanwhile
        ids = sorted(hashes)
        with self._lock:
            if generation == self._generation:
                self._hashes, self._ids = hashes, ids
        return hashes, ids

    def _key(self, content_hash: str) -> str:
        return evidence_key(content_hash, str(getattr(self.embeddings, "model", "")),
                            (self.store.chunk_size, self.store.chunk_overlap))

    def get(self, article_id: str) -> ArticleIndex:
        self._fresh()
        with self._lock:
            if article_id in self._items:
                self._items.move_to_end(article_id)
                return self._items[article_id]
        content_hash = self.hashes_of([article_id]).get(article_id)
        index = self.disk.load(self._key(content_hash), article_id, self._tokens_from()) if content_hash else None
        if index is None:
            record = self.store.article_data(article_id)
            index = ArticleIndex.from_record(record, self.embeddings)
            if content_hash and content_hash == record.meta.get("hash"):
                self.disk.save(self._key(content_hash), index)
        self._remember(article_id, index)
        return index

    def _remember(self, article_id: str, index: ArticleIndex) -> None:
        with self._lock:
            self._items[article_id] = index
            while len(self._items) > self.max_articles:
                self._items.popitem(last=False)

    def _tokens_from(self) -> TokenEmbeddings | None:
        return self.embeddings if isinstance(self.embeddings, TokenEmbeddings) else None

    def keep(self, records: list[StoredArticle], moved: tuple[str, str] | None = None) -> None:
        """Build and store the evidence of just-ingested articles (the store's commit hook, whose generations
        ``moved`` it does not need), so that no question ever builds it."""
        for record in records:
            key = self._key(record.meta["hash"])
            if not self.disk.has(key):  # the same text is kept once, whatever its ids
                self.disk.save(key, ArticleIndex.from_record(record, self.embeddings))
