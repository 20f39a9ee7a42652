"""Hybrid retrieval: BM25 (``bm25s``) fused with dense similarity (Chroma) by reciprocal rank.

:class:`HybridRetriever` is a LangChain retriever. Scoped to one article (or when the
index holds only one), it scores that article's passages in memory; otherwise it
fuses Chroma's nearest passages with a BM25 index over every stored passage. The BM25
index is rebuilt whenever the store's generation changes, so it always matches the
Chroma collection.
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
from index.terms import terms

__all__ = ["HybridRetriever", "GlobalBM25", "rrf"]

RRF_K = 60


def rrf(*rankings: list[str]) -> dict[str, float]:
    """Reciprocal-rank fusion of ranked id lists."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking):
            fused[key] = fused.get(key, 0.0) + 1.0 / (RRF_K + rank + 1)
    return fused


class GlobalBM25:
    """A bm25s index over every stored passage, rebuilt when the store changes."""

    def __init__(self, store) -> None:
        self.store = store
        self._generation: str | None = None
        self._model = None
        self._ids: list[str] = []
        self._meta: list[dict] = []
        self._texts: list[str] = []
        self._lock = threading.Lock()

    def search(self, query: str, k: int, generation: str) -> list[tuple[str, str, dict, float]]:
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)
        with self._lock:
            if self._model is None or generation != self._generation:
                data = self.store.all_chunks()
                self._ids, self._texts, self._meta = data["ids"], data["texts"], data["metadatas"]
                self._model = bm25s.BM25()
                self._model.index([terms(t) or ["\0"] for t in self._texts], show_progress=False)
                self._generation = generation
        scores = bm25_scores(self._model, terms(query), len(self._ids))
        top = np.argsort(-scores)[:k]
        return [(self._ids[i], self._texts[i], self._meta[i], float(scores[i])) for i in top if scores[i] > 0]


class HybridRetriever(BaseRetriever):
    """Top-k passages for a query; ``metadata["score"]`` is the passage's cosine similarity to it."""

    store: Any
    embeddings: Any
    evidence: Any
    bm25: Any
    k: int = 4
    article_id: str | None = None
    mode: Literal["hybrid", "dense", "bm25"] = "hybrid"

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        vector = np.asarray(self.embeddings.embed_query(query), dtype=np.float32)
        ids = self.evidence.article_ids()
        if self.article_id is not None or len(ids) == 1:
            return self._in_article(self.article_id or ids[0], query, vector)
        return self._across(query, vector)

    def _in_article(self, article_id: str, query: str, vector: np.ndarray) -> list[Document]:
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
            Document(
                index.passages.texts[i],
                metadata={
                    "article_id": index.article_id, "title": index.title, "start": int(index.passages.starts[i]),
                    "end": int(index.passages.ends[i]), "score": float(dense[i]),
                },
            )
            for i in top
        ]

    def _across(self, query: str, vector: np.ndarray) -> list[Document]:
        pool = max(self.k * 3, 10)
        found: dict[str, Document] = {}
        rankings = []
        if self.mode in ("hybrid", "dense"):
            hits = self.store.search(vector.tolist(), pool)
            for doc, score in hits:
                doc.metadata["score"] = score
                found[doc.id or f"{doc.metadata['article_id']}@{doc.metadata['start']}"] = doc
            rankings.append(list(found))
        if self.mode in ("hybrid", "bm25"):
            ranking = []
            for chunk_id, text, meta, _ in self.bm25.search(query, pool, self.store.generation()):
                ranking.append(chunk_id)
                if chunk_id not in found:
                    found[chunk_id] = Document(text, id=chunk_id, metadata=dict(meta))
            rankings.append(ranking)
        fused = rrf(*rankings)
        top = sorted(fused, key=fused.get, reverse=True)[: self.k]
        docs = [found[i] for i in top]
        for doc in docs:
            if "score" not in doc.metadata:
                index = self.evidence.get(doc.metadata["article_id"])
                hit = np.nonzero(index.passages.starts == doc.metadata["start"])[0]
                doc.metadata["score"] = float(index.passages.vecs[hit[0]] @ vector) if len(hit) else 0.0
        return docs
