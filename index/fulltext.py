"""BM25 over every stored passage, kept on disk: SQLite FTS5, in ``<data_dir>/fulltext.sqlite``.

An unscoped question fuses Chroma's nearest passages with the passages BM25 ranks highest
(:class:`bot.retrieval.HybridRetriever`). Before, that BM25 index lived in each process's memory, held every
passage's text and was rebuilt whole after every ingest; at 100,000 articles that is gigabytes and minutes. Here:

* **on disk, updated in place**: ingest adds the articles it commits (the store's commit hook), removal drops
  them; nothing is rebuilt, and the process holds only SQLite's page cache, whatever the archive's size;
* **never the truth**: each indexed article is recorded with its content hash. When the store's generation changes
  (any process's ingest or removal), :meth:`FullTextIndex.sync` compares that list with the store's and indexes
  what is missing or changed, drops what is gone: a store filled by another machine (a Chroma server), an index
  file deleted or left behind by a crash, all come right on the next unscoped question;
* **writes that stay cheap as it grows**: FTS5 cannot look its unindexed columns up, so finding an article's
  passages by ``article_id`` read the whole table (a re-ingest at 20,000 articles took most of a second, and
  every new article paid it). The ``passage_rows`` table maps each article to its passages' rowids (indexed),
  and a new article deletes nothing. A file of an older layout (``PRAGMA user_version``) is emptied and filled
  again by the next :meth:`FullTextIndex.sync`;
* **the same terms as the rest of the bot** (:func:`index.terms.terms`, stemmed, stop words out), each written as
  one FTS5 token; FTS5's ``bm25()`` ranks (k1 1.2, b 0.75; the in-memory index used bm25s' 1.5 and 0.75).
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from index.records import Passage, StoredArticle
from index.terms import terms

__all__ = ["FullTextIndex"]

log = logging.getLogger(__name__)

_JOINER = re.compile(r"[^0-9a-z]")  # inside a term ("u.s", "o'neil", accents): one FTS5 token all the same


def _token(term: str) -> str:
    return _JOINER.sub(lambda m: f"x{ord(m.group(0)):x}x", term)


def _body(text: str) -> str:
    return " ".join(_token(t) for t in terms(text))


LAYOUT = 2  # PRAGMA user_version of the file's tables; 1 (or 0): without passage_rows


def _drop(db: sqlite3.Connection, article_id: str) -> None:
    """Delete an article's passages (found through ``passage_rows``) and its ``indexed`` row, in the caller's transaction."""
    db.execute("DELETE FROM passages WHERE rowid IN (SELECT passage FROM passage_rows WHERE article_id = ?)", (article_id,))
    db.execute("DELETE FROM passage_rows WHERE article_id = ?", (article_id,))
    db.execute("DELETE FROM indexed WHERE article_id = ?", (article_id,))


class FullTextIndex:
    """The passages' BM25 index (see the module docstring). ``path=None`` keeps it in memory."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._synced: str | None = None  # the store generation the index was last compared with
        self._readers = threading.local()  # a connection per searching thread: searches run side by side (WAL)

    def _reader(self) -> sqlite3.Connection:
        """This thread's connection for searching (SQLite runs queries without the interpreter lock; one shared
        connection would make a server's threads search one at a time)."""
        db = getattr(self._readers, "db", None)
        if db is None:
            assert self.path is not None  # an in-memory index has its one connection
            with self._lock:
                self._conn()  # the tables exist, in this release's layout
            db = self._readers.db = sqlite3.connect(self.path, timeout=60, check_same_thread=False, isolation_level=None)
        return db

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path or ":memory:", timeout=60, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            if db.execute("PRAGMA user_version").fetchone()[0] != LAYOUT:
                db.execute("BEGIN IMMEDIATE")  # another process may be doing the same: look again holding the lock
                if db.execute("PRAGMA user_version").fetchone()[0] != LAYOUT:
                    for table in ("passages", "indexed", "passage_rows"):
                        db.execute(f"DROP TABLE IF EXISTS {table}")
                    db.execute("CREATE VIRTUAL TABLE passages USING fts5(body, article_id UNINDEXED, "
                               "title UNINDEXED, url UNINDEXED, start UNINDEXED, end UNINDEXED, text UNINDEXED)")
                    db.execute("CREATE TABLE indexed (article_id TEXT PRIMARY KEY, hash TEXT NOT NULL)")
                    db.execute("CREATE TABLE passage_rows (article_id TEXT NOT NULL, passage INTEGER NOT NULL)")
                    db.execute("CREATE INDEX passage_rows_article ON passage_rows (article_id)")
                    db.execute(f"PRAGMA user_version = {LAYOUT}")
                db.execute("COMMIT")
            self._db = db
        return self._db

    def add(self, articles: Iterable[StoredArticle]) -> None:
        """Index (or index again) ``articles``' passages."""
        with self._lock:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                after = db.execute("SELECT coalesce(max(rowid), 0) FROM passages").fetchone()[0]
                for a in articles:
                    if db.execute("SELECT 1 FROM indexed WHERE article_id = ?", (a.id,)).fetchone():
                        _drop(db, a.id)
                    title, url = a.meta.get("title", a.id), a.meta.get("url")
                    rows = [(after + 1 + i, _body(text), a.id, title, url, int(start), int(end), text)
                            for i, (text, start, end) in enumerate(zip(a.passages.texts, a.passages.starts, a.passages.ends))]
                    after += len(rows)
                    db.executemany("INSERT INTO passages (rowid, body, article_id, title, url, start, end, text) "
                                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
                    db.executemany("INSERT INTO passage_rows VALUES (?, ?)", [(a.id, row[0]) for row in rows])
                    db.execute("INSERT OR REPLACE INTO indexed VALUES (?, ?)", (a.id, str(a.meta.get("hash", ""))))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def remove(self, article_ids: Iterable[str]) -> None:
        with self._lock:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                for article_id in article_ids:
                    _drop(db, article_id)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def sync(self, generation: str, hashes: dict[str, str], read: Callable[[list[str]], Iterable[StoredArticle]]) -> None:
        """Make the index match the store, whose articles' content hashes are ``hashes`` (at ``generation``);
        ``read(ids)`` gives the stored articles to index. Cheap when nothing differs; at most once per generation."""
        if generation == self._synced:
            return
        with self._lock:
            indexed = dict(self._conn().execute("SELECT article_id, hash FROM indexed").fetchall())
        gone = [a for a in indexed if a not in hashes]
        stale = [a for a, h in hashes.items() if indexed.get(a) != h]
        if gone:
            self.remove(gone)
        if stale:
            log.info("indexing %d articles' passages for BM25 (%s)", len(stale), self.path)
            for first in range(0, len(stale), 500):
                self.add(read(stale[first:first + 500]))
        self._synced = generation

    def search(self, query: str, k: int) -> list[Passage]:
        """The ``k`` passages (at most) that BM25 ranks highest for ``query``, best first, unscored."""
        wanted = dict.fromkeys(_token(t) for t in terms(query))
        if not wanted:
            return []
        match = " OR ".join(f'"{t}"' for t in wanted)
        query_sql = ("SELECT article_id, title, url, start, end, text FROM passages WHERE passages MATCH ? "
                     "ORDER BY bm25(passages) LIMIT ?")
        if self.path is None:  # one in-memory database, one connection
            with self._lock:
                rows = self._conn().execute(query_sql, (match, k)).fetchall()
        else:
            rows = self._reader().execute(query_sql, (match, k)).fetchall()
        return [Passage(a, title, text, int(start), int(end), 0.0, url) for a, title, url, start, end, text in rows]
