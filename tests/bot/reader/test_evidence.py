"""The joins of the reader with today's ranker: the stacked refusal model and its named question features."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bot.extractive.answerability import QUESTION_FEATURES
from bot.reader import load_reader
from bot.reader.evidence import Combination, ReaderEvidence, stacked_features
from index.errors import BotError

pytestmark = pytest.mark.unit

EVIDENCE = ReaderEvidence(np.asarray([3, 1, 4]), np.asarray([0.8, 0.3, 0.1]))


def test_the_stacked_features_are_today_s_logit_the_reader_s_best_logit_the_margin_and_the_named_ones():
    f = stacked_features(0.5, EVIDENCE, np.asarray([1.0, 0.25]))
    assert np.allclose(f, [0.0, np.log(0.8 / 0.2), 0.5, 1.0, 0.25])
    assert stacked_features(0.5, EVIDENCE).shape == (3,)


def test_a_named_question_feature_moves_the_refusal():
    combination = Combination.from_json({"beta": 1.0, "w": [0.0, 1.0, 0.0, -5.0], "bias": 0.0, "threshold": 0.5,
                                         "features": ["focus_missing"]})
    vector = np.zeros(len(QUESTION_FEATURES.names))
    present = combination.answerable(0.5, EVIDENCE, vector)
    vector[QUESTION_FEATURES.column("focus_missing")] = 1.0  # the question's subject is nowhere in the article
    assert present == pytest.approx(0.8) and combination.answerable(0.5, EVIDENCE, vector) < 0.05


@pytest.mark.parametrize("combine, why", [
    ({"beta": 1.0, "w": [1.0, 1.0, 0.0], "bias": 0.0, "threshold": 0.5, "features": ["focus_missing"]}, "4 stacked"),
    ({"beta": 1.0, "w": [1.0, 1.0, 0.0, 1.0], "bias": 0.0, "threshold": 0.5, "features": ["no_such"]}, "unknown"),
    ({"beta": 1.0, "w": [1.0, 1.0, 0.0], "bias": 0.0}, "threshold"),
])
def test_broken_joins_in_a_reader_folder_are_one_clear_error(tmp_path, combine, why):
    (tmp_path / "reader.json").write_text(json.dumps({"combine": combine}), encoding="utf-8")
    with pytest.raises(BotError, match="broken") as caught:
        load_reader(str(tmp_path))
    assert why in str(caught.value) and "BOT_READER=off" in str(caught.value)
