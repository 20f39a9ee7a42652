"""The torch embedder is called from many request threads at once (bot serve)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.settings import Settings
from index.embeddings import LazyEmbeddings

pytestmark = pytest.mark.slow


def test_queries_and_padded_batches_from_many_threads_all_succeed():
    # one Hugging Face tokenizer serves every call; a query racing a padded batch raised "Unable to create
    # tensor" (2 of 300 calls from 8 threads), an HTTP 500 for the reader who asked
    embeddings = LazyEmbeddings(Settings().model_path)
    texts = [("word " * (1 + i % 40)).strip() + f" {i}" for i in range(300)]

    def call(i: int):
        if i % 3:
            return embeddings.embed_query_tokens(texts[i])[0]
        return embeddings.embed_documents([texts[i], texts[(i + 7) % 300] * 3])[0]

    with ThreadPoolExecutor(8) as pool:
        vectors = list(pool.map(call, range(300)))
    assert len(vectors) == 300 and all(len(v) == 384 for v in vectors)
