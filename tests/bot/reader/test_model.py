"""The reader's plumbing with a tiny randomly initialised cross-encoder: export to ONNX int8, load, score."""

from __future__ import annotations

import numpy as np
import pytest

from bot.reader.model import ONNX_FILE, Reader
from index.errors import BotError

pytestmark = pytest.mark.slow

QUESTIONS = ["Who won the cup?", "How much did the line cost?", "Who won the cup?"]
PASSAGES = ["The Blues won the cup on Sunday. [SEP] Cup final.", "The line cost 240 million euros. [SEP] Tram.", "It rained."]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A two-layer BERT cross-encoder with random weights and MiniLM's tokenizer, saved and exported."""
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from bot.reader.export import export_onnx
    from bot.settings import default_model_path

    folder = tmp_path_factory.mktemp("tiny-reader")
    config = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, num_labels=1)
    BertForSequenceClassification(config).save_pretrained(folder)
    AutoTokenizer.from_pretrained(default_model_path()).save_pretrained(folder)
    export_onnx(folder)
    return folder


def test_the_exported_int8_model_scores_as_the_torch_model_does(tiny):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    assert (tiny / ONNX_FILE).is_file() and not (tiny / "onnx" / "model.onnx").exists()
    scores = Reader(str(tiny)).score(QUESTIONS, PASSAGES)
    model = AutoModelForSequenceClassification.from_pretrained(tiny).eval()
    encoded = AutoTokenizer.from_pretrained(tiny)(QUESTIONS, PASSAGES, padding=True, return_tensors="pt")
    with torch.no_grad():
        expected = torch.sigmoid(model(**encoded).logits).reshape(-1).numpy()
    assert scores.shape == (3,) and np.all((scores > 0) & (scores < 1))
    assert np.allclose(scores, expected, atol=0.02)  # int8 weights, the same tokenisation
    assert Reader(str(tiny)).score([], []).shape == (0,)


def test_a_folder_without_onnx_loads_as_a_sentence_transformers_cross_encoder(tiny, tmp_path):
    import shutil

    plain = tmp_path / "plain"
    shutil.copytree(tiny, plain, ignore=shutil.ignore_patterns("onnx"))
    torch_scores = Reader(str(plain)).score(QUESTIONS, PASSAGES)
    assert np.allclose(torch_scores, Reader(str(tiny)).score(QUESTIONS, PASSAGES), atol=0.02)


def test_a_missing_or_broken_model_is_one_clear_error(tmp_path):
    with pytest.raises(BotError, match="does not exist"):
        Reader(str(tmp_path / "nowhere")).score(["q?"], ["p"])
    broken = tmp_path / "broken"
    (broken / "onnx").mkdir(parents=True)
    (broken / ONNX_FILE).write_bytes(b"not a model")
    with pytest.raises(BotError, match="is broken"):
        Reader(str(broken)).score(["q?"], ["p"])


def test_the_answerer_reads_with_any_cross_encoder_named_in_settings(tiny, seed_dir, tmp_path):
    """BOT_READER names a folder: the extractive answerer reads its candidates with it and still quotes and cites."""
    import json
    import shutil

    from bot.chain import NewsBot
    from bot.settings import Settings

    data = tmp_path / "seeded"
    shutil.copytree(seed_dir, data)
    with_reader = NewsBot(Settings(data_dir=data, reader=str(tiny)))
    assert with_reader.extractive.reader is not None and with_reader.extractive.threshold == 0.5  # the default joins
    answer = with_reader.ask("What did India say about the Alaska summit?")
    assert answer.citations and all(c.text in with_reader.store.article_text(c.article_id) for c in answer.citations)
    # a model's reader.json carries its fitted joins: the threshold comes from there
    (tiny / "reader.json").write_text(json.dumps({"combine": {"beta": 0.5, "w": [1, 0.5, 0], "bias": 0, "threshold": 0.3}}))
    try:
        assert NewsBot(Settings(data_dir=data, reader=str(tiny))).extractive.threshold == 0.3
    finally:
        (tiny / "reader.json").unlink()
    assert NewsBot(Settings(data_dir=data, reader="off")).extractive.reader is None


def test_a_reader_that_cannot_load_stops_the_bot_with_one_line(seed_dir, tmp_path):
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    bot = Path(sys.executable).with_name("bot")
    shutil.copytree(seed_dir, tmp_path / "data")
    env = {"BOT_DATA_DIR": str(tmp_path / "data"), "BOT_READER": str(tmp_path / "no-such-model"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([str(bot), "ask", "Who?"], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 1 and done.stderr.startswith("error: the reader model") and "BOT_READER" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_pair_scores_the_same_alone_and_among_others(tiny):
    reader = Reader(str(tiny))
    together = reader.score(QUESTIONS, PASSAGES)
    alone = np.asarray([reader.score([q], [p])[0] for q, p in zip(QUESTIONS, PASSAGES)])
    assert np.array_equal(together, alone)  # int8 activations are quantised per run: no batch, no neighbours


def test_a_question_longer_than_the_model_reads_is_cut_not_an_error(tiny):
    long = "Who won " + "the very long and winding cup final " * 60 + "?"
    scores = Reader(str(tiny)).score([long, QUESTIONS[0]], PASSAGES[:2])
    assert scores.shape == (2,) and np.all((scores > 0) & (scores < 1))
