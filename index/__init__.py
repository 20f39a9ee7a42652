"""Turning articles into searchable passages: loading, chunking, embedding, the Chroma store.

The names below are imported on first use (PEP 562): ``import index.errors``, which every module of the bot does,
then costs nothing, and a command imports only the parts it uses (the store's Chroma client is a third of a cold start).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from index.chunking import Chunk, Sentence, chunk_article, split_sentences
    from index.embeddings import LazyEmbeddings
    from index.loader import Article, load_article
    from index.records import Passage
    from index.store import ArticleStore, IngestResult

_WHERE = {
    "Article": "index.loader",
    "ArticleStore": "index.store",
    "Chunk": "index.chunking",
    "IngestResult": "index.store",
    "LazyEmbeddings": "index.embeddings",
    "Passage": "index.records",
    "Sentence": "index.chunking",
    "chunk_article": "index.chunking",
    "load_article": "index.loader",
    "split_sentences": "index.chunking",
}

__all__ = [
    "Article",
    "ArticleStore",
    "Chunk",
    "IngestResult",
    "LazyEmbeddings",
    "Passage",
    "Sentence",
    "chunk_article",
    "load_article",
    "split_sentences",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'index' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
