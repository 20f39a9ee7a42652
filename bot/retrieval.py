"""Hybrid retrieval: BM25 fused with dense similarity (Chroma) by reciprocal rank.

:class:`HybridRetriever` hands the bot :class:`~index.records.Passage` records
(:meth:`HybridRetriever.passages`). Scoped to one article (or when the index holds only one),
it scores that article's passages in memory (the article's own BM25, ``bm25s``); otherwise it fuses
Chroma's nearest passages with the on-disk BM25 index over every stored passage
(:class:`index.fulltext.FullTextIndex`), brought up to date whenever the store's generation changes.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Literal

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from bot.extractive.features import ranks
from index.records import Passage
from index.terms import terms

__all__ = ["HybridRetriever", "rrf"]

log = logging.getLogger(__name__)

RRF_K = 60
_LEXICAL: ThreadPoolExecutor | None = None
_LEXICAL_LOCK = threading.Lock()


def _lexical_pool() -> ThreadPoolExecutor:
    """The threads that run BM25 searches beside the dense search (made on first use, one per core)."""
    global _LEXICAL
    with _LEXICAL_LOCK:
        if _LEXICAL is None:
            _LEXICAL = ThreadPoolExecutor(max(2, os.cpu_count() or 1), thread_name_prefix="bm25")
        return _LEXICAL


def rrf(*rankings: list[Any]) -> dict[Any, float]:
    """Reciprocal-rank fusion of ranked key lists."""
    fused: dict[Any, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking):
            fused[key] = fused.get(key, 0.0) + 1.0 / (RRF_K + rank + 1)
    return fused


class HybridRetriever(BaseRetriever):
    """Top-k passages for a query, each scored by its cosine similarity to it.

    The bot calls :meth:`passages`, which returns :class:`~index.records.Passage` records. The class
    stays a LangChain ``BaseRetriever`` for LangChain users: ``invoke`` turns the same passages into
    ``Document``s at that edge only (``metadata``: article_id, title, start, end, score)."""

    store: Any
    embeddings: Any
    evidence: Any
    bm25: Any
    k: int = 4
    article_id: str | None = None
    mode: Literal["hybrid", "dense", "bm25"] = "hybrid"

    def passages(self, query: str) -> list[Passage]:
        """The top ``k`` passages for ``query``, best first. Across articles, BM25 runs in a thread of its own
        while the query is embedded and Chroma searched (both wait outside the interpreter lock)."""
        article = self.article_id
        if article is None and self.evidence.count() == 1:  # one article: its id, from a listing of one
            article = next(iter(self.evidence.article_ids()), None)
        if article is not None:
            vector = np.asarray(self.embeddings.embed_query(query), dtype=np.float32)
            return self._in_article(article, query, vector)
        # read before anything the hits carry: their hashes are of this generation or a later one, never older
        generation = self.evidence.generation()
        lexical = _lexical_pool().submit(self._bm25, query, self._pool, generation) if self.mode in ("hybrid", "bm25") else None
        try:
            vector = np.asarray(self.embeddings.embed_query(query), dtype=np.float32)
            return self._across(vector, lexical, generation)
        finally:
            if lexical is not None:
                lexical.cancel()

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [
            Document(p.text, metadata={"article_id": p.article_id, "title": p.title, "start": p.start, "end": p.end, "score": p.score})
            for p in self.passages(query)
        ]

    def _in_article(self, article_id: str, query: str, vector: np.ndarray) -> list[Passage]:
        index = self.evidence.get(article_id)
        dense = index.passages.vecs @ vector
        fused = np.zeros(len(dense))
        if self.mode in ("hybrid", "dense"):
            fused += 1.0 / (RRF_K + 1 + ranks(dense))
        if self.mode in ("hybrid", "bm25"):
            bm = index.chunk_bm25_scores(terms(query))
            fused += 1.0 / (RRF_K + 1 + ranks(bm if bm.any() else dense))
        top = np.argsort(-fused, kind="stable")[: self.k]
        return [
            Passage(index.article_id, index.title, index.passages.texts[i], int(index.passages.starts[i]),
                    int(index.passages.ends[i]), float(dense[i]))
            for i in top
        ]

    @property
    def _pool(self) -> int:
        """How many passages each ranking gives to the fusion."""
        return max(self.k * 3, 10)

    def _across(self, vector: np.ndarray, lexical: Future[list[Passage]] | None, generation: str) -> list[Passage]:
        # a passage is one span of one article: (article id, start) names it in both rankings
        found: dict[tuple[str, int], Passage] = {}
        scored: set[tuple[str, int]] = set()
        rankings = []
        if self.mode in ("hybrid", "dense"):
            for hit in self.store.search(vector.tolist(), self._pool):
                found[hit.article_id, hit.start] = hit
            scored = set(found)
            rankings.append(list(found))
        if lexical is not None:
            ranking = []
            for hit in lexical.result():
                ranking.append((hit.article_id, hit.start))
                found.setdefault((hit.article_id, hit.start), hit)
            rankings.append(ranking)
        fused = rrf(*rankings)
        top = sorted(fused, key=fused.__getitem__, reverse=True)[: self.k]
        # the hits carry their article's hash: the evidence of the answer's articles is found without a lookup
        self.evidence.learn({found[key].article_id: found[key].content_hash for key in top if found[key].content_hash}, generation)
        return [found[key] if key in scored else self._scored(found[key], vector) for key in top]

    def warm_up(self) -> None:
        """Bring the BM25 file in line with the store now, once per data dir and store generation (a new data dir,
        another machine's writes: about 10 s at 100,000 articles), not in the background of the first questions."""
        try:
            # the cache's generation, read before its listing: the file never records one newer than its text
            self.bm25.sync(self.evidence.generation(), self.evidence.content_hashes, self.store.passages_of)
        except sqlite3.Error as exc:  # a damaged file: questions rank by vectors alone, and say so in the log
            self._unusable(exc)

    def _unusable(self, exc: sqlite3.Error) -> None:
        log.warning("the BM25 index %s cannot be used (%s: %s); ranking by vectors alone", self.bm25.path,
                    type(exc).__name__, exc)

    def _bm25(self, query: str, pool: int, generation: str) -> list[Passage]:
        """The passages BM25 ranks highest over the whole store (:class:`index.fulltext.FullTextIndex`), the file
        brought up to date with the store in the background (:meth:`index.fulltext.FullTextIndex.sync`); each hit
        checked against the store's text of its article; none when the index file cannot be used (dense ranking
        alone, logged)."""
        try:
            self.bm25.sync(generation, self.evidence.content_hashes, self.store.passages_of, wait=False)
            return self.bm25.search(query, pool, current=self.evidence.hashes_of, generation=generation)
        except sqlite3.Error as exc:
            self._unusable(exc)
            return []

    def _scored(self, passage: Passage, vector: np.ndarray) -> Passage:
        """``passage`` (found by BM25 alone) scored by its stored vector's similarity to the query."""
        index = self.evidence.get(passage.article_id)
        hit = np.nonzero(index.passages.starts == passage.start)[0]
        return passage.scored(float(index.passages.vecs[hit[0]] @ vector) if len(hit) else 0.0)
