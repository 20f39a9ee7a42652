"""Ranking an article's sentences for a question: the prefilter picks candidates, the ranker orders them.

Two linear models of the weights file (:mod:`bot.extractive.weights`): the **prefilter** scores
every sentence from :data:`~bot.extractive.features.SENTENCE_FEATURES`; its best
:data:`CANDIDATES` are re-scored by the **ranker** with the token features added (trained
listwise: a softmax over each question's sentences). Only the candidates get the token
features, so the cost stays flat with article length.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.extractive.article import ArticleIndex
from bot.extractive.features import token_features
from bot.extractive.question import Parsed
from bot.extractive.weights import Models

__all__ = ["CANDIDATES", "Scored", "score_features", "softmax"]

CANDIDATES = 30


@dataclass
class Scored:
    """The ranked sentences of one article for one question."""

    index: ArticleIndex
    features: np.ndarray
    scores: np.ndarray
    probs: np.ndarray
    order: np.ndarray
    token_match: np.ndarray  # question pieces x sentences: best piece similarity (-1 where not computed)


def score_features(index: ArticleIndex, q: Parsed, X: np.ndarray, models: Models, signal: np.ndarray | None = None) -> Scored:
    """Rank the sentences from their :data:`SENTENCE_FEATURES`: the prefilter picks the
    :data:`CANDIDATES`, the ranker re-scores them with :data:`TOKEN_FEATURES` added; the
    other sentences keep the prefilter's order far below.

    With ``signal`` (one score per sentence: the ablations of ``bot eval --compare``), that
    signal alone picks the candidates and orders the sentences. A headline, a credit line and a
    byline come last either way."""
    if signal is not None:
        signal = _last(signal, index.layout.unquotable)
        order = np.argsort(-signal, kind="stable")
        T, match = token_features(index, q, order[:CANDIDATES])
        return Scored(index, np.hstack([X, T]), signal, softmax(signal), order, match)
    pre = _last(models.prefilter.score(X), index.layout.unquotable)
    pre_order = np.argsort(-pre, kind="stable")
    candidates = pre_order[:CANDIDATES]
    T, match = token_features(index, q, candidates)
    full = np.hstack([X, T])
    scores = np.empty(index.n, dtype=np.float64)
    scores[candidates] = models.ranker.score(full[candidates])
    if index.n > len(candidates):
        rest = pre_order[len(candidates):]
        scores[rest] = scores[candidates].min() - 30.0 - np.arange(len(rest)) * 1e-3
    scores = _last(scores, index.layout.unquotable)
    order = np.argsort(-scores, kind="stable")
    return Scored(index, full, scores, softmax(scores), order, match)


def _last(scores: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``scores`` with the masked sentences below all the others (``Layout.unquotable``)."""
    return np.where(mask, scores.min() - 100.0, scores) if mask.any() else scores


def softmax(scores: np.ndarray) -> np.ndarray:
    """Probabilities over the sentences (empty for an empty article)."""
    if not len(scores):
        return scores
    z = np.exp(scores - scores.max())
    return z / z.sum()
