"""The fitted weights: the prefilter, the ranker and the answerability model, shipped as package data.

``weights.json`` (beside this module, in the wheel) is written by ``benchmarks/train_ranker.py``
and read with :mod:`importlib.resources`. Each of its three models is a :class:`LinearModel`.
This module knows no feature: the caller passes the names it computes (:class:`FeatureNames`,
from the registries beside the features) and the file's names must be the same, in the same
order. A missing file or other names is a :class:`WeightsError` that says to refit, never a
silent fallback. Its ``meta.operating_point.refusal_threshold`` is the default refusal
threshold (the setting ``refusal_threshold`` overrides it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np
import numpy.typing as npt

__all__ = ["FeatureNames", "LinearModel", "Models", "WeightsError", "load_weights", "WEIGHTS_FILE"]

WEIGHTS_FILE = "weights.json"
#: the hand-set weights of :meth:`Models.neutral` (every other feature weighs 0)
_HAND = {"dense": 1.0, "lexical": 1.0, "bm25_norm": 0.5, "typed": 0.3, "tok_match": 1.0}


class WeightsError(ValueError):
    """The weights file is missing, unreadable, or was fitted for other features."""


@dataclass(frozen=True)
class FeatureNames:
    """The column names of the three models, in order: what the caller computes."""

    sentence: tuple[str, ...]
    rank: tuple[str, ...]
    question: tuple[str, ...]

    #: the weights file's key for each field's names
    KEYS = (("sentence", "sentence_features"), ("rank", "rank_features"), ("question", "question_features"))


@dataclass(frozen=True, eq=False)
class LinearModel:
    """A linear score over standardised features: ``((x - mu) / sd) @ w + b``."""

    names: tuple[str, ...]
    w: np.ndarray
    mu: np.ndarray
    sd: np.ndarray
    b: float = 0.0

    def score(self, x: np.ndarray) -> np.ndarray:
        """The score of each row of ``x`` (columns as :attr:`names`), or of one vector."""
        return ((x - self.mu) / self.sd) @ self.w + self.b

    def to_json(self, bias: bool) -> dict:
        arr = lambda a: [round(float(v), 6) for v in a]  # noqa: E731
        return {"w": arr(self.w), **({"b": round(self.b, 6)} if bias else {}), "mu": arr(self.mu), "sd": arr(self.sd)}

    @classmethod
    def from_json(cls, names: tuple[str, ...], data: dict, bias: bool) -> LinearModel:
        f = lambda xs: np.asarray(xs, dtype=np.float32)  # noqa: E731
        return cls(tuple(names), f(data["w"]), f(data["mu"]), f(data["sd"]), float(data["b"]) if bias else 0.0)

    @classmethod
    def fixed(cls, names: tuple[str, ...], w: npt.ArrayLike, b: float = 0.0) -> LinearModel:
        """Weights ``w`` on unscaled features (mean 0, deviation 1)."""
        k = len(names)
        return cls(tuple(names), np.asarray(w, dtype=np.float32), np.zeros(k, np.float32), np.ones(k, np.float32), b)


@dataclass
class Models:
    """The three fitted models (see the module docstring) and what the fit recorded (``meta``)."""

    #: scores every sentence from the sentence features alone (picks the candidates)
    prefilter: LinearModel
    #: scores the candidates from the rank features (their final order)
    ranker: LinearModel
    #: the log-odds that the article answers, from the question features
    answerability: LinearModel
    meta: dict = field(default_factory=dict)

    @property
    def names(self) -> FeatureNames:
        return FeatureNames(self.prefilter.names, self.ranker.names, self.answerability.names)

    @property
    def refusal_threshold(self) -> float | None:
        """The operating point the fit chose (``meta.operating_point``), if it chose one."""
        value = self.meta.get("operating_point", {}).get("refusal_threshold")
        return None if value is None else float(value)

    def answerable(self, f: np.ndarray) -> float:
        """The probability that the article answers, from one vector of question features."""
        z = float(self.answerability.score(f))
        return 1.0 / (1.0 + np.exp(-z))

    def to_json(self) -> dict:
        names = self.names
        return {
            **{key: list(getattr(names, attr)) for attr, key in FeatureNames.KEYS},
            "prefilter": self.prefilter.to_json(bias=False),
            "ranker": self.ranker.to_json(bias=False),
            "answerable": self.answerability.to_json(bias=True),
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict, names: FeatureNames) -> Models:
        """The models of a weights file, whose feature names must be ``names``."""
        for attr, key in FeatureNames.KEYS:
            if data.get(key) != list(getattr(names, attr)):
                raise WeightsError(f"the weights file was fitted for other {key.replace('_', ' ')}: run benchmarks/train_ranker.py")
        return cls(LinearModel.from_json(names.sentence, data["prefilter"], bias=False),
                   LinearModel.from_json(names.rank, data["ranker"], bias=False),
                   LinearModel.from_json(names.question, data["answerable"], bias=True), data.get("meta", {}))

    @classmethod
    def neutral(cls, names: FeatureNames) -> Models:
        """Hand-set weights used before any fit (and by the trainer to bootstrap)."""
        answer = np.zeros(len(names.question), dtype=np.float32)
        answer[names.question.index("top_dense")] = 8.0
        return cls(LinearModel.fixed(names.sentence, [_HAND.get(n, 0.0) for n in names.sentence]),
                   LinearModel.fixed(names.rank, [_HAND.get(n, 0.0) for n in names.rank]),
                   LinearModel.fixed(names.question, answer, -3.0), {"fitted": False})


@lru_cache(maxsize=4)
def load_weights(names: FeatureNames, path: str | None = None) -> Models:
    """The fitted weights for features ``names``: the packaged file, or the one at ``path`` (a refit being tried)."""
    try:
        if path is None:
            text = resources.files(__package__).joinpath(WEIGHTS_FILE).read_text(encoding="utf-8")
        else:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        data = json.loads(text)
    except (OSError, ValueError) as exc:
        where = path or f"bot/extractive/{WEIGHTS_FILE}"
        raise WeightsError(f"cannot read the fitted weights {where} ({exc}); reinstall newsbot or run benchmarks/train_ranker.py") from None
    return Models.from_json(data, names)
