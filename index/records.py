"""The typed records the store hands to answering.

* :class:`Passage`: one exact span of one stored article, as retrieval finds it. It travels unchanged from
  the store and the retriever to the answerers, the grounding guard, the LLM prompt and the citations.
* :class:`Spans`: an article's sentences or passages, with their offsets and vectors.
* :class:`StoredArticle`: what answering reads about one article: its text, metadata, sentences, passages.

Defined here, at the store layer, because the store produces them and ``bot`` consumes them (``bot``
imports ``index``, never the reverse).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

__all__ = ["Passage", "Spans", "StoredArticle"]


@dataclass(frozen=True)
class Passage:
    """One passage of an article: ``text`` is exactly ``article_text[start:end]``.

    ``score`` is the passage's cosine similarity to the question it was retrieved for (0 until
    scored). ``url`` is the article's address where the producer knows it; passage records do not
    carry it, so retrieval leaves it ``None``. ``content_hash`` is the article's content hash as the store held
    it when the passage was found (empty where unknown): what answering keys the article's evidence on, so a
    question need not ask the store for it again."""

    article_id: str
    title: str
    text: str
    start: int
    end: int
    score: float = 0.0
    url: str | None = None
    content_hash: str = field(default="", compare=False)

    @classmethod
    def from_meta(cls, text: str, meta: dict[str, Any], score: float = 0.0) -> Passage:
        """A passage record as Chroma stores it (its text and metadata), as answering reads it."""
        return cls(meta["article_id"], meta.get("title", meta["article_id"]), text, int(meta["start"]), int(meta["end"]), score)

    def scored(self, score: float) -> Passage:
        """This passage with ``score`` as its similarity to the question."""
        return replace(self, score=score)


@dataclass(frozen=True)
class Spans:
    """The sentences or the passages of one article, in article order: texts, character offsets,
    vectors (one float32 row each) and the store's record ids (none for spans built by hand)."""

    texts: list[str]
    starts: np.ndarray
    ends: np.ndarray
    vecs: np.ndarray
    ids: list[str] = field(default_factory=list)

    @classmethod
    def from_rows(cls, texts: Sequence[str], starts: Sequence[int], ends: Sequence[int], vectors: Sequence,
                  ids: Sequence[str] = ()) -> Spans:
        """Spans from plain rows, as Chroma returns them."""
        matrix = np.asarray(vectors, dtype=np.float32).reshape(len(vectors), -1) if len(vectors) else np.zeros((0, 0), np.float32)
        return cls(list(texts), np.asarray(starts), np.asarray(ends), matrix, list(ids))

    @classmethod
    def empty(cls) -> Spans:
        """No spans (what a record leaves out: the store's sentences, which it does not keep)."""
        return cls.from_rows([], [], [], [])


@dataclass(frozen=True)
class StoredArticle:
    """What answering reads about one article: its text, metadata, sentences and passages."""

    id: str
    text: str
    meta: dict[str, Any]
    sentences: Spans
    passages: Spans
