"""In-memory evidence for one article: its sentences and passages with everything scoring needs.

An :class:`ArticleIndex` is built once per article from the :class:`~index.store.StoredArticle`
the store returns, and cached by :class:`~bot.extractive.cache.EvidenceCache`, so answering a
question reads nothing from Chroma: it embeds the question once and does the rest with numpy.
It is made of the small read-only tables of :mod:`bot.extractive.tables`; its word pieces
(for token-level matching) are computed on first use.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from bot.extractive.tables import build_kinds, build_layout, build_term_stats, build_word_table
from bot.extractive.words import word_vectors
from index.embeddings import TokenEmbeddings
from index.records import Spans, StoredArticle

__all__ = ["ArticleIndex", "bm25_scores"]


@dataclass
class ArticleIndex:
    """One article's tables (read-only once built); see the module docstring."""

    article_id: str
    title: str
    text: str
    sentences: Spans
    passages: Spans
    #: where the word pieces come from (on first use), perhaps with ``word_vectors`` too
    token_source: TokenEmbeddings | None = None
    n: int = field(init=False)

    def __post_init__(self) -> None:
        self.n = len(self.sentences.texts)
        self.layout = build_layout(self.text, self.title, self.sentences, self.passages)
        self.stats = build_term_stats(self.sentences, self.passages, self.layout)
        self.kinds = build_kinds(self.sentences.texts)
        self.words = build_word_table(self.sentences.texts, getattr(self.token_source, "word_vectors", word_vectors))
        self._token_lock = threading.Lock()
        self._tokens: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @classmethod
    def from_record(cls, record: StoredArticle, embeddings=None) -> ArticleIndex:
        """The index of one stored article; ``embeddings`` (:class:`~index.embeddings.TokenEmbeddings`)
        is where its sentences' word pieces come from when first needed."""
        return cls(
            article_id=record.id,
            title=record.meta.get("title", record.id),
            text=record.text,
            sentences=record.sentences,
            passages=record.passages,
            token_source=embeddings if isinstance(embeddings, TokenEmbeddings) else None,
        )

    def tokens(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every sentence's contextual word-piece vectors (rows ``start[i]:end[i]`` of the matrix).

        Computed on first use from the passages (each encoded once, its sentences' pieces cut out by
        character offsets), so an article that is only looked at, never answered from, costs nothing.
        Without a token source (an index built by hand) the table is empty."""
        if self._tokens is None:
            with self._token_lock:
                if self._tokens is None:
                    self._tokens = self._compute_tokens()
        return self._tokens

    def _compute_tokens(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        dim = self.sentences.vecs.shape[1] if self.n else 0
        if self.token_source is None or not self.n:
            return _token_table(np.zeros((0, dim), np.float32), np.zeros(0, dtype=int), self.n)
        members: dict[int, list[int]] = {}
        for i in range(self.n):
            members.setdefault(int(self.layout.sent_chunk[i]), []).append(i)
        texts, spans = [], []
        for c, sentences in members.items():
            base, size = int(self.passages.starts[c]), len(self.passages.texts[c])
            texts.append(self.passages.texts[c])
            spans.append([(max(int(self.sentences.starts[i]) - base, 0), min(int(self.sentences.ends[i]) - base, size)) for i in sentences])
        found = self.token_source.token_vectors(texts, spans)
        per_sentence: list = [None] * self.n
        for sentences, pieces in zip(members.values(), found):
            for i, tv in zip(sentences, pieces):
                per_sentence[i] = tv.vectors
        vecs = np.vstack([v.reshape(-1, dim) for v in per_sentence]).astype(np.float32)
        owner = np.concatenate([np.full(len(v), i) for i, v in enumerate(per_sentence)])
        return _token_table(vecs, owner, self.n)

    # -- helpers used by the features -------------------------------------------------------

    def term_weights(self, question_terms: set[str]) -> tuple[np.ndarray, float]:
        """An idf-weighted indicator over the vocabulary, and the total idf mass of the question
        (terms the article lacks count with the highest idf)."""
        weights = np.zeros(len(self.stats.vocab), dtype=np.float32)
        total = 0.0
        for t in question_terms:
            if t in self.stats.vocab:
                weights[self.stats.vocab[t]] = self.stats.idf[self.stats.vocab[t]]
                total += float(self.stats.idf[self.stats.vocab[t]])
            else:
                total += self.stats.unknown_idf
        return weights, total

    def idf_of(self, term: str) -> float:
        return float(self.stats.idf[self.stats.vocab[term]]) if term in self.stats.vocab else self.stats.unknown_idf

    def bm25_scores(self, question_terms: list[str]) -> np.ndarray:
        """BM25 of every sentence."""
        return bm25_scores(self.stats.bm25, question_terms, self.n)

    def chunk_bm25_scores(self, question_terms: list[str]) -> np.ndarray:
        """BM25 of every passage."""
        return bm25_scores(self.stats.chunk_bm25, question_terms, len(self.passages.texts))



def _token_table(vecs: np.ndarray, owner: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectors (rows grouped by sentence, in order) and each sentence's first and end row."""
    bounds = np.searchsorted(owner, np.arange(n + 1))
    return vecs, bounds[:-1], bounds[1:]


def bm25_scores(model, query_terms: list[str], size: int) -> np.ndarray:
    """``model.get_scores`` for the query terms the index knows (zeros if none)."""
    known = [t for t in query_terms if t in model.vocab_dict]
    if not known or size == 0:
        return np.zeros(size, dtype=np.float32)
    return np.asarray(model.get_scores(known), dtype=np.float32)
