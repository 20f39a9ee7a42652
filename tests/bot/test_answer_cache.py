"""Answers already given are given again while the store is unchanged (bot.answer_cache)."""

from __future__ import annotations

import pytest

from bot.chain import NewsBot
from bot.settings import Settings
from index.loader import Article
from tests.bot.extractive.conftest import STORY
from tests.fakes import FakeStore, FakeTokenEmbeddings

pytestmark = pytest.mark.unit


class CountingStore(FakeStore):
    """Counts the store's generation reads and the searches that answering makes."""

    def __init__(self, embeddings) -> None:
        super().__init__(embeddings)
        self.searches = 0

    def search(self, *args, **kwargs):
        self.searches += 1
        return super().search(*args, **kwargs)


def _bot(tmp_path, **settings) -> NewsBot:
    fake = FakeTokenEmbeddings()
    store = CountingStore(fake)
    bot = NewsBot(Settings(data_dir=tmp_path, reader="off", **settings), embeddings=fake, store=store)
    bot.ingest_many([Article("tram", "Harbour tram line", STORY), Article("bus", "Bus lanes", "The city adds bus lanes.")])
    bot.evidence.ttl = 0.0  # read the generation on every question, as another process's ingest would be seen
    return bot


def test_the_same_question_is_answered_once_while_the_store_stands(tmp_path):
    bot = _bot(tmp_path)
    first = bot.ask("How much will the tram line cost?")
    searches = bot.store.searches
    assert bot.ask("How much will the tram line cost?") is first
    assert bot.store.searches == searches
    assert bot.ask("How much will the tram line cost?", article="tram") is not first  # another scope
    assert bot.ask("How much will it cost?", history=["What about the tram line?"]) is not first
    streamed = list(bot.ask_stream("How much will the tram line cost?"))
    assert streamed[-1] is first and streamed[0] == first.answer

    bot.store.ingest(Article("ferry", "Ferry", "A ferry will cross the harbour."))  # as another process would
    again = bot.ask("How much will the tram line cost?")
    assert again is not first and again.answer == first.answer
    assert bot.store.searches > searches


def test_zero_keeps_nothing(tmp_path):
    bot = _bot(tmp_path, answer_cache=0)
    assert bot.ask("How much will the tram line cost?") is not bot.ask("How much will the tram line cost?")
