"""What :class:`bot.chain.NewsBot` is made of, built from the settings: the embedder, the store, the evidence.

Each is cheap to build (nothing loads or connects until first used), so a bot that only answers one question
(`bot ask`) pays for what that question needs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from langchain_core.embeddings import Embeddings

from bot.extractive import EvidenceCache
from bot.extractive.stored import EvidenceStore
from bot.settings import Settings
from index.embeddings import LazyEmbeddings
from index.onnx_embeddings import OnnxEmbeddings
from index.store import ArticleStore

__all__ = ["commit_hook", "embeddings_for", "evidence_for", "store_for"]

log = logging.getLogger(__name__)


def embeddings_for(settings: Settings) -> Embeddings:
    """The embedding model ``BOT_EMBEDDING_BACKEND`` names: torch, or its ONNX export (fp32 or int8)."""
    if settings.embedding_backend == "torch":
        return LazyEmbeddings(settings.model_path)
    return OnnxEmbeddings(settings.model_path, settings.model_cache, quantized=settings.embedding_backend == "onnx-int8")


def store_for(settings: Settings, embeddings: Embeddings) -> ArticleStore:
    """The Chroma store: embedded in the data dir, or on the server ``BOT_CHROMA_HOST`` names."""
    return ArticleStore(
        embeddings,
        settings.data_dir,
        collection=settings.collection,
        chunk_size=settings.chunk_size,
        chunk_overlap=settings.chunk_overlap,
        host=settings.chroma_host,
        port=settings.chroma_port,
        reserve_mb=settings.storage_reserve_mb,
        workers=settings.ingest_workers,
        device=settings.device,
    )


def evidence_for(settings: Settings, store, embeddings: Embeddings) -> EvidenceCache:
    """Every article's answering tables: in memory (``BOT_EVIDENCE_CACHE_ARTICLES``), on disk in the data dir
    (``BOT_EVIDENCE_STORE_MB``, :mod:`bot.extractive.stored`), else built from the store."""
    disk = EvidenceStore(settings.data_dir / "evidence.sqlite", settings.evidence_store_mb, settings.storage_reserve_mb)
    return EvidenceCache(store, embeddings, max_articles=settings.evidence_cache_articles, disk=disk)


def commit_hook(*keepers: Callable[[list, tuple[str, str]], None]) -> Callable[[list, tuple[str, str]], None]:
    """The store's commit hook (:attr:`index.store.ArticleStore.on_commit`): what a bot ingests gets its evidence and
    its BM25 rows at once, while the vectors are at hand (each keeper is given the records and the store's
    generations before and after the batch). Each is only a cache: a failure is logged, and questions make up
    for it; removals reach the BM25 index through its :meth:`~index.fulltext.FullTextIndex.sync`."""

    def committed(records: list, moved: tuple[str, str]) -> None:
        for keep in keepers:
            try:
                keep(records, moved)
            except Exception:
                log.exception("keeping what %d ingested articles need for questions failed", len(records))

    return committed
