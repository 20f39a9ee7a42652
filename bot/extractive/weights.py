"""The fitted weights: the prefilter, the ranker and the answerability model, shipped as package data.

``weights.json`` (beside this module, in the wheel) is written by ``benchmarks/train_ranker.py``
and read with :mod:`importlib.resources`. Its feature names must be the registries' (same
names, same order): a missing or mismatched file is a :class:`~index.errors.BotError` that says
to refit, never a silent fallback. Its ``meta.operating_point.refusal_threshold`` is the
default refusal threshold (the setting ``refusal_threshold`` overrides it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from bot.extractive.answerability import QUESTION_FEATURES
from bot.extractive.features import RANK_FEATURES, SENTENCE_FEATURES
from index.errors import BotError

__all__ = ["Models", "load_models", "WEIGHTS_FILE"]

WEIGHTS_FILE = "weights.json"


@dataclass
class Models:
    """The fitted weights (see the module docstring)."""

    pre_w: np.ndarray
    pre_mu: np.ndarray
    pre_sd: np.ndarray
    rank_w: np.ndarray
    rank_mu: np.ndarray
    rank_sd: np.ndarray
    answer_w: np.ndarray
    answer_b: float
    answer_mu: np.ndarray
    answer_sd: np.ndarray
    meta: dict

    def prefilter(self, X: np.ndarray) -> np.ndarray:
        """Scores from :data:`SENTENCE_FEATURES` alone (picks the candidates)."""
        return ((X - self.pre_mu) / self.pre_sd) @ self.pre_w

    def rank(self, X: np.ndarray) -> np.ndarray:
        """Scores from :data:`RANK_FEATURES` (the candidates' final order)."""
        return ((X - self.rank_mu) / self.rank_sd) @ self.rank_w

    @property
    def refusal_threshold(self) -> float | None:
        """The operating point the fit chose (``meta.operating_point``), if it chose one."""
        value = self.meta.get("operating_point", {}).get("refusal_threshold")
        return None if value is None else float(value)

    def answerable(self, f: np.ndarray) -> float:
        z = float(((f - self.answer_mu) / self.answer_sd) @ self.answer_w + self.answer_b)
        return 1.0 / (1.0 + np.exp(-z))

    def to_json(self) -> dict:
        arr = lambda a: [round(float(x), 6) for x in a]  # noqa: E731
        return {
            "sentence_features": SENTENCE_FEATURES.names,
            "rank_features": RANK_FEATURES.names,
            "question_features": QUESTION_FEATURES.names,
            "prefilter": {"w": arr(self.pre_w), "mu": arr(self.pre_mu), "sd": arr(self.pre_sd)},
            "ranker": {"w": arr(self.rank_w), "mu": arr(self.rank_mu), "sd": arr(self.rank_sd)},
            "answerable": {"w": arr(self.answer_w), "b": round(self.answer_b, 6), "mu": arr(self.answer_mu), "sd": arr(self.answer_sd)},
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict) -> "Models":
        for key, registry in (("sentence_features", SENTENCE_FEATURES), ("rank_features", RANK_FEATURES),
                              ("question_features", QUESTION_FEATURES)):
            if data.get(key) != registry.names:
                raise BotError(f"the weights file was fitted for other {key.replace('_', ' ')}: run benchmarks/train_ranker.py")
        p, r, a = data["prefilter"], data["ranker"], data["answerable"]
        f = lambda xs: np.asarray(xs, dtype=np.float32)  # noqa: E731
        return cls(f(p["w"]), f(p["mu"]), f(p["sd"]), f(r["w"]), f(r["mu"]), f(r["sd"]),
                   f(a["w"]), float(a["b"]), f(a["mu"]), f(a["sd"]), data.get("meta", {}))

    @classmethod
    def neutral(cls) -> "Models":
        """Hand-set weights used before any fit (and by the trainer to bootstrap)."""
        hand = {"dense": 1.0, "lexical": 1.0, "bm25_norm": 0.5, "typed": 0.3, "tok_match": 1.0}
        pre = np.asarray([hand.get(n, 0.0) for n in SENTENCE_FEATURES.names], dtype=np.float32)
        rank = np.asarray([hand.get(n, 0.0) for n in RANK_FEATURES.names], dtype=np.float32)
        aw = np.zeros(len(QUESTION_FEATURES), dtype=np.float32)
        aw[QUESTION_FEATURES.column("top_dense")] = 8.0
        zeros = lambda k: np.zeros(k, np.float32)  # noqa: E731
        ones = lambda k: np.ones(k, np.float32)  # noqa: E731
        return cls(pre, zeros(len(pre)), ones(len(pre)), rank, zeros(len(rank)), ones(len(rank)),
                   aw, -3.0, zeros(len(aw)), ones(len(aw)), {"fitted": False})


@lru_cache(maxsize=4)
def load_models(path: str | None = None) -> Models:
    """The fitted weights: the packaged file, or the one at ``path`` (a refit being tried)."""
    try:
        if path is None:
            text = resources.files("bot.extractive").joinpath(WEIGHTS_FILE).read_text(encoding="utf-8")
        else:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        data = json.loads(text)
    except (OSError, ValueError) as exc:
        where = path or f"bot/extractive/{WEIGHTS_FILE}"
        raise BotError(f"cannot read the fitted weights {where} ({exc}); reinstall newsbot or run benchmarks/train_ranker.py") from None
    return Models.from_json(data)
