"""Article evidence made at ingest and kept on disk (bot.extractive.stored): read, never built, by questions."""

from __future__ import annotations

import gc
import sqlite3

import pytest

from bot.chain import NewsBot
from bot.extractive.stored import EvidenceStore
from bot.settings import Settings
from index.loader import Article
from tests.bot.extractive.conftest import STORY
from tests.fakes import FakeStore, FakeTokenEmbeddings

pytestmark = pytest.mark.unit

QUESTIONS = ["How much will the tram line cost?", "Who leads the transport committee?", "When does construction start?"]


class CountingStore(FakeStore):
    """A FakeStore that counts the articles a question had to read from the store to build their tables."""

    def __init__(self, embeddings) -> None:
        super().__init__(embeddings)
        self.built: list[str] = []

    def article_data(self, article_id):
        self.built.append(article_id)
        return super().article_data(article_id)


def _bot(path, store, **settings) -> NewsBot:
    return NewsBot(Settings(data_dir=path, reader="off", **settings), embeddings=store.embeddings, store=store)


def _answers(bot: NewsBot, article: str) -> list[tuple[str, bool, float]]:
    # word pieces are stored as float16: the confidence moves in the fifth decimal
    return [(a.answer, a.refused, round(a.confidence, 3)) for a in (bot.ask(q, article=article) for q in QUESTIONS)]


@pytest.fixture()
def ingested(tmp_path):
    store = CountingStore(FakeTokenEmbeddings())
    _bot(tmp_path, store).ingest_many([Article("tram", "Harbour tram line", STORY), Article("copy", "Harbour tram line", STORY)])
    store.built.clear()  # what the fake store's commit hook read
    return tmp_path, store


def test_a_question_reads_what_ingest_stored_and_answers_as_if_it_had_built_it(ingested, tmp_path_factory):
    path, store = ingested
    fresh = _bot(path, store)  # another process: nothing in memory
    answers = _answers(fresh, "tram")
    assert store.built == []  # read from the evidence store, not built from the article store
    built = _bot(tmp_path_factory.mktemp("off"), store, evidence_store_mb=0)
    assert _answers(built, "tram") == answers
    assert store.built == ["tram"]


def test_the_same_text_under_two_ids_is_stored_once(ingested):
    path, _ = ingested
    assert sqlite3.connect(path / "evidence.sqlite").execute("SELECT COUNT(*) FROM evidence").fetchone()[0] == 1


def test_a_question_about_an_article_without_stored_evidence_builds_it_once_and_keeps_it(tmp_path):
    store = CountingStore(FakeTokenEmbeddings())
    store.ingest(Article("tram", "Harbour tram line", STORY))  # by the store alone: no bot, no hook
    _answers(_bot(tmp_path, store), "tram")
    _answers(_bot(tmp_path, store), "tram")
    assert store.built == ["tram"]


def test_a_damaged_evidence_file_costs_speed_not_answers(ingested, caplog):
    path, store = ingested
    expected = _answers(_bot(path, store), "tram")
    gc.collect()  # the bot and its open connection to the file go: one left open reads the old file, not the damaged one
    (path / "evidence.sqlite").write_bytes(b"not a database at all" * 100)
    for suffix in ("-wal", "-shm"):
        (path / f"evidence.sqlite{suffix}").unlink(missing_ok=True)
    assert _answers(_bot(path, store), "tram") == expected
    assert "evidence store" in caplog.text


def test_the_store_keeps_to_its_size(ingested, tmp_path_factory):
    path, _ = ingested
    one = sqlite3.connect(path / "evidence.sqlite").execute("SELECT size FROM evidence").fetchone()[0]
    path = tmp_path_factory.mktemp("small")
    bot = _bot(path, FakeStore(FakeTokenEmbeddings()), evidence_store_mb=3.5 * one / 1e6)
    bot.ingest_many([Article(f"tram-{i}", f"Harbour tram line {i}", STORY) for i in range(8)])
    count, size = sqlite3.connect(path / "evidence.sqlite").execute("SELECT COUNT(*), SUM(size) FROM evidence").fetchone()
    assert 1 <= count <= 3 and size <= 3.5 * one
    assert _answers(bot, "tram-0")[0][1] is False  # an evicted article is built again


def test_no_path_keeps_nothing():
    assert EvidenceStore(None).load("key", "id") is None


def test_nothing_is_written_when_the_disk_is_nearly_full(tmp_path):
    store = FakeStore(FakeTokenEmbeddings())
    bot = _bot(tmp_path, store, storage_reserve_mb=10**12)  # more than any disk has free
    bot.ingest(Article("tram", "Harbour tram line", STORY))
    assert _answers(bot, "tram")[0][1] is False
    assert sqlite3.connect(tmp_path / "evidence.sqlite").execute("SELECT COUNT(*) FROM evidence").fetchone()[0] == 0
