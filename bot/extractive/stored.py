"""Article evidence kept on disk: every table a question needs about an article, made once at ingest.

:class:`EvidenceStore` keeps each article's :class:`~bot.extractive.article.ArticleIndex` (sentence and passage
vectors, term tables, word tables and the word-piece vectors of token-level matching) in one SQLite file,
``<data_dir>/evidence.sqlite``. Ingest writes it (:meth:`NewsBot.ingest_many` through the store's commit hook), so
a question about an article that no process has looked at yet reads it (about a millisecond) instead of building it
(about 35 ms for a two-paragraph article, most of it encoding the passages again for their word pieces).

Decisions:

* **Keyed by content, not by id**: the article's content hash (title and text), the model, the chunk settings and a
  stamp of the code that builds the tables. The same text under two ids is built once; a changed article, another
  embedding model or a new release of the tables never reads a stale entry (the stale one is evicted in time).
* **A cache, never the truth**: Chroma holds the articles. A missing, unreadable or damaged file costs speed only:
  the index is built from the store as before, and a full disk skips the write (logged once) instead of failing the
  ingest or the question.
* **Bounded**: at most ``max_mb`` megabytes (``BOT_EVIDENCE_STORE_MB``); past it the least recently read entries go.
  Word pieces are kept as float16 (half the room; the matching's similarities change in the fourth decimal).
* **Never the disk's last room**: nothing is written while the disk has less than :data:`KEEP_FREE` bytes (or the
  storage reserve, if larger) free, so a cache never fills the disk the articles and the question log need.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import sqlite3
import threading
import time
from importlib import resources
from pathlib import Path

import numpy as np

from bot.extractive.article import ArticleIndex
from index.storage import free_bytes

__all__ = ["EvidenceStore", "evidence_key"]

log = logging.getLogger(__name__)

#: the modules whose code shapes an ArticleIndex: a change to any of them makes every stored entry stale
_BUILDERS = (("bot.extractive", "article.py"), ("bot.extractive", "tables.py"), ("bot.extractive", "words.py"),
             ("bot.extractive", "lexicon.py"), ("bot.extractive", "stored.py"), ("bot", "injection.py"))


def _code_stamp() -> str:
    digest = hashlib.sha256()
    for package, name in _BUILDERS:
        digest.update((resources.files(package) / name).read_bytes())
    return digest.hexdigest()[:16]


_STAMP = _code_stamp()
#: free bytes below which nothing is written (the storage reserve, ``BOT_STORAGE_RESERVE_MB``, when larger)
KEEP_FREE = 256_000_000


def evidence_key(content_hash: str, model: str, chunking: tuple[int, int]) -> str:
    """The key of an article's evidence: its content hash, the embedding model, the chunk size and overlap."""
    return hashlib.sha256(f"{_STAMP}|{model}|{chunking[0]}:{chunking[1]}|{content_hash}".encode()).hexdigest()


class EvidenceStore:
    """ArticleIndex tables in one SQLite file (see the module docstring). ``path=None``: keeps nothing."""

    def __init__(self, path: Path | None, max_mb: float = 20_000, reserve_mb: float = 0.0) -> None:
        self.path = path
        self.max_bytes = int(max_mb * 1_000_000)
        self.keep_free = max(KEEP_FREE, int(reserve_mb * 1_000_000))
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._off = path is None or max_mb <= 0
        self._warned = False
        self._total: int | None = None  # bytes stored, as this process last counted

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            assert self.path is not None
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("CREATE TABLE IF NOT EXISTS evidence (key TEXT PRIMARY KEY, data BLOB NOT NULL, "
                       "size INTEGER NOT NULL, used REAL NOT NULL)")
            db.execute("CREATE INDEX IF NOT EXISTS evidence_used ON evidence (used)")
            self._db = db
        return self._db

    def _failed(self, doing: str, exc: Exception) -> None:
        """A cache that cannot be read or written is turned off for this process, said once in the log."""
        if not self._warned:
            log.warning("the evidence store %s cannot be %s (%s: %s); questions build article tables instead",
                        self.path, doing, type(exc).__name__, exc)
            self._warned = True
        self._off = True

    def load(self, key: str, article_id: str, token_source=None) -> ArticleIndex | None:
        """The stored index for ``key`` (named ``article_id``), or None."""
        if self._off:
            return None
        try:
            with self._lock:
                row = self._conn().execute("SELECT data FROM evidence WHERE key = ?", (key,)).fetchone()
                if row is not None:
                    self._conn().execute("UPDATE evidence SET used = ? WHERE key = ?", (time.time(), key))
        except sqlite3.Error as exc:
            self._failed("read", exc)
            return None
        if row is None:
            return None
        try:
            state = pickle.loads(row[0])
        except Exception:  # written by a process killed mid-way, or by another release: build it again
            return None
        return _restore(state, article_id, token_source)

    def has(self, key: str) -> bool:
        """Whether ``key`` is stored (the same text ingested under another id, or again)."""
        if self._off:
            return False
        try:
            with self._lock:
                return self._conn().execute("SELECT 1 FROM evidence WHERE key = ?", (key,)).fetchone() is not None
        except sqlite3.Error as exc:
            self._failed("read", exc)
            return False

    def save(self, key: str, index: ArticleIndex) -> None:
        """Keep ``index`` (its word pieces computed first) under ``key``; past ``max_mb``, the least used go."""
        if self._off:
            return
        assert self.path is not None
        free = free_bytes(self.path.parent)
        if free is not None and free < self.keep_free:
            return
        data = pickle.dumps(_state(index), protocol=5)
        try:
            with self._lock:
                db = self._conn()
                db.execute("INSERT OR REPLACE INTO evidence VALUES (?, ?, ?, ?)", (key, data, len(data), time.time()))
                self._evict(db, len(data))
        except sqlite3.Error as exc:
            self._failed("written", exc)

    def _evict(self, db: sqlite3.Connection, added: int) -> None:
        if self._total is None:
            self._total = int(db.execute("SELECT COALESCE(SUM(size), 0) FROM evidence").fetchone()[0])
        else:
            self._total += added
        if self._total <= self.max_bytes:
            return
        total = self._total = int(db.execute("SELECT COALESCE(SUM(size), 0) FROM evidence").fetchone()[0])
        excess = total - int(self.max_bytes * 0.9)  # a tenth of room at once, so eviction is not paid on every write
        doomed, freed = [], 0
        for key, size in db.execute("SELECT key, size FROM evidence ORDER BY used"):
            if freed >= excess:
                break
            doomed.append((key,))
            freed += size
        db.executemany("DELETE FROM evidence WHERE key = ?", doomed)
        self._total = total - freed


def _state(index: ArticleIndex) -> dict:
    vecs, start, end = index.tokens()
    state = {k: v for k, v in index.__dict__.items() if k not in ("token_source", "_token_lock", "_tokens", "article_id")}
    state["_tokens"] = (vecs.astype(np.float16), start, end)
    return state


def _restore(state: dict, article_id: str, token_source) -> ArticleIndex:
    index = ArticleIndex.__new__(ArticleIndex)
    vecs, start, end = state.pop("_tokens")
    index.__dict__.update(state, article_id=article_id, token_source=token_source,
                          _token_lock=threading.Lock(), _tokens=(vecs.astype(np.float32), start, end))
    return index
