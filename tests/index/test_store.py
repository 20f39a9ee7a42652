"""Store behaviour with a deterministic fake embedder (a real LangChain Embeddings subclass)."""

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from bot.errors import EmptyIndexError, UnknownArticleError
from index.loader import Article
from index.store import ArticleStore

TEXT = "\n\n".join(f"Paragraph {i} says that event {i} happened in city {i}. It was notable." for i in range(30))


@pytest.fixture
def store(tmp_path):
    return ArticleStore(DeterministicFakeEmbedding(size=32), tmp_path / "data", chunk_size=200, chunk_overlap=20)


def _ids(store, kind, article_id):
    return sorted(store._store(kind)._collection.get(where={"article_id": article_id}, include=[])["ids"])


def test_reingest_is_idempotent(store):
    article = Article("a1", "Title", TEXT)
    first = store.ingest(article)
    before = (_ids(store, "chunks", "a1"), _ids(store, "sentences", "a1"))
    second = store.ingest(article)
    assert (first.status, second.status) == ("added", "unchanged")
    assert (_ids(store, "chunks", "a1"), _ids(store, "sentences", "a1")) == before
    assert len(before[0]) == first.chunks and len(before[1]) == first.sentences
    assert store.count() == 1


def test_changed_text_leaves_no_stale_chunks(store):
    store.ingest(Article("a1", "Title", TEXT))
    changed = TEXT.replace("city 3", "the capital").rsplit("\n\n", 10)[0]
    result = store.ingest(Article("a1", "Title", changed))
    assert result.status == "updated"
    got = store._store("chunks")._collection.get(where={"article_id": "a1"}, include=["documents", "metadatas"])
    assert len(got["ids"]) == result.chunks
    for text, meta in zip(got["documents"], got["metadatas"]):
        assert changed[meta["start"] : meta["end"]] == text
    assert not any("city 3." in t for t in got["documents"])
    assert store.article_text("a1") == changed
    sentences = store._store("sentences")._collection.get(where={"article_id": "a1"}, include=["documents"])
    assert len(sentences["ids"]) == result.sentences


def test_other_articles_untouched_and_remove(store):
    store.ingest(Article("a1", "One", TEXT))
    store.ingest(Article("a2", "Two", TEXT.replace("city", "town")))
    kept = _ids(store, "chunks", "a2")
    store.remove("a1")
    assert _ids(store, "chunks", "a1") == [] and _ids(store, "sentences", "a1") == []
    assert _ids(store, "chunks", "a2") == kept
    assert [a["id"] for a in store.articles()] == ["a2"]
    with pytest.raises(UnknownArticleError):
        store.remove("a1")


def test_persistent_across_instances(store, tmp_path):
    store.ingest(Article("a1", "One", TEXT))
    again = ArticleStore(DeterministicFakeEmbedding(size=32), tmp_path / "data")
    assert [a["id"] for a in again.articles()] == ["a1"]


def test_require_reports_empty_index(store):
    with pytest.raises(EmptyIndexError, match="bot ingest"):
        store.require()
