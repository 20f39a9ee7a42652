"""The Chroma store: articles in, passages and sentences out.

Three collections share a prefix (setting ``collection``):

* ``<prefix>_chunks``: one record per passage, embedded, via ``langchain-chroma``;
* ``<prefix>_sentences``: one record per sentence, embedded, for evidence selection;
* ``<prefix>_articles``: one record per article: full text, title, content hash and
  metadata (a placeholder vector; it is never searched by vector);
* ``<prefix>_meta``: a generation stamp that changes on every ingest and removal,
  so caches in any process can tell when to reload.

Ids are stable (derived from the article id, offsets and text), distance is cosine.
Re-ingesting unchanged text is skipped by content hash; changed text upserts the new
records first and then deletes the stale ones, so a failure part-way never loses the
old version.
"""

from __future__ import annotations

import functools
import hashlib
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_chroma import Chroma
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from bot.errors import BackendUnavailableError, BotError, EmptyIndexError, UnknownArticleError
from index.chunking import Chunk, Sentence, chunk_article, split_sentences
from index.loader import Article

__all__ = ["ArticleStore", "IngestResult"]

_COSINE = {"hnsw": {"space": "cosine"}}


@dataclass(frozen=True)
class IngestResult:
    article_id: str
    title: str
    status: str  # "added", "updated" or "unchanged"
    chunks: int
    sentences: int


def _guarded(method):
    """Run a store method under :meth:`ArticleStore._guard`."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._guard():
            return method(self, *args, **kwargs)

    return wrapper


class ArticleStore:
    """Persistent Chroma storage for articles. Cheap to construct; connects on first use."""

    def __init__(
        self,
        embeddings: Embeddings,
        data_dir: Path | str | None = None,
        collection: str = "news",
        chunk_size: int = 600,
        chunk_overlap: int = 80,
        host: str | None = None,
        port: int = 8000,
    ) -> None:
        self.embeddings = embeddings
        self.data_dir = Path(data_dir) if data_dir else None
        self.host = host
        self.port = port
        self.prefix = collection
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self._client = None
        self._stores: dict[str, Chroma] = {}

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
        except OSError as exc:
            raise BackendUnavailableError(f"cannot create the data dir {path}: {exc.strerror}") from None
        return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))

    def _unreachable(self, exc: Exception) -> BackendUnavailableError:
        return BackendUnavailableError(
            f"cannot reach the Chroma server at {self.host}:{self.port} ({type(exc).__name__}); "
            "start it with `chroma run --host HOST --port PORT --path DIR` or fix BOT_CHROMA_HOST/BOT_CHROMA_PORT"
        )

    @property
    def client(self):
        if self._client is None:
            self._client = self._connect()
        return self._client

    @contextmanager
    def _guard(self):
        """Turn a lost Chroma server into a clear error; the next call tries again."""
        try:
            yield
        except BotError:
            raise
        except Exception as exc:
            if self.host and _is_connection_error(exc):
                raise self._unreachable(exc) from None
            raise

    def _store(self, kind: str) -> Chroma:
        if kind not in self._stores:
            self._stores[kind] = Chroma(
                client=self.client,
                collection_name=f"{self.prefix}_{kind}",
                embedding_function=self.embeddings,
                collection_configuration=_COSINE,
            )
        return self._stores[kind]

    @property
    def _articles(self):
        return self.client.get_or_create_collection(f"{self.prefix}_articles", embedding_function=None)

    @property
    def _meta(self):
        return self.client.get_or_create_collection(f"{self.prefix}_meta", embedding_function=None)

    @_guarded
    def generation(self) -> str:
        """Changes whenever any process ingests or removes an article (caches compare it)."""
        found = self._meta.get(ids=["generation"], include=["metadatas"])
        return found["metadatas"][0]["value"] if found["ids"] else ""

    def _bump(self) -> None:
        self._meta.upsert(ids=["generation"], metadatas=[{"value": uuid.uuid4().hex}], embeddings=[[1.0]])

    # -- writing ----------------------------------------------------------------------------

    def ingest(self, article: Article) -> IngestResult:
        """Store ``article``; unchanged text is skipped, changed text replaces its old records."""
        return self.ingest_many([article])[0]

    @_guarded
    def ingest_many(self, articles: list[Article], batch_articles: int = 64, progress: bool = False) -> list[IngestResult]:
        """Store many articles, embedding the passages and sentences of up to ``batch_articles``
        articles in one call. Unchanged articles (same content hash) are skipped."""
        from tqdm.auto import tqdm

        results: list[IngestResult] = []
        with tqdm(total=len(articles), unit="article", desc="ingest", disable=not progress, leave=False) as bar:
            for first in range(0, len(articles), batch_articles):
                batch = articles[first : first + batch_articles]
                results += self._ingest_batch(batch)
                bar.update(len(batch))
        return results

    def _ingest_batch(self, batch: list[Article]) -> list[IngestResult]:
        found = self._articles.get(ids=[a.id for a in batch], include=["metadatas"])
        existing = dict(zip(found["ids"], found["metadatas"]))
        results, changed = [], []
        for article in batch:
            old = existing.get(article.id)
            if old and old.get("hash") == article.content_hash:  # skip before splitting: re-ingests stay cheap
                results.append(IngestResult(article.id, article.title, "unchanged", int(old["chunks"]), int(old["sentences"])))
                continue
            chunks = chunk_article(article, self.chunk_size, self.chunk_overlap)
            sentences = split_sentences(article.text)
            changed.append((article, chunks, sentences, old))
            results.append(IngestResult(article.id, article.title, "updated" if old else "added", len(chunks), len(sentences)))
        if not changed:
            return results
        chunk_rows = [(c.id, c.text, _chunk_meta(c)) for _, chunks, _, _ in changed for c in chunks]
        sentence_rows = [
            (_sentence_id(a.id, s), s.text, {"article_id": a.id, "start": s.start, "end": s.end})
            for a, _, sentences, _ in changed
            for s in sentences
        ]
        for kind, rows in (("chunks", chunk_rows), ("sentences", sentence_rows)):
            ids, texts, metas = (list(x) for x in zip(*rows))
            self._store(kind).add_texts(texts, metadatas=metas, ids=ids)
        for article, chunks, sentences, old in changed:
            if old:  # new records are in; now drop what the old text had and the new one lacks
                self._delete_stale("chunks", article.id, keep={c.id for c in chunks})
                self._delete_stale("sentences", article.id, keep={_sentence_id(article.id, s) for s in sentences})
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self._articles.upsert(
            ids=[a.id for a, *_ in changed],
            documents=[a.text for a, *_ in changed],
            metadatas=[
                {**{k: v for k, v in a.meta.items() if v is not None}, "title": a.title, "hash": a.content_hash,
                 "chunks": len(chunks), "sentences": len(sentences), "ingested_at": now}
                for a, chunks, sentences, _ in changed
            ],
            embeddings=[[1.0]] * len(changed),
        )
        self._bump()
        return results

    def _delete_stale(self, kind: str, article_id: str, keep: set[str]) -> None:
        collection = self._store(kind)._collection
        found = collection.get(where={"article_id": article_id}, include=[])
        stale = [i for i in found["ids"] if i not in keep]
        if stale:
            collection.delete(ids=stale)

    @_guarded
    def remove(self, article_id: str) -> None:
        """Delete an article and all its passages and sentences."""
        if not self._article_meta(article_id):
            raise UnknownArticleError(f"no article with id {article_id!r}; see `bot articles`")
        for kind in ("chunks", "sentences"):
            self._delete_stale(kind, article_id, keep=set())
        self._articles.delete(ids=[article_id])
        self._bump()

    # -- reading ----------------------------------------------------------------------------

    def _article_meta(self, article_id: str) -> dict[str, Any] | None:
        found = self._articles.get(ids=[article_id], include=["metadatas"])
        return found["metadatas"][0] if found["ids"] else None

    @_guarded
    def count(self) -> int:
        """Number of articles stored."""
        return self._articles.count()

    @_guarded
    def articles(self) -> list[dict[str, Any]]:
        """Every article as ``{"id", "title", "chunks", ...metadata}``, sorted by id."""
        found = _get_all(self._articles, ["metadatas"])
        rows = []
        for article_id, meta in zip(found["ids"], found["metadatas"]):
            row = {
                "id": article_id,
                "title": meta.get("title", article_id),
                "url": meta.get("url"),
                "published": meta.get("published"),
                "chunks": meta.get("chunks", 0),
            }
            row.update(sorted((k, v) for k, v in meta.items() if k not in {"title", "hash", "chunks", "url", "published"}))
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
        if article_id is not None and not self._article_meta(article_id):
            raise UnknownArticleError(f"no article with id {article_id!r}; see `bot articles` for the ids")

    @_guarded
    def article_data(self, article_id: str) -> dict[str, Any]:
        """Everything answering needs about one article, in article order: text, metadata,
        sentences and passages with their vectors (one read, cached by the caller)."""
        found = self._articles.get(ids=[article_id], include=["documents", "metadatas"])
        if not found["ids"]:
            raise UnknownArticleError(f"no article with id {article_id!r}; see `bot articles`")
        data: dict[str, Any] = {"id": article_id, "text": found["documents"][0], "meta": found["metadatas"][0]}
        for kind in ("sentences", "chunks"):
            got = self._store(kind)._collection.get(
                where={"article_id": article_id}, include=["documents", "metadatas", "embeddings"]
            )
            order = sorted(range(len(got["ids"])), key=lambda i: got["metadatas"][i]["start"])
            data[kind] = {
                "ids": [got["ids"][i] for i in order],
                "texts": [got["documents"][i] for i in order],
                "starts": [int(got["metadatas"][i]["start"]) for i in order],
                "ends": [int(got["metadatas"][i]["end"]) for i in order],
                "vectors": [got["embeddings"][i] for i in order],
            }
        return data

    @_guarded
    def all_chunks(self) -> dict[str, list]:
        """Ids, texts and metadata of every stored passage (for the BM25 index)."""
        got = _get_all(self._store("chunks")._collection, ["documents", "metadatas"])
        return {"ids": got["ids"], "texts": got["documents"], "metadatas": got["metadatas"]}

    @_guarded
    def search(self, vector: list[float], k: int, article_id: str | None = None) -> list[tuple[Document, float]]:
        """Top-``k`` passages for a query vector, with cosine similarity as score."""
        where = {"article_id": article_id} if article_id else None
        hits = self._store("chunks").similarity_search_by_vector_with_relevance_scores(vector, k=k, filter=where)
        return [(doc, 1.0 - distance) for doc, distance in hits]


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


def _is_connection_error(exc: BaseException) -> bool:
    while exc is not None:
        name = type(exc).__name__
        if "Connect" in name or "Timeout" in name or isinstance(exc, (ConnectionError, TimeoutError)) or (
            isinstance(exc, ValueError) and "connect" in str(exc).lower()
        ):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _chunk_meta(chunk: Chunk) -> dict[str, Any]:
    return {"article_id": chunk.article_id, "title": chunk.title, "start": chunk.start, "end": chunk.end, "index": chunk.index}


def _sentence_id(article_id: str, sentence: Sentence) -> str:
    digest = hashlib.sha1(f"{sentence.start}:{sentence.text}".encode()).hexdigest()[:12]
    return f"{article_id}@{sentence.start}-{digest}"
