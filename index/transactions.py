"""Writing to the store as recoverable transactions, one writer at a time.

An ingest or a removal of articles is one transaction:

1. a *pending marker* (a record in the ``<prefix>_meta`` collection naming the articles and
   the new revision) is written first;
2. the new passages are added under fresh ids tagged with that revision, beside the old
   ones, which readers keep using: they only read records whose ``rev`` equals the one in
   their article's record;
3. the article records are upserted with the new revision: the commit point, one write;
4. the records of every other revision of those articles are deleted, then the marker.

A crash anywhere leaves the old article or the new one, never passages without an article;
the marker tells the next writer (``bot ingest``, ``bot remove``, ``bot serve`` start-up or
``bot repair``) which articles to clean. Writers on one machine are serialised by an
exclusive ``flock`` on ``<data dir>/store.lock`` (and a thread lock), so a marker found while
holding the lock belongs to a writer that died. Writers on other machines (Chroma server mode)
cannot take that lock: their markers count as abandoned once older than ``STALE_AFTER``
seconds, far longer than the write phase of one batch (embedding happens before it).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.errors import BackendUnavailableError, UnknownArticleError
from index.chunking import Chunk, Sentence, chunk_article, split_sentences
from index.encoding import Device, Encoding, ingest_encoder
from index.loader import Article
from index.records import Spans, StoredArticle
from index.storage import check_room, estimate_bytes, is_storage_failure

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

__all__ = ["IngestResult", "RepairReport", "TransactionalWrites", "WriteLock", "WriterBusy", "STALE_AFTER", "in_batches"]

#: Seconds after which another machine's pending marker is taken as abandoned.
STALE_AFTER = 600.0
MARKER_KIND = "pending"
_HOST = socket.gethostname()


class WriterBusy(BackendUnavailableError):
    """Another writer held the store's write lock for longer than the caller would wait."""


class WriteLock:
    """One writer at a time: a thread lock in this process and an exclusive ``flock`` across
    processes on this machine (none for a store without a data dir)."""

    def __init__(self, path: Path | None, timeout: float = 300.0) -> None:
        self.path = path
        self.timeout = timeout
        self._thread_lock = threading.RLock()

    @contextmanager
    def hold(self, timeout: float | None = None) -> Iterator[None]:
        """Hold the lock, waiting at most ``timeout`` seconds (default: the lock's own) for it."""
        timeout = self.timeout if timeout is None else timeout
        if not self._thread_lock.acquire(timeout=timeout):
            raise WriterBusy("another ingest in this process is still writing; try again later")
        try:
            if self.path is None:
                yield
                return
            with self._file_lock(self.path, timeout):
                yield
        finally:
            self._thread_lock.release()

    @contextmanager
    def _file_lock(self, path: Path, timeout: float) -> Iterator[None]:
        import fcntl

        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise BackendUnavailableError(
                f"cannot write to the data dir {path.parent} ({exc.strerror}); "
                "give a writable --data-dir (or BOT_DATA_DIR)"
            ) from None
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise WriterBusy(
                            f"another process has been writing to {path.parent} for over {timeout:.0f} s; "
                            "wait for it to finish and try again"
                        ) from None
                    time.sleep(0.05)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock, also when the process is killed


def marker_record(rev: str, article_ids: list[str]) -> dict:
    """The metadata of a pending marker: which articles, which revision, and who writes them."""
    return {
        "kind": MARKER_KIND,
        "rev": rev,
        "articles": "\n".join(article_ids),
        "host": _HOST,
        "pid": os.getpid(),
        "started": time.time(),
    }


def is_abandoned(marker: dict, now: float | None = None) -> bool:
    """Whether a marker found while holding the write lock belongs to no live writer: every writer
    on this machine holds the same lock, so only another machine's recent marker may still be live."""
    if marker.get("host") == _HOST:
        return True
    return (now or time.time()) - float(marker.get("started", 0)) > STALE_AFTER


def in_batches(items: list, size: int) -> Iterator[list]:
    """``items`` in consecutive slices of at most ``size`` (Chroma's maximum batch size)."""
    for first in range(0, len(items), size):
        yield items[first : first + size]


@dataclass(frozen=True)
class IngestResult:
    article_id: str
    title: str
    status: str  # "added", "updated" or "unchanged"
    chunks: int
    sentences: int


@dataclass(frozen=True)
class RepairReport:
    """What :meth:`TransactionalWrites.repair` found and mended."""

    markers: int  # unfinished writes cleaned up
    removed: int  # passage records of no article, or of an old revision
    reindexed: list[str]  # articles whose passages were incomplete, indexed again from their text


#: The records Chroma keeps per article: its passages. Sentences are split and embedded with them at ingest, but only
#: for the commit hook (the evidence store, :mod:`bot.extractive.stored`): nothing searches sentences by vector, and
#: they were four records in five, most of a write's time. Without the evidence, a question embeds an article's
#: sentences again from its text (:meth:`index.store.ArticleStore.article_data`).
RECORDS = ("chunks",)
ENCODED = ("chunks", "sentences")  # what ingest encodes, in this order
LEGACY = ("sentences",)  # collections of older releases, dropped by the next writer
NO_ARTICLE = object()  # the revision of an article that has no record: matches no passage
CLEAN_PART = 256  # articles whose records one clean-up read fetches


class TransactionalWrites:
    """The writing half of :class:`index.store.ArticleStore`: ingest, removal and repair as
    transactions (see the module docstring). The store supplies the collections, ``lock``,
    ``_sync``, ``_bump``, ``generation``, ``_batch_size``, ``_article_metas``, ``_embedded``, ``data_dir``, ``reserve_bytes``,
    and ``workers`` and ``device`` for ingest's encoder.

    A storage failure (a full disk) mid-write leaves the pending marker and the records written so far,
    which no reader sees; the next writer or ``bot repair`` removes them once there is room."""

    # What the store supplies (index.store.ArticleStore). Its collections are Chroma's, typed Any here as the store
    # types them: Chroma's results make every field Optional (``include=`` decides which are filled), read here as filled.
    if TYPE_CHECKING:
        embeddings: Embeddings
        data_dir: Path | None
        prefix: str
        _legacy_dropped: bool
        chunk_size: int
        chunk_overlap: int
        reserve_bytes: int
        lock: WriteLock
        workers: int
        device: Device

        def _sync(self, max_age: float = 0.0) -> None: ...
        def _bump(self) -> str: ...
        def generation(self) -> str: ...
        def _guard(self) -> AbstractContextManager[None]: ...
        def _collection(self, kind: str) -> Any: ...
        def _article_metas(self, article_ids: list[str] | None) -> dict[str, dict[str, Any]]: ...
        def _all_metadatas(self, kind: str) -> list[Any]: ...  # Chroma's metadata, every value untyped
        @property
        def client(self) -> Any: ...
        @property
        def _embedded(self) -> bool: ...
        @property
        def _articles(self) -> Any: ...
        @property
        def _meta(self) -> Any: ...
        @property
        def _batch_size(self) -> int: ...

    @contextmanager
    def _writing(self, timeout: float | None = None) -> Iterator[int]:
        """One writer at a time (waiting at most ``timeout`` seconds for the lock), on a current view of
        the store, after cleaning up unfinished writes; yields how many it cleaned up."""
        with self.lock.hold(timeout):
            self._sync()
            recovered = self._recover()
            self._drop_legacy()
            yield recovered

    def _drop_legacy(self) -> None:
        """Drop the collections an older release wrote and this one never reads (:data:`LEGACY`), once per store."""
        if self._legacy_dropped:
            return
        names = {getattr(c, "name", c) for c in self.client.list_collections()}
        for kind in LEGACY:
            if f"{self.prefix}_{kind}" in names:
                self.client.delete_collection(f"{self.prefix}_{kind}")
                log.info("dropped the %s_%s collection of an older release: nothing reads it now", self.prefix, kind)
        self._legacy_dropped = True

    def ingest(self, article: Article) -> IngestResult:
        """Store ``article``; unchanged text is skipped, changed text replaces its old records."""
        return self.ingest_many([article])[0]

    def ingest_many(self, articles: list[Article], batch_articles: int = 64, progress: bool = False,
                    workers: int | None = None) -> list[IngestResult]:
        """Store many articles in batches of up to ``batch_articles``, each batch one transaction, written in
        order. Unchanged articles (same content hash) are skipped.

        Three stages overlap: while one batch is encoded (passages and sentences together, by ``workers``
        encoder threads, default the store's ``workers``; :mod:`index.encoding`), the next one is split into
        passages and sentences in a thread of its own and the one before is written here. Only this thread
        touches the store; the vectors are made before the write lock is taken, as one article at a time would."""
        from tqdm.auto import tqdm

        results: list[IngestResult] = []
        batches = [articles[first : first + batch_articles] for first in range(0, len(articles), batch_articles)]
        planned: dict[str, dict[str, Any]] = {}  # articles split by this call: a later batch's same id compares with them
        with (
            self._guard(),
            ingest_encoder(self.embeddings, self.workers if workers is None else workers, self.device) as encoder,
            ThreadPoolExecutor(1, thread_name_prefix="split") as splitter,
            tqdm(total=len(articles), unit=" articles", desc="ingest", disable=not progress, leave=False) as bar,
            # the passages' word pieces, for the commit hook, come from the forward pass that embeds them
            getattr(self.embeddings, "keeping_tokens", nullcontext)(),
        ):
            def split(batch: list[Article]) -> Future[_Batch]:
                known = self._article_metas([a.id for a in batch]) | {a.id: planned[a.id] for a in batch if a.id in planned}
                return splitter.submit(_split, batch, known, self.chunk_size, self.chunk_overlap)

            upcoming = split(batches[0]) if batches else None
            written: tuple[_Batch, Encoding | None] | None = None
            for index in range(len(batches)):
                assert upcoming is not None
                batch = upcoming.result()
                planned |= batch.planned()
                encoding = encoder.submit(batch.texts()) if batch.changed else None
                upcoming = split(batches[index + 1]) if index + 1 < len(batches) else None
                if written is not None:  # the batch before, while this one encodes
                    results += self._write(*written)
                    bar.update(len(written[0].results))
                written = (batch, encoding)
            if written is not None:
                results += self._write(*written)
                bar.update(len(written[0].results))
        return results

    def _write(self, batch: _Batch, encoding: Encoding | None) -> list[IngestResult]:
        """Store one split batch once its vectors are made: check for room, then :meth:`_commit`."""
        if encoding is not None:
            changed, rows = batch.changed, batch.rows
            flat = encoding.result()
            vectors = {"chunks": flat[: len(rows["chunks"])], "sentences": flat[len(rows["chunks"]) :]}  # ENCODED
            with self._writing():
                if self._embedded and self.data_dir is not None:  # a full disk stops the batch here, before anything is written
                    texts = [text for kind in RECORDS for _, text, _ in rows[kind]] + [a.text for a, _, _ in changed]
                    dimensions = len(vectors["chunks"][0]) if vectors["chunks"] else 0
                    check_room(self.data_dir, estimate_bytes(texts, dimensions), self.reserve_bytes)
                before = self.generation()
                rev, after = self._commit(changed, rows, vectors)
            self._committed(changed, rows, vectors, rev, (before, after))  # after the lock: other writers need not wait for it
            if hasattr(self.embeddings, "drop_kept"):
                self.embeddings.drop_kept([text for kind in ENCODED for _, text, _ in rows[kind]])
        return batch.results

    def _commit(self, changed: list[tuple[Article, list[Chunk], list[Sentence]]], rows: dict, vectors: dict) -> tuple[str, str]:
        """Write one batch: marker, new records, article records (the commit), then clean up; the revision written
        and the store's generation after it."""
        rev = uuid.uuid4().hex[:12]
        ids = [a.id for a, _, _ in changed]
        marker = self._mark(rev, ids)
        try:
            for kind in RECORDS:
                self._add(kind, [(f"{i}~{rev}", text, {**meta, "rev": rev}) for i, text, meta in rows[kind]], vectors[kind])
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            for part in in_batches(changed, self._batch_size):
                self._articles.upsert(
                    ids=[a.id for a, _, _ in part],
                    documents=[a.text for a, _, _ in part],
                    metadatas=[
                        {**{k: v for k, v in a.meta.items() if v is not None}, "title": a.title, "hash": a.content_hash,
                         "chunks": len(chunks), "sentences": len(sentences), "ingested_at": now, "rev": rev}
                        for a, chunks, sentences in part
                    ],
                    embeddings=[[1.0]] * len(part),
                )
            self._bump()
        except BaseException as exc:
            # undo what can be undone now; the marker covers the rest. Not after a storage failure:
            # the store cannot take the clean-up's writes, and Chroma may block on it (index.storage)
            if not is_storage_failure(exc):
                with suppress(Exception):
                    self._finish(marker, ids)
            raise
        return rev, self._finish(marker, ids)

    def _committed(self, changed: list[tuple[Article, list[Chunk], list[Sentence]]], rows: dict, vectors: dict, rev: str,
                   moved: tuple[str, str]) -> None:
        """Hand the committed articles to ``on_commit`` (see :class:`index.store.ArticleStore`) with ``moved``, the
        store's generations before and after this batch alone (the writer lock held between them); a failure there
        is logged, never raised: the articles are stored, and what the hook makes is only a cache."""
        hook = getattr(self, "on_commit", None)
        if hook is None:
            return
        records, at = [], {"chunks": 0, "sentences": 0}
        for article, chunks, sentences in changed:
            spans = {}
            for kind, parts in (("chunks", chunks), ("sentences", sentences)):
                first, at[kind] = at[kind], at[kind] + len(parts)
                spans[kind] = Spans.from_rows([p.text for p in parts], [p.start for p in parts], [p.end for p in parts],
                                              vectors[kind][first:at[kind]], [f"{i}~{rev}" for i, _, _ in rows[kind][first:at[kind]]])
            meta = {**{k: v for k, v in article.meta.items() if v is not None}, "title": article.title,
                    "hash": article.content_hash, "rev": rev}
            records.append(StoredArticle(article.id, article.text, meta, spans["sentences"], spans["chunks"]))
        try:
            hook(records, moved)
        except Exception:
            log.exception("making the derived tables of %d ingested articles failed; questions will build them", len(records))

    def _add(self, kind: str, records: list[tuple[str, str, dict]], vectors: list[list[float]]) -> None:
        collection = self._collection(kind)
        size = self._batch_size
        for first in range(0, len(records), size):
            part = records[first : first + size]
            collection.add(
                ids=[i for i, _, _ in part],
                documents=[text for _, text, _ in part],
                metadatas=[meta for _, _, meta in part],
                embeddings=vectors[first : first + size],
            )

    def _mark(self, rev: str, article_ids: list[str]) -> str:
        marker = f"{MARKER_KIND}:{rev}"
        self._meta.upsert(ids=[marker], metadatas=[marker_record(rev, article_ids)], embeddings=[[1.0]])
        return marker

    def _finish(self, marker: str, article_ids: list[str]) -> str:
        """Clean up after a write and drop its marker; the store's new generation."""
        self._clean(article_ids, self._live_revs())
        self._meta.delete(ids=[marker])
        return self._bump()

    def _markers(self) -> list[tuple[str, dict]]:
        found = self._meta.get(where={"kind": MARKER_KIND}, include=["metadatas"])
        return list(zip(found["ids"], found["metadatas"]))

    def _live_revs(self) -> set[str]:
        """Revisions that another machine may still be writing (see :func:`is_abandoned`)."""
        return {meta["rev"] for _, meta in self._markers() if not is_abandoned(meta)}

    def _recover(self) -> int:
        """Clean up after writers that died (with the write lock held); how many there were."""
        abandoned = [(marker, meta) for marker, meta in self._markers() if is_abandoned(meta)]
        for marker, meta in abandoned:
            self._finish(marker, [a for a in str(meta.get("articles", "")).split("\n") if a])
        return len(abandoned)

    def _clean(self, article_ids: list[str], live: set[str] | None = None) -> int:
        """Delete the passages of ``article_ids`` of any revision but their record's
        (all of them for an article that has none), sparing revisions still being written; how many.
        One read per kind for up to ``CLEAN_PART`` articles, not one per article."""
        live = self._live_revs() if live is None else live
        removed = 0
        for part in in_batches(list(dict.fromkeys(article_ids)), CLEAN_PART):
            metas = self._article_metas(part)
            current = {a: metas[a].get("rev") if a in metas else NO_ARTICLE for a in part}
            for kind in RECORDS:
                collection = self._collection(kind)
                found = collection.get(where={"article_id": {"$in": part}}, include=["metadatas"])
                stale = [i for i, m in zip(found["ids"], found["metadatas"])
                         if m.get("rev") != current[m["article_id"]] and m.get("rev") not in live]
                for ids in in_batches(stale, self._batch_size):
                    collection.delete(ids=ids)
                removed += len(stale)
        return removed

    def remove(self, article_id: str) -> None:
        """Delete an article and all its passages."""
        with self._guard(), self._writing():
            if article_id not in self._article_metas([article_id]):
                raise UnknownArticleError(f"no article with id {article_id!r}; see `bot articles`")
            before = self.generation()
            marker = self._mark(uuid.uuid4().hex[:12], [article_id])
            self._articles.delete(ids=[article_id])  # the commit point
            self._bump()
            after = self._finish(marker, [article_id])
        hook = getattr(self, "on_remove", None)
        if hook is not None:
            try:
                hook([article_id], (before, after))
            except Exception:  # the article is gone; what the hook keeps is a cache that catches up by itself
                log.exception("dropping the removed article %s from derived tables failed", article_id)

    def recover(self, wait: bool = True) -> int:
        """Finish or undo writes cut short by a crash (``bot serve`` calls it at start-up); how many.

        ``wait=False`` returns 0 at once when another process is writing: that writer recovers."""
        try:
            with self._guard(), self._writing(None if wait else 0.0) as recovered:
                return recovered
        except WriterBusy:
            if wait:
                raise
            return 0

    def repair(self) -> RepairReport:
        """Make the store consistent: clean up unfinished writes, delete every passage record of no
        article or of an old revision, and index again from its stored text any article whose
        passages are incomplete (``bot repair``)."""
        with self._guard():
            with self._writing() as markers:
                live = self._live_revs()
                metas = self._article_metas(None)
                current = {a: m.get("rev") for a, m in metas.items()}
                revs: dict[str, set] = {}
                counts: dict[tuple[str, str], int] = {}
                for kind in RECORDS:
                    for meta in self._all_metadatas(kind):
                        article, rev = meta.get("article_id"), meta.get("rev")
                        revs.setdefault(article, set()).add(rev)
                        if rev == current.get(article, NO_ARTICLE):
                            counts[kind, article] = counts.get((kind, article), 0) + 1
                removed = self._clean([a for a, found in revs.items() if found - {current.get(a, NO_ARTICLE)} - live], live)
                broken = sorted(a for a, m in metas.items() if any(counts.get((k, a), 0) != int(m.get(k, -1)) for k in RECORDS))
                rebuilt = self._stored_articles(broken)
            if rebuilt:  # a fresh revision of each, from the text its record keeps
                self._articles.update(ids=broken, metadatas=[{"hash": ""}] * len(broken))
                self.ingest_many(rebuilt)
        return RepairReport(markers, removed, broken)

    def _stored_articles(self, article_ids: list[str]) -> list[Article]:
        if not article_ids:
            return []
        found = self._articles.get(ids=article_ids, include=["documents", "metadatas"])
        skip = {"title", "hash", "chunks", "sentences", "ingested_at", "rev"}
        return [
            Article(i, str(m.get("title", i)), text, {k: v for k, v in m.items() if k not in skip})
            for i, text, m in zip(found["ids"], found["documents"], found["metadatas"])
        ]


@dataclass(frozen=True)
class _Batch:
    """One batch of an ingest, split: every article's result, and the changed ones' passages and sentences."""

    results: list[IngestResult]
    changed: list[tuple[Article, list[Chunk], list[Sentence]]]

    @functools.cached_property
    def rows(self) -> dict[str, list[tuple[str, str, dict[str, Any]]]]:
        """The records to write, by kind: (id without its revision, text, metadata)."""
        return {
            "chunks": [(c.id, c.text, _chunk_meta(c)) for _, chunks, _ in self.changed for c in chunks],
            "sentences": [(_sentence_id(a.id, s), s.text, _sentence_meta(a.id, s)) for a, _, sentences in self.changed for s in sentences],
        }

    def texts(self) -> list[str]:
        """The texts to encode: the passages, then the sentences."""
        return [text for kind in ENCODED for _, text, _ in self.rows[kind]]

    def planned(self) -> dict[str, dict[str, Any]]:
        """What the changed articles' records will say, as :meth:`TransactionalWrites._article_metas` reads them."""
        return {a.id: {"hash": a.content_hash, "chunks": len(c), "sentences": len(s)} for a, c, s in self.changed}


def _split(batch: list[Article], known: dict[str, dict[str, Any]], chunk_size: int, chunk_overlap: int) -> _Batch:
    """Split the articles of ``batch`` whose text differs from their record in ``known`` (skipped before splitting:
    re-ingests stay cheap) into passages and sentences."""
    results, changed = [], []
    for article in batch:
        old = known.get(article.id)
        if old and old.get("hash") == article.content_hash:
            results.append(IngestResult(article.id, article.title, "unchanged", int(old["chunks"]), int(old["sentences"])))
            continue
        chunks = chunk_article(article, chunk_size, chunk_overlap)
        sentences = split_sentences(article.text)
        changed.append((article, chunks, sentences))
        results.append(IngestResult(article.id, article.title, "updated" if old else "added", len(chunks), len(sentences)))
    return _Batch(results, changed)


def _chunk_meta(chunk: Chunk) -> dict[str, Any]:
    return {"article_id": chunk.article_id, "title": chunk.title, "start": chunk.start, "end": chunk.end, "index": chunk.index}


def _sentence_meta(article_id: str, sentence: Sentence) -> dict[str, Any]:
    return {"article_id": article_id, "start": sentence.start, "end": sentence.end}


def _sentence_id(article_id: str, sentence: Sentence) -> str:
    digest = hashlib.sha1(f"{sentence.start}:{sentence.text}".encode()).hexdigest()[:12]
    return f"{article_id}@{sentence.start}-{digest}"
