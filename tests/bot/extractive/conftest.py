"""Unit-test fixtures: an article index built in memory with the fake token embedder (no model, no store)."""

from __future__ import annotations

import pytest

from bot.extractive.article import ArticleIndex
from index.chunking import chunk_article, split_sentences
from index.loader import Article
from index.records import Spans, StoredArticle
from tests.fakes import FakeTokenEmbeddings

STORY = """Council approves harbour tram line

LISBON, March 3 (Reuters) - The city council voted 31 to 12 on Tuesday to approve a new tram line linking the harbour to the university.

Construction is expected to start in March and cost 240 million euros, the mayor said. She told reporters the line would \
carry 40,000 passengers a day.

The opposition did not support the plan. Ana Ruiz, who leads the transport committee, said the money should go to buses instead.
"""


def stored(article: Article, embeddings, chunk_size: int = 200) -> StoredArticle:
    """What the store would hand back for ``article`` (passages, sentences, their vectors)."""
    chunks = chunk_article(article, chunk_size, 20)
    sentences = split_sentences(article.text)

    def spans(items) -> Spans:
        texts = [s.text for s in items]
        return Spans.from_rows(texts, [s.start for s in items], [s.end for s in items], embeddings.embed_documents(texts),
                               [str(i) for i in range(len(items))])

    return StoredArticle(article.id, article.text, {"title": article.title}, spans(sentences), spans(chunks))


@pytest.fixture(scope="session")
def fake() -> FakeTokenEmbeddings:
    return FakeTokenEmbeddings()


@pytest.fixture(scope="session")
def story(fake) -> ArticleIndex:
    return ArticleIndex.from_record(stored(Article("tram", "Council approves harbour tram line", STORY), fake), fake)
