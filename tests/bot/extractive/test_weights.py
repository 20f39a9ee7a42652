import json

import pytest

from bot.extractive.answerability import QUESTION_FEATURES
from bot.extractive.features import RANK_FEATURES, SENTENCE_FEATURES
from bot.extractive.weights import Models, load_models
from index.errors import BotError

pytestmark = pytest.mark.unit


def test_the_packaged_weights_match_the_registries():
    models = load_models()
    assert models.meta["fitted"] is True and 0.0 < models.refusal_threshold < 1.0
    assert (len(models.pre_w), len(models.rank_w), len(models.answer_w)) == (
        len(SENTENCE_FEATURES), len(RANK_FEATURES), len(QUESTION_FEATURES))


def test_a_missing_or_mismatched_weights_file_is_a_clear_error(tmp_path):
    with pytest.raises(BotError, match="cannot read the fitted weights .*train_ranker"):
        load_models(str(tmp_path / "none.json"))
    data = Models.neutral().to_json()
    data["question_features"] = data["question_features"][::-1]
    path = tmp_path / "other.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(BotError, match="fitted for other question features"):
        load_models(str(path))


def test_weights_round_trip_through_json(tmp_path):
    path = tmp_path / "w.json"
    path.write_text(json.dumps(load_models().to_json()), encoding="utf-8")
    again = load_models(str(path))
    assert again.meta == load_models().meta and (again.answer_w == load_models().answer_w).all()
