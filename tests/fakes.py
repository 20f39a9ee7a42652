"""Fakes for the tests: a deterministic token embedder and an in-memory article store. Neither loads a model
nor opens a database, so a test built on them is a ``unit`` test.

:class:`FakeTokenEmbeddings` is a real :class:`~langchain_core.embeddings.Embeddings` subclass with
the token interface of :class:`~index.embeddings.LazyEmbeddings` (``embed_query_tokens``,
``token_vectors``) and static ``word_vectors`` (WordLlama's role), so the ranker, the features, the
answerability model and the quoting run with no model loaded. Every word gets a fixed pseudo-random unit
vector (from a hash of the lower-cased word); a text's vector is the normalised mean of its words'. The
same word always matches itself, different words nearly never do: lexical, not semantic, similarity.

:class:`FakeStore` keeps articles in memory behind the interface of :class:`~index.store.ArticleStore` that
``bot/`` and ``app.py`` use. It splits articles with the real :mod:`index.chunking` and names and describes
records as the real store does, so its passages, sentences and rows are the real store's
(``tests/test_fakes.py`` compares them).
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from index.chunking import chunk_article, split_sentences
from index.embeddings import TokenVectors
from index.errors import EmptyIndexError, UnknownArticleError
from index.loader import Article
from index.records import Passage, Spans, StoredArticle
from index.store import IngestResult, RepairReport
from index.transactions import _chunk_meta, _sentence_id, _sentence_meta

__all__ = ["FakeStore", "FakeTokenEmbeddings"]

_WORD = re.compile(r"\w+")


class FakeTokenEmbeddings(Embeddings):
    """Deterministic word-hash embeddings with word pieces (one piece per word); loads nothing."""

    def __init__(self, size: int = 64) -> None:
        self.size = size

    def _word(self, word: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha1(word.lower().encode()).digest()[:8], "little")
        vector = np.random.default_rng(seed).standard_normal(self.size)
        return (vector / np.linalg.norm(vector)).astype(np.float32)

    def _pieces(self, text: str, start: int = 0, end: int | None = None) -> TokenVectors:
        words = [m.group() for m in _WORD.finditer(text) if m.start() >= start and m.end() <= (len(text) if end is None else end)]
        vectors = np.vstack([self._word(w) for w in words]) if words else np.zeros((0, self.size), np.float32)
        return TokenVectors(vectors, [w.lower() for w in words])

    def _vector(self, text: str) -> list[float]:
        pieces = self._pieces(text).vectors
        mean = pieces.mean(axis=0) if len(pieces) else np.ones(self.size, np.float32)
        return (mean / max(float(np.linalg.norm(mean)), 1e-9)).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)

    def embed_query_tokens(self, text: str) -> tuple[list[float], TokenVectors]:
        return self._vector(text), self._pieces(text)

    def word_vectors(self, words: list[str]) -> np.ndarray:
        """Static word vectors (in place of WordLlama's), one unit row per word."""
        return np.vstack([self._word(w) for w in words]) if words else np.zeros((0, self.size), np.float32)

    def token_vectors(self, texts: list[str], spans: list[list[tuple[int, int]]]) -> list[list[TokenVectors]]:
        return [[self._pieces(text, a, b) for a, b in text_spans] for text, text_spans in zip(texts, spans)]


@dataclass(frozen=True)
class _Records:
    """One kind of record (passages or sentences) of one article revision, in article order."""

    ids: list[str]
    texts: list[str]
    metas: list[dict[str, Any]]
    vectors: list[list[float]]

    def spans(self) -> Spans:
        return Spans.from_rows(self.texts, [m["start"] for m in self.metas], [m["end"] for m in self.metas],
                               [list(v) for v in self.vectors], self.ids)


@dataclass(frozen=True)
class _Stored:
    text: str
    meta: dict[str, Any]
    chunks: _Records
    sentences: _Records


class FakeStore:
    """An in-memory :class:`~index.store.ArticleStore`: the same reads (``generation``, ``count``, ``articles``,
    ``article_text``, ``article_data``, ``content_hashes``, ``some_ids``, ``passages_of``, ``search``, ``require``)
    and writes (``ingest``, ``ingest_many`` calling ``on_commit``, ``remove``, ``repair``, ``recover``), with the real
    chunking. Nothing persists; there is
    nothing to crash, so ``repair`` and ``recover`` find nothing. Safe to call from many threads."""

    def __init__(self, embeddings: Embeddings, chunk_size: int = 600, chunk_overlap: int = 80) -> None:
        self.embeddings = embeddings
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self._articles: dict[str, _Stored] = {}
        self._generation = ""
        self._lock = threading.RLock()
        self.on_commit: Callable[[list[StoredArticle], tuple[str, str]], None] | None = None
        self.on_remove: Callable[[list[str], tuple[str, str]], None] | None = None

    # -- reading ----------------------------------------------------------------------------

    def generation(self) -> str:
        """Changes on every ingest and removal."""
        return self._generation

    def count(self) -> int:
        return len(self._articles)

    def some_ids(self, n: int) -> list[str]:
        with self._lock:
            return sorted(self._articles)[:max(0, n)]

    def articles(self, article_ids: list[str] | None = None) -> list[dict[str, Any]]:
        """Every article's row (or those of ``article_ids``), sorted by id, as :meth:`ArticleStore.articles` makes it."""
        with self._lock:
            stored = {a: r for a, r in self._articles.items() if article_ids is None or a in article_ids}
        rows = []
        for article_id, record in sorted(stored.items()):
            meta = record.meta
            row = {"id": article_id, "title": meta.get("title", article_id), "url": meta.get("url"),
                   "published": meta.get("published"), "chunks": meta.get("chunks", 0)}
            row.update(sorted((k, v) for k, v in meta.items() if k not in {"title", "hash", "chunks", "url", "published", "rev"}))
            if "questions" in row:
                row["questions"] = [q for q in str(row["questions"]).split("\n") if q]
            rows.append(row)
        return rows

    def _get(self, article_id: str) -> _Stored:
        try:
            return self._articles[article_id]
        except KeyError:
            raise UnknownArticleError(f"no article with id {article_id!r}; see `bot articles`") from None

    def article_text(self, article_id: str) -> str:
        return self._get(article_id).text

    def require(self, article_id: str | None = None) -> None:
        """Raise a clear error if the store is empty or ``article_id`` is unknown."""
        if not self._articles:
            raise EmptyIndexError()
        if article_id is not None and article_id not in self._articles:
            raise UnknownArticleError(f"no article with id {article_id!r}; see `bot articles` for the ids")

    def article_data(self, article_id: str) -> StoredArticle:
        record = self._get(article_id)
        sentences = replace(record.sentences.spans(), ids=[])  # the real store splits them from the text again: no record ids
        return StoredArticle(article_id, record.text, dict(record.meta), sentences, record.chunks.spans())

    def content_hashes(self, article_ids: list[str] | None = None) -> dict[str, str]:
        with self._lock:
            return {article_id: record.meta["hash"] for article_id, record in self._articles.items()
                    if article_ids is None or article_id in article_ids}

    def passages_of(self, article_ids: list[str]) -> list[StoredArticle]:
        return [self.article_data(a) for a in article_ids if a in self._articles]

    def _chunks(self) -> list[tuple[str, str, dict[str, Any], list[float], str]]:
        with self._lock:
            stored = list(self._articles.values())
        return [(*item, str(record.meta.get("hash", ""))) for record in stored
                for item in zip(record.chunks.ids, record.chunks.texts, record.chunks.metas, record.chunks.vectors)]

    def search(self, vector: list[float], k: int, article_id: str | None = None) -> list[Passage]:
        """Top-``k`` passages by cosine similarity (exact, where Chroma's index is approximate), each with its
        article's content hash."""
        chunks = [c for c in self._chunks() if article_id is None or c[2]["article_id"] == article_id]
        if not chunks:
            return []
        matrix = np.asarray([c[3] for c in chunks], dtype=np.float64)
        query = np.asarray(vector, dtype=np.float64)
        scores = matrix @ query / np.maximum(np.linalg.norm(matrix, axis=1) * np.linalg.norm(query), 1e-12)
        top = np.argsort(-scores, kind="stable")[:k]
        return [replace(Passage.from_meta(chunks[i][1], chunks[i][2], float(scores[i])), content_hash=chunks[i][4]) for i in top]

    # -- writing ----------------------------------------------------------------------------

    def ingest(self, article: Article) -> IngestResult:
        return self.ingest_many([article])[0]

    def ingest_many(self, articles: list[Article], batch_articles: int = 64, progress: bool = False,
                    workers: int | None = None) -> list[IngestResult]:
        """Store many articles; unchanged ones (same content hash) are skipped, changed ones replaced (in this
        thread: ``workers`` changes nothing)."""
        results = []
        for article in articles:
            with self._lock:
                old = self._articles.get(article.id)
                if old is not None and old.meta["hash"] == article.content_hash:
                    results.append(IngestResult(article.id, article.title, "unchanged", old.meta["chunks"], old.meta["sentences"]))
                    continue
                self._articles[article.id] = stored = self._stored(article)
                self._generation = uuid.uuid4().hex
            status = "updated" if old is not None else "added"
            results.append(IngestResult(article.id, article.title, status, stored.meta["chunks"], stored.meta["sentences"]))
        if self.on_commit is not None:  # the generations before and after: the fake has no writer lock, so none
            self.on_commit([self.article_data(r.article_id) for r in results if r.status != "unchanged"], ("", ""))
        return results

    def _stored(self, article: Article) -> _Stored:
        rev = uuid.uuid4().hex[:12]
        chunks = chunk_article(article, self.chunk_size, self.chunk_overlap)
        sentences = split_sentences(article.text)

        def records(items: list[tuple[str, str, dict[str, Any]]]) -> _Records:
            texts = [text for _, text, _ in items]
            return _Records([f"{i}~{rev}" for i, _, _ in items], texts, [{**meta, "rev": rev} for _, _, meta in items],
                            self.embeddings.embed_documents(texts))

        meta = {**{k: v for k, v in article.meta.items() if v is not None}, "title": article.title, "hash": article.content_hash,
                "chunks": len(chunks), "sentences": len(sentences),
                "ingested_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "rev": rev}
        return _Stored(
            article.text,
            meta,
            records([(c.id, c.text, _chunk_meta(c)) for c in chunks]),
            records([(_sentence_id(article.id, s), s.text, _sentence_meta(article.id, s)) for s in sentences]),
        )

    def remove(self, article_id: str) -> None:
        with self._lock:
            self._get(article_id)
            del self._articles[article_id]
            self._generation = uuid.uuid4().hex
        if self.on_remove is not None:
            self.on_remove([article_id], ("", ""))

    def repair(self) -> RepairReport:
        """Nothing to mend: an in-memory write never stops half-way."""
        return RepairReport(0, 0, [])

    def recover(self, wait: bool = True) -> int:
        return 0
