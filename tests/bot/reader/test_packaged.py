"""The packaged reader (bot/reader/model, trained by benchmarks/train_reader.py) loads and answers."""

from __future__ import annotations

import json
import shutil

import pytest

from bot.chain import NewsBot
from bot.reader import ONNX_FILE, load_reader, packaged_path
from bot.settings import Settings

pytestmark = pytest.mark.slow


def test_the_packaged_reader_has_its_model_metadata_and_joins():
    assert (packaged_path() / ONNX_FILE).is_file() and (packaged_path() / "tokenizer.json").is_file()
    meta = json.loads((packaged_path() / "reader.json").read_text(encoding="utf-8"))
    assert meta["seed"] and meta["data"] and meta["held_out"]["top1"] > 0.5 and meta["combine"]["threshold"] > 0
    reader, combination = load_reader("packaged")
    assert combination.threshold == meta["combine"]["threshold"]
    gold = "Batu Khasikov, the Head of the Republic of Kalmykia, met Kiren Rijiju in New Delhi. [SEP] Rijiju meets Kalmykia."
    other = "The summit lasted nearly three hours. [SEP] Rijiju meets Kalmykia."
    high, low = reader.score(["Who leads Kalmykia?"] * 2, [gold, other])
    assert high > low  # it reads the question against the sentence


def test_the_bot_answers_with_the_packaged_reader(seed_dir, tmp_path):
    data = tmp_path / "seeded"
    shutil.copytree(seed_dir, data)
    bot = NewsBot(Settings(data_dir=data, reader="packaged"))
    answer = bot.ask("What did India say about the Alaska summit?")
    assert not answer.refused and answer.citations and "welcome" in answer.answer.lower()


def test_the_packaged_reader_refuses_a_question_about_someone_the_article_never_mentions(seed_dir, tmp_path):
    data = tmp_path / "seeded"
    shutil.copytree(seed_dir, data)
    bot = NewsBot(Settings(data_dir=data, reader="packaged"))
    # the reader alone rates India's statement a likely answer to it; the joins see the subject is missing
    assert bot.ask("What did the European Union say about the Alaska summit?").refused
    assert not bot.ask("What did India state about the atmosphere of the U.S.-Russia talks?").refused
