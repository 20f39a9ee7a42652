"""Retrieval across articles: BM25 from the on-disk index (index.fulltext), kept in line with the store."""

from __future__ import annotations

import pytest

from bot.chain import NewsBot
from bot.settings import Settings
from index.loader import Article
from tests.bot.extractive.conftest import STORY
from tests.fakes import FakeStore, FakeTokenEmbeddings

pytestmark = pytest.mark.unit

ARTICLES = [Article("tram", "Harbour tram line", STORY),
            Article("dam", "Dam inspected", "Engineers inspected the Kessler dam after the floods of May."),
            Article("bus", "Bus lanes", "The city adds bus lanes on Ring Road.")]


def _bot(tmp_path, retrieval="bm25") -> NewsBot:
    fake = FakeTokenEmbeddings()
    bot = NewsBot(Settings(data_dir=tmp_path, reader="off", retrieval=retrieval), embeddings=fake, store=FakeStore(fake))
    bot.evidence.ttl = 0.0
    return bot


def test_articles_stored_by_another_process_are_indexed_for_bm25_on_the_next_question(tmp_path):
    bot = _bot(tmp_path)
    bot.store.ingest_many(ARTICLES)  # by the store alone, as another process: no commit hook here
    assert [p.article_id for p in bot.retriever().passages("Kessler dam floods")][:1] == ["dam"]
    bot.store.remove("dam")
    assert "dam" not in {p.article_id for p in bot.retriever().passages("Kessler dam floods")}
    bot.store.ingest(Article("dam", "Dam rebuilt", "The Kessler dam was rebuilt."))
    assert [p.text for p in bot.retriever().passages("Kessler dam")][:1] == ["The Kessler dam was rebuilt."]


def test_an_unusable_index_file_leaves_dense_retrieval(tmp_path, caplog):
    (tmp_path / "fulltext.sqlite").mkdir()  # not a file: SQLite cannot open it
    bot = _bot(tmp_path, retrieval="hybrid")
    bot.ingest_many(ARTICLES)
    assert bot.retriever().passages("Kessler dam floods")
    assert not bot.ask("Who inspected the Kessler dam?").refused
    assert "BM25 index" in caplog.text


def test_warm_up_brings_the_bm25_file_in_line_so_no_question_waits_on_a_comparison(tmp_path):
    bot = _bot(tmp_path)
    bot.store.ingest_many(ARTICLES)  # by the store alone, as another machine would: the file knows nothing of them
    bot.bm25.add([bot.store.article_data("bus")])  # a file that holds articles: a question would compare in the background
    bot.warm_up()
    assert [p.article_id for p in bot.retriever().passages("Kessler dam floods")][:1] == ["dam"]
    assert bot.bm25._behind is None  # compared in warm_up, not behind the questions


def test_an_unscoped_question_finds_its_articles_evidence_without_asking_the_store_for_their_hashes(tmp_path):
    """The dense hits carry their article's hash (read with the revision check) and a BM25 file in line with the
    store gives its own, so the answer's evidence is found without a lookup: on a Chroma server, each lookup was
    a request of every question (unscoped p50 at 100,000 articles 75.8 → 66.0 ms)."""
    bot = _bot(tmp_path, retrieval="hybrid")
    bot.ingest_many(ARTICLES)
    bot.warm_up()  # the BM25 file compared once, as a served bot's is before its first question
    asked = []
    looked_up = bot.store.content_hashes

    def content_hashes(ids=None):
        asked.append(ids)
        return looked_up(ids)

    bot.store.content_hashes = content_hashes
    bot.evidence.ttl = 60.0
    bot.evidence.invalidate()  # a worker that knows no article's hash yet
    answer = bot.ask("Who inspected the Kessler dam after the floods?")
    assert not answer.refused and answer.citations[0].article_id == "dam"
    assert asked == []


def test_a_hash_read_before_another_process_changed_the_article_is_not_kept_for_the_new_generation(tmp_path):
    """A search's hits carry their article's hash as it was when read. If the store moves on before the retriever
    hands them to the evidence cache, and the cache has seen that, they are dropped: kept, the old text's hash
    would stand for the new generation, and the article's old evidence would be quoted until the next change."""
    bot = _bot(tmp_path, retrieval="hybrid")
    bot.ingest_many(ARTICLES)
    bot.warm_up()
    store, search = bot.store, bot.store.search
    rebuilt = Article("dam", "Dam rebuilt", "The Kessler dam was rebuilt in June.")

    def search_then_changed(vector, k, article_id=None):
        hits = search(vector, k, article_id)  # the dam's hash as it was
        hook, store.on_commit = store.on_commit, None
        store.ingest(rebuilt)  # as another process would, between the search and the retriever's hand-over
        store.on_commit = hook
        bot.evidence.generation()  # another question looks: the cache moves on
        return hits

    store.search = search_then_changed
    assert "dam" in {p.article_id for p in bot.retriever().passages("Who inspected the Kessler dam after the floods?")}
    store.search = search
    assert bot.evidence.hashes_of(["dam"]) == {"dam": rebuilt.content_hash}
