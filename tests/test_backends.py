"""End to end on both store backends: an embedded Chroma and a real `chroma run` server."""

import pytest

from bot.chain import NewsBot
from bot.settings import BUNDLED_ARTICLES, Settings
from index.loader import Article, load_article
from tests.conftest import OTHER_ARTICLE, SEED_ID, SEED_TEXT

pytestmark = pytest.mark.slow
ALASKA = "What did India say about the Alaska summit?"


def test_many_articles_scoping_changes_and_removal(tmp_path, backend):
    bot = NewsBot(Settings(data_dir=tmp_path / "data", **backend))
    others = [Article(f"story-{i}", f"Story {i}", OTHER_ARTICLE.replace("tram", ["tram", "metro", "ferry"][i])) for i in range(3)]
    results = bot.ingest_many([load_article(BUNDLED_ARTICLES / f"{SEED_ID}.txt"), *others])
    assert [r.status for r in results] == ["added"] * 4
    assert [r.status for r in bot.ingest_many(others)] == ["unchanged"] * 3

    listed = {a["id"]: a for a in bot.articles()}
    assert set(listed) == {SEED_ID, "story-0", "story-1", "story-2"}
    assert {"id", "title", "url", "published", "chunks"} <= set(listed["story-0"])

    unscoped = bot.ask(ALASKA)
    assert not unscoped.refused and "welcomed" in unscoped.answer
    assert {c.article_id for c in unscoped.citations} == {SEED_ID}
    scoped = bot.ask(ALASKA, article="story-1")
    assert all(c.article_id == "story-1" for c in scoped.citations)
    assert all(d.metadata["article_id"] == "story-1" for d in bot.retriever("story-1").invoke(ALASKA))

    changed = SEED_TEXT.replace("formally welcomed", "formally criticised")
    assert bot.ingest(Article(SEED_ID, "Changed", changed)).status == "updated"
    chunks = bot.store._store("chunks")._collection.get(where={"article_id": SEED_ID}, include=["documents"])
    assert chunks["documents"] and not any("formally welcomed" in d for d in chunks["documents"])
    answer = bot.ask(ALASKA)
    assert "criticised" in answer.answer and all(changed[c.start : c.end] == c.text for c in answer.citations)

    bot.remove("story-1")
    assert "story-1" not in {a["id"] for a in bot.articles()}
    assert not bot.store._store("chunks")._collection.get(where={"article_id": "story-1"}, include=[])["ids"]
    assert all(d.metadata["article_id"] != "story-1" for d in bot.retriever().invoke("ferry line council vote"))


def test_a_second_process_sees_new_articles(tmp_path, backend):
    """Stateless workers: what one bot ingests, another bot over the same store answers from."""
    settings = Settings(data_dir=tmp_path / "data", **backend)
    writer, reader = NewsBot(settings), NewsBot(settings)
    writer.ingest(load_article(BUNDLED_ARTICLES / f"{SEED_ID}.txt"))
    assert "welcomed" in reader.ask(ALASKA).answer
    writer.ingest(Article("tram-line", "Tram", OTHER_ARTICLE))
    reader.evidence.ttl = 0  # workers re-check the store's generation at most once per ttl second
    assert "240 million euros" in reader.ask("How much will the tram line cost?").answer
