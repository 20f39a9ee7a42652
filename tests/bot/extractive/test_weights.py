import json

import numpy as np
import pytest

from bot.extractive.answerability import QUESTION_FEATURES
from bot.extractive.answerer import FEATURE_NAMES, load_models
from bot.extractive.features import RANK_FEATURES, SENTENCE_FEATURES
from bot.extractive.weights import FeatureNames, LinearModel, Models, WeightsError, load_weights
from index.errors import BotError

pytestmark = pytest.mark.unit


def test_the_packaged_weights_match_the_registries():
    models = load_models()
    assert models.meta["fitted"] is True and 0.0 < models.refusal_threshold < 1.0
    assert (len(models.prefilter.w), len(models.ranker.w), len(models.answerability.w)) == (
        len(SENTENCE_FEATURES), len(RANK_FEATURES), len(QUESTION_FEATURES))
    assert models.names == FEATURE_NAMES and models.answerability.names == tuple(QUESTION_FEATURES.names)


def test_a_linear_model_scores_standardised_features():
    model = LinearModel(("a", "b"), np.asarray([2.0, -1.0], np.float32), np.asarray([1.0, 0.0], np.float32),
                        np.asarray([0.5, 4.0], np.float32), 0.25)
    rows = np.asarray([[1.0, 0.0], [2.0, 4.0], [0.0, -8.0]], np.float32)
    # (x - mu) / sd = [0, 0], [2, 1], [-2, -2]; then @ w + b
    assert model.score(rows).tolist() == [0.25, 3.25, -1.75]
    assert float(model.score(rows[1])) == 3.25
    unbiased = LinearModel(("a", "b"), model.w, model.mu, model.sd)
    assert unbiased.score(rows).tolist() == [0.0, 3.0, -2.0]


def test_the_models_math_is_the_weights_files():
    """Prefilter and ranker: ((x - mu) / sd) @ w; answerability: the logistic of that plus b."""
    models = load_models()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(7, len(SENTENCE_FEATURES))).astype(np.float32)
    p = models.prefilter
    assert np.array_equal(p.score(X), ((X - p.mu) / p.sd) @ p.w)
    f = rng.normal(size=len(QUESTION_FEATURES)).astype(np.float32)
    a = models.answerability
    assert models.answerable(f) == 1.0 / (1.0 + np.exp(-float(((f - a.mu) / a.sd) @ a.w + a.b)))


def test_the_callers_feature_names_are_checked():
    data = Models.neutral(FEATURE_NAMES).to_json()
    same = Models.from_json(data, FEATURE_NAMES)
    assert same.names == FEATURE_NAMES and same.answerability.b == -3.0
    for field, key in (("sentence", "sentence features"), ("rank", "rank features"), ("question", "question features")):
        names = {"sentence": FEATURE_NAMES.sentence, "rank": FEATURE_NAMES.rank, "question": FEATURE_NAMES.question}
        names[field] = names[field][::-1]
        with pytest.raises(WeightsError, match=f"fitted for other {key}: run benchmarks/train_ranker.py"):
            Models.from_json(data, FeatureNames(**names))
    with pytest.raises(WeightsError, match="fitted for other question features"):
        Models.from_json(data, FeatureNames(FEATURE_NAMES.sentence, FEATURE_NAMES.rank, FEATURE_NAMES.question + ("new",)))


def test_a_missing_or_mismatched_weights_file_is_a_clear_error(tmp_path):
    with pytest.raises(BotError, match="cannot read the fitted weights .*train_ranker"):
        load_models(str(tmp_path / "none.json"))
    with pytest.raises(WeightsError, match="cannot read the fitted weights"):
        load_weights(FEATURE_NAMES, str(tmp_path / "none.json"))
    data = Models.neutral(FEATURE_NAMES).to_json()
    data["question_features"] = data["question_features"][::-1]
    path = tmp_path / "other.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(BotError, match="fitted for other question features"):
        load_models(str(path))


def test_weights_round_trip_through_json(tmp_path):
    path = tmp_path / "w.json"
    shipped = load_models()
    path.write_text(json.dumps(shipped.to_json()), encoding="utf-8")
    again = load_models(str(path))
    assert again.meta == shipped.meta
    for a, b in zip((again.prefilter, again.ranker, again.answerability), (shipped.prefilter, shipped.ranker, shipped.answerability)):
        assert a.names == b.names and a.b == b.b and all(np.array_equal(getattr(a, k), getattr(b, k)) for k in ("w", "mu", "sd"))


def test_the_weights_module_imports_nothing_of_the_package():
    import ast
    from importlib import resources

    tree = ast.parse(resources.files("bot.extractive").joinpath("weights.py").read_text(encoding="utf-8"))
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imported if m.split(".")[0] in ("bot", "index", "")], imported
