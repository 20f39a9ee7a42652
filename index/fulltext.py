"""BM25 over every stored passage, kept on disk: SQLite FTS5, in ``<data_dir>/fulltext.sqlite``.

An unscoped question fuses Chroma's nearest passages with the passages BM25 ranks highest
(:class:`bot.retrieval.HybridRetriever`). Before, that BM25 index lived in each process's memory, held every
passage's text and was rebuilt whole after every ingest; at 100,000 articles that is gigabytes and minutes. Here:

* **on disk, updated in place**: ingest adds the articles it commits (the store's commit hook), removal drops
  them; nothing is rebuilt, and the process holds only SQLite's page cache, whatever the archive's size;
* **never the truth**: each indexed article is recorded with its content hash. When the store's generation changes
  (any process's ingest or removal), :meth:`FullTextIndex.sync` compares that list with the store's and indexes
  what is missing or changed, drops what is gone: a store filled by another machine (a Chroma server), an index
  file deleted or left behind by a crash, all come right on the next unscoped question. The comparison reads every
  article's hash (about 10 s at 100,000 articles), so a question does not wait for it: it runs in a thread of its
  own while questions search the file as it is, each hit checked against the store's hash of its article
  (:meth:`FullTextIndex.search`'s ``current``), so a removed or changed article's old passages are never used;
  a file in line with the store needs no such check, and its hits give the store's hash of their article.
  Only an empty file (a new worker machine, a deleted file) is filled before the question searches it. The file
  records the generation it was last compared at, so a process started later does not compare again, and an
  ingest through this data dir moves that record on with the articles it adds (the generations before and after
  its batch, written under the store's writer lock): a file in line before the batch is in line after it, so the
  workers sharing the data dir never compare after an ingest or a removal (``bot remove`` moves it on the same
  way). Only a store written through another data dir (a Chroma server's other machines) costs a comparison;
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


def _moved_on(db: sqlite3.Connection, moved: tuple[str, str] | None) -> None:
    """Record the store's generation after a write (``moved``: before, after) if the file was in line before it,
    in the caller's transaction."""
    if moved is not None and moved[0] and moved[1]:
        db.execute("UPDATE state SET value = ? WHERE key = 'generation' AND value = ?", (moved[1], moved[0]))


class FullTextIndex:
    """The passages' BM25 index (see the module docstring). ``path=None`` keeps it in memory."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._synced: str | None = None  # the store generation the index was last compared with
        self._syncing = threading.Lock()  # one comparison at a time
        self._behind: threading.Thread | None = None  # the comparison running in the background, if any
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
            db.execute("CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            self._db = db
        return self._db

    def add(self, articles: Iterable[StoredArticle], moved: tuple[str, str] | None = None) -> None:
        """Index (or index again) ``articles``' passages. ``moved``: the store's generations before and after
        writing exactly these articles (an ingest's commit hook): a file compared at the first is then in line
        with the second, and is marked so in the same transaction, so no process compares it again."""
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
                _moved_on(db, moved)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def remove(self, article_ids: Iterable[str], moved: tuple[str, str] | None = None) -> None:
        """Drop ``article_ids``' passages; ``moved`` as for :meth:`add` (a removal's hook)."""
        with self._lock:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                for article_id in article_ids:
                    _drop(db, article_id)
                _moved_on(db, moved)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def sync(self, generation: str, hashes: Callable[[], dict[str, str]], read: Callable[[list[str]], Iterable[StoredArticle]],
             wait: bool = True) -> None:
        """Make the index match the store at ``generation``: ``hashes()`` gives every stored article's content
        hash (a read of the whole archive), ``read(ids)`` the stored articles to index. Nothing to do when this
        process, or any other, compared at that generation already. ``wait=False``: a file that holds articles is
        compared in a background thread and this returns at once (search it with ``current``); an empty one is
        filled before this returns."""
        if generation == self._synced:
            return
        with self._lock:
            db = self._conn()
            recorded = db.execute("SELECT value FROM state WHERE key = 'generation'").fetchone()
            holds_any = db.execute("SELECT 1 FROM indexed LIMIT 1").fetchone() is not None
        if recorded is not None and recorded[0] == generation:
            self._synced = generation
        elif wait or not holds_any:
            self._compare(generation, hashes, read)
        else:
            with self._lock:
                if self._behind is not None and self._behind.is_alive():
                    return
                self._behind = threading.Thread(target=self._compare_logged, args=(generation, hashes, read),
                                                name="bm25-sync", daemon=True)
                self._behind.start()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a background comparison (:meth:`sync` with ``wait=False``) to finish."""
        behind = self._behind
        if behind is not None:
            behind.join(timeout)

    def _compare_logged(self, generation: str, hashes: Callable[[], dict[str, str]], read: Callable) -> None:
        try:
            self._compare(generation, hashes, read)
        except Exception as exc:  # the store or the file failed: questions go on with the file as it is
            log.warning("bringing the BM25 index %s up to date failed (%s: %s); the next question tries again",
                        self.path, type(exc).__name__, exc)

    def _compare(self, generation: str, hashes: Callable[[], dict[str, str]], read: Callable) -> None:
        with self._syncing:
            if generation == self._synced:
                return
            stored = hashes()  # after ``generation`` was read: an article written since is compared next time
            with self._lock:
                indexed = dict(self._conn().execute("SELECT article_id, hash FROM indexed").fetchall())
            gone = [a for a in indexed if a not in stored]
            stale = [a for a, h in stored.items() if indexed.get(a) != h]
            if gone:
                self.remove(gone)
            if stale:
                log.info("indexing %d articles' passages for BM25 (%s)", len(stale), self.path)
                for first in range(0, len(stale), 500):
                    self.add(read(stale[first:first + 500]))
            with self._lock:
                self._conn().execute("INSERT OR REPLACE INTO state VALUES ('generation', ?)", (generation,))
            self._synced = generation

    def search(self, query: str, k: int, current: Callable[[list[str]], dict[str, str]] | None = None,
               generation: str | None = None) -> list[Passage]:
        """The ``k`` passages (at most) that BM25 ranks highest for ``query``, best first, unscored, each with the
        content hash its article was indexed at where that is known to be the store's (else empty).

        With ``current`` (article ids → the store's content hash of those stored), only passages of the text the
        store holds now: none of an article removed, or changed, since the file was compared. A file compared at
        ``generation`` (the store's, as the caller last read it) holds exactly the store's text then, so its hits
        are not looked up (on a Chroma server, one request a question fewer)."""
        wanted = dict.fromkeys(_token(t) for t in terms(query))
        if not wanted:
            return []
        match = " OR ".join(f'"{t}"' for t in wanted)
        # the best k first, alone: joined to ``indexed`` in the same query, SQLite looked up every matching
        # passage's article before sorting (unscoped p50 at 100,000 articles 75 → 163 ms)
        query_sql = ("SELECT article_id, title, url, start, end, text FROM passages WHERE passages MATCH ? "
                     "ORDER BY bm25(passages) LIMIT ?")
        if self.path is None:  # one in-memory database, one connection
            with self._lock:
                rows, indexed, recorded = self._read(self._conn(), query_sql, match, k)
        else:
            db = self._reader()
            db.execute("BEGIN")  # the reads see one state of the file
            try:
                rows, indexed, recorded = self._read(db, query_sql, match, k)
            finally:
                db.execute("COMMIT")
        in_line = generation is not None and recorded == generation
        if current is not None and not in_line:
            now = current(sorted(indexed))
            rows = [row for row in rows if now.get(row[0]) == indexed.get(row[0])]
        known = indexed if in_line or current is not None else {}  # a hash not known to be the store's is not given
        return [Passage(a, title, text, int(start), int(end), 0.0, url, known.get(a, "")) for a, title, url, start, end, text in rows]

    @classmethod
    def _read(cls, db: sqlite3.Connection, query_sql: str, match: str, k: int) -> tuple[list, dict[str, str], str | None]:
        """The best ``k`` rows, the hash their articles were indexed at, the generation the file was compared at."""
        rows = db.execute(query_sql, (match, k)).fetchall()
        recorded = db.execute("SELECT value FROM state WHERE key = 'generation'").fetchone()
        return rows, cls._indexed(db, rows), recorded[0] if recorded else None

    @staticmethod
    def _indexed(db: sqlite3.Connection, rows: list) -> dict[str, str]:
        """The hash each of ``rows``' articles was indexed at."""
        ids = sorted({row[0] for row in rows})
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        return dict(db.execute(f"SELECT article_id, hash FROM indexed WHERE article_id IN ({marks})", ids).fetchall())
