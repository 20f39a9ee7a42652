"""Hybrid retrieval: BM25 (``bm25s``) fused with dense similarity (Chroma) by reciprocal rank.

:class:`HybridRetriever` hands the bot :class:`~index.records.Passage` records
(:meth:`HybridRetriever.passages`). Scoped to one article (or when the index holds only one),
it scores that article's passages in memory; otherwise it fuses Chroma's nearest passages
with a BM25 index over every stored passage. The BM25 index is rebuilt whenever the store's
generation changes, so it always matches the Chroma collection.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Literal

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from bot.extractive.article import bm25_scores
from bot.extractive.features import ranks
from index.records import Passage
from index.terms import terms

__all__ = ["HybridRetriever", "GlobalBM25", "rrf"]

RRF_K = 60


def rrf(*rankings: list[Any]) -> dict[Any, float]:
    """Reciprocal-rank fusion of ranked key lists."""
    fused: dict[Any, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking):
            fused[key] = fused.get(key, 0.0) + 1.0 / (RRF_K + rank + 1)
    return fused


class GlobalBM25:
    """A bm25s index over every stored passage, rebuilt when the store changes."""

    def __init__(self, store) -> None:
        self.store = store
        self._generation: str | None = None
        self._model: Any = None  # a bm25s.BM25, built on first search
        self._passages: list[Passage] = []
        self._lock = threading.Lock()

    def search(self, query: str, k: int, generation: str) -> list[Passage]:
        """The ``k`` passages (at most) that BM25 ranks highest for ``query``, best first, unscored."""
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)
        with self._lock:
            if self._model is None or generation != self._generation:
                self._passages = self.store.all_chunks()
                self._model = bm25s.BM25()
                self._model.index([terms(p.text) or ["\0"] for p in self._passages], show_progress=False)
                self._generation = generation
        scores = bm25_scores(self._model, terms(query), len(self._passages))
        top = np.argsort(-scores)[:k]
        return [self._passages[i] for i in top if scores[i] > 0]


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
        """The top ``k`` passages for ``query``, best first."""
        vector = np.asarray(self.embeddings.embed_query(query), dtype=np.float32)
        ids = self.evidence.article_ids()
        if self.article_id is not None or len(ids) == 1:
            return self._in_article(self.article_id or ids[0], query, vector)
        return self._across(query, vector)

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

    def _across(self, query: str, vector: np.ndarray) -> list[Passage]:
        pool = max(self.k * 3, 10)
        # a passage is one span of one article: (article id, start) names it in both rankings
        found: dict[tuple[str, int], Passage] = {}
        scored: set[tuple[str, int]] = set()
        rankings = []
        if self.mode in ("hybrid", "dense"):
            for hit in self.store.search(vector.tolist(), pool):
                found[hit.article_id, hit.start] = hit
            scored = set(found)
            rankings.append(list(found))
        if self.mode in ("hybrid", "bm25"):
            ranking = []
            for hit in self.bm25.search(query, pool, self.store.generation()):
                ranking.append((hit.article_id, hit.start))
                found.setdefault((hit.article_id, hit.start), hit)
            rankings.append(ranking)
        fused = rrf(*rankings)
        top = sorted(fused, key=fused.__getitem__, reverse=True)[: self.k]
        return [found[key] if key in scored else self._scored(found[key], vector) for key in top]

    def _scored(self, passage: Passage, vector: np.ndarray) -> Passage:
        """``passage`` (found by BM25 alone) scored by its stored vector's similarity to the query."""
        index = self.evidence.get(passage.article_id)
        hit = np.nonzero(index.passages.starts == passage.start)[0]
        return passage.scored(float(index.passages.vecs[hit[0]] @ vector) if len(hit) else 0.0)
