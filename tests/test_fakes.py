"""The fakes hold to what they stand in for: FakeStore reads back what a real ArticleStore (embedded Chroma)
does for the same articles, so a unit test on the fake answers as the bot over the real store would."""

import numpy as np
import pytest

from index.errors import EmptyIndexError, UnknownArticleError
from index.loader import Article
from index.store import ArticleStore
from tests.bot.extractive.conftest import STORY
from tests.conftest import OTHER_ARTICLE, SEED_ID, SEED_TEXT
from tests.fakes import FakeStore, FakeTokenEmbeddings

pytestmark = pytest.mark.slow  # a real Chroma store (no model: both use the fake embedder)

ARTICLES = [
    Article(SEED_ID, SEED_TEXT.splitlines()[0], SEED_TEXT, {"url": "https://news.example/a", "questions": "Who?\nWhere?"}),
    Article("tram", "Council approves harbour tram line", STORY),
    Article("tram-line", OTHER_ARTICLE.splitlines()[0], OTHER_ARTICLE, {"published": "2026-01-02"}),
]


def _without_revisions(records):
    return [{k: v for k, v in r.items() if k not in {"rev", "ingested_at"}} for r in records]


def test_the_fake_store_reads_back_what_the_real_one_does(tmp_path):
    fake_embeddings = FakeTokenEmbeddings()
    real, fake = (store(fake_embeddings, *args, chunk_size=300, chunk_overlap=40)
                  for store, args in [(ArticleStore, (tmp_path / "data",)), (FakeStore, ())])
    for store in (real, fake):
        with pytest.raises(EmptyIndexError):
            store.require()
        assert store.count() == 0 and store.articles() == [] and store.generation() == ""
        results = store.ingest_many(ARTICLES)
        assert [r.status for r in results] == ["added"] * 3
        assert [r.status for r in store.ingest_many(ARTICLES[:1])] == ["unchanged"]
        with pytest.raises(UnknownArticleError):
            store.require("nope")
        with pytest.raises(UnknownArticleError):
            store.article_text("nope")
    assert real.ingest_many(ARTICLES) == fake.ingest_many(ARTICLES)
    assert _without_revisions(real.articles()) == _without_revisions(fake.articles())
    assert real.count() == fake.count() == 3

    for article in ARTICLES:
        assert real.article_text(article.id) == fake.article_text(article.id) == article.text
        ours, theirs = fake.article_data(article.id), real.article_data(article.id)
        assert (ours.id, ours.text) == (theirs.id, theirs.text)
        assert _without_revisions([ours.meta]) == _without_revisions([theirs.meta])
        for kind in ("sentences", "passages"):
            a, b = getattr(ours, kind), getattr(theirs, kind)
            assert (a.texts, a.starts.tolist(), a.ends.tolist()) == (b.texts, b.starts.tolist(), b.ends.tolist())
            assert [i.split("~")[0] for i in a.ids] == [i.split("~")[0] for i in b.ids]
            assert np_close(a.vecs, b.vecs)

    assert real.content_hashes() == fake.content_hashes() == {a.id: a.content_hash for a in ARTICLES}
    ids = [a.id for a in ARTICLES] + ["nope"]
    for ours, theirs in zip(fake.passages_of(ids), sorted(real.passages_of(ids), key=lambda a: ids.index(a.id))):
        assert (ours.id, ours.passages.texts, ours.passages.starts.tolist()) == \
            (theirs.id, theirs.passages.texts, theirs.passages.starts.tolist())
        assert (ours.meta["title"], ours.meta["hash"]) == (theirs.meta["title"], theirs.meta["hash"])
    assert len(real.passages_of(ids)) == len(fake.passages_of(ids)) == len(ARTICLES)

    query = fake_embeddings.embed_query("How much will the tram line cost?")
    for article_id in (None, "tram"):
        hits = [[(p.text, p.article_id, round(p.score, 4), p.content_hash) for p in store.search(query, 3, article_id)]
                for store in (real, fake)]
        assert hits[0] == hits[1] and {h[3] for h in hits[0]} <= {a.content_hash for a in ARTICLES}

    generation = fake.generation()
    for store in (real, fake):
        store.remove("tram")
        with pytest.raises(UnknownArticleError):
            store.remove("tram")
        assert [a["id"] for a in store.articles()] == [SEED_ID, "tram-line"]
    assert fake.generation() != generation


def _where(passage) -> tuple:
    return passage.article_id, passage.start


def np_close(a, b) -> bool:
    return a.shape == b.shape and np.allclose(a, b, atol=1e-5)
