"""Turning articles into searchable passages: loading, chunking, embedding, the Chroma store."""


from index.chunking import Chunk, Sentence, chunk_article, split_sentences
from index.embeddings import LazyEmbeddings
from index.loader import Article, load_article
from index.records import Passage
from index.store import ArticleStore, IngestResult

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
