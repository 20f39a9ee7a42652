"""The Chroma store: articles in, passages and sentences out.

Collections share a prefix (setting ``collection``):

* ``<prefix>_chunks``: one record per passage, embedded (searched via ``langchain-chroma``);
* ``<prefix>_articles``: one record per article: full text, title, content hash, revision
  and metadata (a placeholder vector; it is never searched by vector);
* ``<prefix>_meta``: a generation stamp that changes on every ingest and removal, so
  caches in any process can tell when to reload, and the pending markers of writes.

Sentences are not kept here: nothing searches them by vector. Ingest embeds them with the passages and hands both
to the commit hook (``on_commit``), which keeps the evidence a question reads (:mod:`bot.extractive.stored`); where
that is missing, :meth:`ArticleStore.article_data` splits and embeds them again from the article's text.

Passage records carry their article's id and revision (``rev``); only those
whose revision matches their article record are ever read, so a write in progress or one
cut short by a crash is invisible. How writes stay recoverable is told in
:mod:`index.transactions`. Re-ingesting unchanged text is skipped by content hash.

The embedded store keeps each collection's vector index in memory; another process's
writes reach it only when it reopens. A vector read first compares the generation stamp (at
most once a second) with the one this process last saw; when it changed, a reader loads a fresh view in a
background thread and reads the one it has meanwhile, a writer reopens at once.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings

from index.errors import BackendUnavailableError, BotError, EmptyIndexError, StorageError, UnknownArticleError, is_connection_error
from index import systems
from index.chunking import split_sentences
from index.encoding import Device
from index.records import Passage, Spans, StoredArticle
from index.storage import is_storage_failure, open_failure, storage_error
from index.transactions import IngestResult, RepairReport, TransactionalWrites, WriteLock, in_batches

if TYPE_CHECKING:
    from chromadb.api.collection_configuration import CreateCollectionConfiguration

__all__ = ["ArticleStore", "IngestResult", "RepairReport", "Spans", "StoredArticle"]

log = logging.getLogger(__name__)

_COSINE: CreateCollectionConfiguration = {"hnsw": {"space": "cosine"}}


def _guarded(method):
    """Run a store method under :meth:`ArticleStore._guard`."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._guard():
            return method(self, *args, **kwargs)

    return wrapper


class ArticleStore(TransactionalWrites):
    """Persistent Chroma storage for articles. Cheap to construct; connects on first use.

    Reading and the connection live here; writing (ingest, remove, repair) in
    :class:`index.transactions.TransactionalWrites`."""

    def __init__(
        self,
        embeddings: Embeddings,
        data_dir: Path | str | None = None,
        collection: str = "news",
        chunk_size: int = 600,
        chunk_overlap: int = 80,
        host: str | None = None,
        port: int = 8000,
        reserve_mb: float = 0.0,
        workers: int = 0,
        device: Device = "cpu",
    ) -> None:
        self.embeddings = embeddings
        self.workers = workers  # ingest's encoder threads (0: one per core) and where it encodes: index.encoding
        self.device: Device = device
        self.data_dir = Path(data_dir) if data_dir else None
        self.host = host
        self.port = port
        self.prefix = collection
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self._client = None
        self._stores: dict[str, Any] = {}  # LangChain stores and plain collections, by kind
        self._seen: str | None = None  # the generation this process's vector indexes reflect (embedded)
        self._synced = float("-inf")  # when _seen was last compared with the store's
        self._connecting = threading.RLock()
        self._fading: Any = None  # the client that answers reads while a fresh view loads (embedded), if any
        self._loading: threading.Thread | None = None
        self.lock = WriteLock(self.data_dir / "store.lock" if self.data_dir else None)
        #: free disk space a writer leaves untouched: a batch that would eat into it is refused before it writes
        self.reserve_bytes = int(reserve_mb * 1_000_000)
        self._failed: tuple[float, StorageError] | None = None  # the last storage failure, and when
        #: called with the articles of each committed ingest batch (their text, sentences and passages with vectors)
        #: and the store's generations before and after that batch alone, so derived tables (the bot's evidence, its
        #: BM25 file) are made while everything is at hand; its failure fails no ingest
        self.on_commit: Callable[[list[StoredArticle], tuple[str, str]], None] | None = None
        #: called with a removed article's id (in a list) and the store's generations before and after its removal
        self.on_remove: Callable[[list[str], tuple[str, str]], None] | None = None
        self._legacy_dropped = False  # whether this store's first write dropped an older release's collections

    # -- connection -------------------------------------------------------------------------

    def _connect(self):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        if self.host:
            try:
                client = chromadb.HttpClient(
                    host=self.host, port=self.port, settings=ChromaSettings(anonymized_telemetry=False)
                )
                client.heartbeat()
            except Exception as exc:  # chromadb raises ValueError, httpx and OS errors alike
                raise self._unreachable(exc) from None
            return client
        if self.data_dir is None:
            return chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
        path = self.data_dir / "chroma"
        try:
            path.mkdir(parents=True, exist_ok=True)
            with systems.CREATING:
                return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))
        except OSError as exc:
            raise BackendUnavailableError(f"cannot create the data dir {path}: {exc.strerror}") from None
        except Exception as exc:  # Chroma reports an unwritable, full or damaged store in many shapes
            raise open_failure(path, exc) from None

    def _unreachable(self, exc: Exception) -> BackendUnavailableError:
        return BackendUnavailableError(
            f"cannot reach the Chroma server at {self.host}:{self.port} ({type(exc).__name__}); "
            "start it with `chroma run --host HOST --port PORT --path DIR` or fix BOT_CHROMA_HOST/BOT_CHROMA_PORT"
        )

    @property
    def client(self):
        with self._connecting:
            if self._client is not None and self._embedded and self._client is not self._fading \
                    and not systems.is_current(self._client):
                self._client, self._stores = None, {}  # another store of this process reopened the path
            if self._client is None:
                self._client = self._connect()
            return self._client

    @property
    def _embedded(self) -> bool:
        return not self.host and self.data_dir is not None

    def _reopen(self) -> None:
        """Drop this process's view of the embedded store, so the next call loads what is on disk now.

        The process's system for the path is retired (:func:`index.systems.retire`)."""
        with self._connecting:
            old, self._client, self._stores, self._fading = self._client, None, {}, None
            systems.retire(old)

    def _sync(self, max_age: float = 0.0) -> None:
        """Embedded store: a fresh view when another process has written since this one last looked.

        Readers look at most every ``max_age`` seconds, and go on reading the view they have while a fresh
        one loads in the background (:meth:`_load_fresh`): a stale view is safe (records of a removed revision
        are filtered out, and a missing one makes :meth:`_read_vectors` reopen at once), it only lacks the
        newest articles' vectors for those seconds. Writers always look and reopen at once, as a stale view
        must never be written back."""
        if not self._embedded or time.monotonic() - self._synced < max_age:
            return
        current = self.generation()
        self._synced = time.monotonic()
        with self._connecting:
            if self._seen is None:
                self._seen = current
            elif current != self._seen:
                if max_age > 0 and self._client is not None and self._load_fresh(current):
                    return
                self._reopen()
                self._seen = current

    def _load_fresh(self, generation: str) -> bool:
        """Load a fresh view of the embedded store in a thread of its own while reads use this one; it takes
        this one's place once its vector index has answered a query. Loading that index reads every vector
        (1-4 s at 100,000 articles): in the reader's way, it stalled a worker's first question after every
        ingest by another process. False when this view cannot stay (another store of the process replaced
        it): then reopen now. Called holding ``_connecting``."""
        if self._loading is not None and self._loading.is_alive():
            return self._fading is self._client
        old = self._client
        if not systems.detach(old):
            return False
        self._fading = old
        self._loading = threading.Thread(target=self._swap_in, args=(old, generation), name="chroma-reload", daemon=True)
        self._loading.start()
        return True

    def _swap_in(self, old, generation: str) -> None:
        try:
            fresh = self._connect()
            _warm(fresh, f"{self.prefix}_chunks")
        except Exception as exc:  # the next read reopens in its own thread and says what fails
            log.warning("loading a fresh view of %s failed (%s: %s)", self.data_dir, type(exc).__name__, exc)
            fresh = None
        with self._connecting:
            if self._client is not old or self._fading is not old:
                return  # reopened meanwhile (a writer, a failed read): that view is the current one
            if fresh is None:  # the next read connects afresh, in its own thread, and sees the disk as it is then
                self._reopen()
                self._seen = None
                return
            self._client, self._stores, self._fading, self._seen = fresh, {}, None, generation
            systems.retire(old)

    def _read_vectors(self, read):
        """``read()`` on a current view of the store; a write by another process between the check
        and the read ("Error finding id" from a stale vector index) reopens and reads once more."""
        self._sync(max_age=_READ_SYNC_EVERY)
        try:
            return read()
        except Exception as exc:
            if not self._embedded or isinstance(exc, BotError):
                raise
            self._reopen()
            return read()

    @contextmanager
    def _guard(self):
        """Turn a lost Chroma server or an unwritable store into a clear error; the next call tries again.

        After a storage failure (a full disk, an I/O error) this process leaves the Chroma system that
        failed alone for good, and for :data:`STORAGE_PAUSE` seconds every call fails at once with the
        same error instead of touching the store: a Chroma system whose write failed can block for
        minutes holding the interpreter lock, which would freeze the whole server."""
        failed = self._failed
        if failed is not None and time.monotonic() - failed[0] < STORAGE_PAUSE:
            raise failed[1]
        try:
            yield
        except BotError:
            raise
        except Exception as exc:
            if self.host and is_connection_error(exc):
                raise self._unreachable(exc) from None
            if self._embedded and "readonly" in str(exc).replace("-", "").replace(" ", "").lower():
                raise open_failure(self.data_dir / "chroma", exc) from None
            if is_storage_failure(exc):
                raise self._storage_failed(exc) from None
            raise

    def _storage_failed(self, exc: BaseException) -> StorageError:
        """Remember a storage failure and abandon the Chroma system it happened in (never stopped: stopping
        a system in that state can block too); the next call after the pause opens a fresh one."""
        error = storage_error(self.data_dir, exc)
        self._failed = (time.monotonic(), error)
        if self._embedded:
            with self._connecting:
                old, self._client, self._stores, self._seen, self._fading = self._client, None, {}, None, None
                systems.abandon(old)
        return error

    def _store(self, kind: str) -> Chroma:
        with self._connecting:
            if kind not in self._stores:
                self._stores[kind] = Chroma(
                    client=self.client,
                    collection_name=f"{self.prefix}_{kind}",
                    embedding_function=self.embeddings,
                    collection_configuration=_COSINE,
                )
            return self._stores[kind]

    def _collection(self, kind: str):
        return self._store(kind)._collection

    def _plain(self, kind: str):
        """A collection without embedding function, opened once per connection (opening one is a write)."""
        with self._connecting:
            client = self.client
            if kind not in self._stores:
                self._stores[kind] = client.get_or_create_collection(f"{self.prefix}_{kind}", embedding_function=None)
            return self._stores[kind]

    @property
    def _articles(self):
        return self._plain("articles")

    @property
    def _meta(self):
        return self._plain("meta")

    @functools.cached_property
    def _batch_size(self) -> int:
        """The most records Chroma takes in one call (it asks the server or the embedded engine)."""
        return max(1, int(self.client.get_max_batch_size()))

    @_guarded
    def generation(self) -> str:
        """Changes whenever any process ingests or removes an article (caches compare it)."""
        found = self._meta.get(ids=["generation"], include=["metadatas"])
        return found["metadatas"][0]["value"] if found["ids"] else ""

    def _bump(self) -> str:
        """A new generation, written; returned."""
        value = uuid.uuid4().hex
        # seen before it is written: a reader of this store that read it first would take this write for
        # another process's and load a fresh view in the middle of it (a failed write costs one needless reload)
        self._seen = value
        self._meta.upsert(ids=["generation"], metadatas=[{"value": value}], embeddings=[[1.0]])
        return value

    # -- reading ----------------------------------------------------------------------------

    def _article_metas(self, article_ids: list[str] | None) -> dict[str, dict[str, Any]]:
        """Article records' metadata by id: of ``article_ids``, or of every article (``None``)."""
        if article_ids is None:
            found = _get_all(self._articles, ["metadatas"])
        else:
            found = {"ids": [], "metadatas": []}
            for part in in_batches(sorted(set(article_ids)), self._batch_size):
                got = self._articles.get(ids=part, include=["metadatas"])
                found["ids"] += got["ids"]
                found["metadatas"] += got["metadatas"]
        return dict(zip(found["ids"], found["metadatas"]))

    @_guarded
    def count(self) -> int:
        """Number of articles stored."""
        return self._articles.count()

    @_guarded
    def content_hashes(self, article_ids: list[str] | None = None) -> dict[str, str]:
        """The content hash (:attr:`index.loader.Article.content_hash`) by id of every article, or of those of
        ``article_ids`` that are stored: what caches key on. Every article's is a read of the whole archive
        (seconds at 100,000 articles); a few ids' is one lookup."""
        return {article_id: str(meta.get("hash", "")) for article_id, meta in self._article_metas(article_ids).items()}

    @_guarded
    def some_ids(self, n: int) -> list[str]:
        """Up to ``n`` stored articles' ids (whichever Chroma reads first), sorted: without reading the archive."""
        return sorted(self._articles.get(limit=max(0, n), include=[])["ids"]) if n > 0 else []

    @_guarded
    def articles(self, article_ids: list[str] | None = None) -> list[dict[str, Any]]:
        """Every article (or those of ``article_ids`` that are stored) as ``{"id", "title", "chunks",
        ...metadata}``, sorted by id."""
        rows = []
        for article_id, meta in self._article_metas(article_ids).items():
            row = {
                "id": article_id,
                "title": meta.get("title", article_id),
                "url": meta.get("url"),
                "published": meta.get("published"),
                "chunks": meta.get("chunks", 0),
            }
            row.update(sorted((k, v) for k, v in meta.items() if k not in {"title", "hash", "chunks", "url", "published", "rev"}))
            if "questions" in row:
                row["questions"] = [q for q in str(row["questions"]).split("\n") if q]
            rows.append(row)
        return sorted(rows, key=lambda r: r["id"])

    @_guarded
    def article_text(self, article_id: str) -> str:
        found = self._articles.get(ids=[article_id], include=["documents"])
        if not found["ids"]:
            raise UnknownArticleError(f"no article with id {article_id!r}; see `bot articles`")
        return found["documents"][0]

    @_guarded
    def require(self, article_id: str | None = None) -> None:
        """Raise a clear error if the index is empty or ``article_id`` is unknown."""
        if self.count() == 0:
            raise EmptyIndexError()
        if article_id is not None and article_id not in self._article_metas([article_id]):
            raise UnknownArticleError(f"no article with id {article_id!r}; see `bot articles` for the ids")

    @_guarded
    def article_data(self, article_id: str) -> StoredArticle:
        """Everything answering needs about one article, in article order: text, metadata,
        sentences and passages with their vectors (one read, cached by the caller). The sentences are split from
        the text and embedded here, as ingest did: the evidence store (which keeps them) is the usual way in."""
        record = self._read_vectors(lambda: self._article_data(article_id))
        sentences = split_sentences(record.text)
        vectors = self.embeddings.embed_documents([s.text for s in sentences]) if sentences else []
        spans = Spans.from_rows([s.text for s in sentences], [s.start for s in sentences], [s.end for s in sentences], vectors)
        return replace(record, sentences=spans)

    def _article_data(self, article_id: str) -> StoredArticle:
        found = self._articles.get(ids=[article_id], include=["documents", "metadatas"])
        if not found["ids"]:
            raise UnknownArticleError(f"no article with id {article_id!r}; see `bot articles`")
        meta = found["metadatas"][0]
        rev = meta.get("rev")
        where = {"article_id": article_id} if rev is None else {"$and": [{"article_id": article_id}, {"rev": rev}]}
        got = self._collection("chunks").get(where=where, include=["documents", "metadatas", "embeddings"])
        order = sorted(
            (i for i in range(len(got["ids"])) if got["metadatas"][i].get("rev") == rev),
            key=lambda i: got["metadatas"][i]["start"],
        )
        passages = Spans.from_rows(
            texts=[got["documents"][i] for i in order],
            starts=[int(got["metadatas"][i]["start"]) for i in order],
            ends=[int(got["metadatas"][i]["end"]) for i in order],
            vectors=[got["embeddings"][i] for i in order],
            ids=[got["ids"][i] for i in order],
        )
        return StoredArticle(article_id, found["documents"][0], meta, Spans.empty(), passages)

    def _all_metadatas(self, kind: str) -> list[dict]:
        return _get_all(self._collection(kind), ["metadatas"])["metadatas"]

    @_guarded
    def passages_of(self, article_ids: list[str]) -> list[StoredArticle]:
        """The current passages (texts and offsets, no vectors, no sentences) of ``article_ids`` that exist, with
        their articles' metadata: what a passage index needs (:class:`index.fulltext.FullTextIndex`)."""
        metas = self._article_metas(article_ids)
        got = self._collection("chunks").get(where={"article_id": {"$in": sorted(metas)}}, include=["documents", "metadatas"]) \
            if metas else {"ids": [], "documents": [], "metadatas": []}
        rows: dict[str, list] = {a: [] for a in metas}
        for text, meta in zip(got["documents"], got["metadatas"]):
            if meta.get("rev") == metas[meta["article_id"]].get("rev"):
                rows[meta["article_id"]].append((int(meta["start"]), int(meta["end"]), text))
        out = []
        for article_id, found in rows.items():
            found.sort()
            spans = Spans.from_rows([t for _, _, t in found], [a for a, _, _ in found], [b for _, b, _ in found], [])
            out.append(StoredArticle(article_id, "", metas[article_id], Spans.empty(), spans))
        return out

    @_guarded
    def search(self, vector: list[float], k: int, article_id: str | None = None) -> list[Passage]:
        """Top-``k`` current passages for a query vector, scored by cosine similarity: those of their article's
        current revision, each with the article's content hash (read in the same lookup)."""
        where = {"article_id": article_id} if article_id else None
        # the collection looked up in the read: a retry after a reopen reads the fresh view, not the stale one again
        hits = self._read_vectors(
            lambda: self._store("chunks").similarity_search_by_vector_with_relevance_scores(vector, k=k, filter=where))
        metas = self._article_metas([doc.metadata["article_id"] for doc, _ in hits])
        return [
            replace(Passage.from_meta(doc.page_content, doc.metadata, 1.0 - distance), content_hash=str(article.get("hash", "")))
            for doc, distance in hits
            if (article := metas.get(doc.metadata["article_id"])) is not None and doc.metadata.get("rev") == article.get("rev")
        ]


#: Seconds during which a store that failed to write answers every call with that failure at once.
STORAGE_PAUSE = 5.0
_READ_SYNC_EVERY = 1.0  # seconds; as often as the answering caches look (bot.extractive.cache.EvidenceCache)


def _warm(client, name: str) -> None:
    """Have ``client`` load collection ``name``'s vector index (Chroma loads it on the first query), if any."""
    try:
        collection = client.get_collection(name)
    except Exception:  # not made yet: nothing to load
        return
    got = collection.get(limit=1, include=["embeddings"])
    if got["ids"]:
        collection.query(query_embeddings=[list(got["embeddings"][0])], n_results=1, include=[])


def _get_all(collection, include: list[str], page: int = 2000) -> dict[str, list]:
    """``collection.get`` of everything, in pages: one unbounded read fails on SQLite's
    variable limit once a collection holds tens of thousands of records."""
    out: dict[str, list] = {"ids": [], **{key: [] for key in include}}
    offset = 0
    while True:
        got = collection.get(include=include, limit=page, offset=offset)
        for key in out:
            out[key] += got[key]
        if len(got["ids"]) < page:
            return out
        offset += page



