"""What bounds a process's memory is a setting, not the archive's size."""

import pytest

from bot.chain import NewsBot
from bot.settings import Settings
from index.loader import Article
from tests.bot.extractive.conftest import STORY
from tests.fakes import FakeStore, FakeTokenEmbeddings

pytestmark = pytest.mark.unit


def test_the_evidence_cache_keeps_at_most_the_configured_articles(tmp_path):
    fake = FakeTokenEmbeddings()
    bot = NewsBot(Settings(data_dir=tmp_path, reader="off", evidence_cache_articles=2), embeddings=fake, store=FakeStore(fake))
    ids = [f"tram-{i}" for i in range(5)]
    bot.ingest_many([Article(i, f"Harbour tram line, part {n}", STORY) for n, i in enumerate(ids)])
    for article_id in ids:
        answer = bot.ask("How much will the tram line cost?", article=article_id)
        assert answer.citations and answer.citations[0].article_id == article_id
    assert bot.evidence.max_articles == 2
    assert list(bot.evidence._items) == ids[-2:]  # the two most recently asked


def test_the_setting_is_checked():
    with pytest.raises(ValueError, match="evidence_cache_articles"):
        Settings(evidence_cache_articles=0)
