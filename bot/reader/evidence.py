"""The reader's evidence joined with today's ranker and refusal model.

The ranker orders an article's sentences; the reader reads the question against its :data:`READ_TOP` best
(each with the title and the sentence before, :func:`bot.reader.pairs.context`). Then:

* **which sentence**: a candidate's score becomes the ranker's score plus ``beta`` times the reader's logit,
  so the reader can lift the sentence that answers over one that only shares the question's words;
* **whether any does**: a small logistic model stacks today's answerability probability (its logit) with the
  reader's best probability (its logit), the margin to the runner-up, and any of today's question features
  (:data:`bot.extractive.answerability.QUESTION_FEATURES`) the fit names in ``features``: the reader reads one
  sentence at a time, so what only the whole article shows (a name the question gives and the article never
  mentions) comes from today's features.

Both are fitted by ``benchmarks/train_reader.py --combine`` on the fit parts and stored with the model
(``reader.json``, key ``combine``), with the refusal threshold chosen there.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from bot.reader.pairs import context

if TYPE_CHECKING:  # bot.extractive's answerer imports this module
    from bot.extractive.ranking import Scored

__all__ = ["Combination", "ReaderEvidence", "READ_TOP", "read", "rerank", "stacked_features"]

#: How many of the ranker's best sentences the reader reads: 3, for speed. On the held-out newsroom articles the
#: ranker holds the gold sentence in its best 3 for 0.867 of answerable questions (4: 0.907, 8: 0.961), yet the
#: joined top-1 is 0.753 (4: 0.759, 8: 0.759) and the stacked refusal's AUC 0.815 (4: 0.818). Each sentence read
#: costs about 8 ms on 2 cores; with 3 a warm answer takes 3.9 times a query embedding, with 4 it took 4.65 times.
READ_TOP = 3
_EPS = 1e-4


@dataclass(frozen=True)
class ReaderEvidence:
    candidates: np.ndarray  # sentence indices, in the ranker's order
    probs: np.ndarray  # the reader's probability that each answers the question

    @property
    def best(self) -> float:
        return float(self.probs.max()) if len(self.probs) else 0.0

    @property
    def margin(self) -> float:
        top = np.sort(self.probs)[::-1]
        return float(top[0] - top[1]) if len(top) > 1 else float(top[0]) if len(top) else 0.0


@dataclass(frozen=True)
class Combination:
    """The fitted joins (``reader.json``'s ``combine``): ranking weight, stacked refusal model, threshold."""

    beta: float
    w: tuple[float, ...]  # today's logit, the reader's best logit, the margin, then one per named feature
    bias: float
    threshold: float
    features: tuple[str, ...] = ()  # today's question features stacked too, by name

    @classmethod
    def from_json(cls, data: dict) -> Combination:
        features = tuple(str(f) for f in data.get("features", ()))
        w = tuple(float(x) for x in data["w"])
        if len(w) != 3 + len(features):
            raise ValueError(f"{len(w)} weights for {3 + len(features)} stacked features")
        if features:
            from bot.extractive.answerability import QUESTION_FEATURES

            unknown = sorted(set(features) - set(QUESTION_FEATURES.names))
            if unknown:
                raise ValueError(f"unknown question features {unknown}")
        return cls(float(data["beta"]), w, float(data["bias"]), float(data["threshold"]), features)

    def answerable(self, today: float, evidence: ReaderEvidence, question_features: np.ndarray | None = None) -> float:
        """The stacked probability that the article answers; ``question_features`` is today's vector, in
        :data:`~bot.extractive.answerability.QUESTION_FEATURES`' order (needed when ``features`` names any)."""
        z = float(np.dot(self.w, stacked_features(today, evidence, self._named(question_features))) + self.bias)
        return 1.0 / (1.0 + np.exp(-z))

    def _named(self, question_features: np.ndarray | None) -> np.ndarray:
        if not self.features:
            return np.zeros(0)
        if question_features is None:
            raise TypeError(f"the combination stacks the question features {self.features}: pass question_features")
        from bot.extractive.answerability import QUESTION_FEATURES

        return np.asarray([question_features[QUESTION_FEATURES.column(f)] for f in self.features], dtype=np.float64)


def _logit(p: np.ndarray | float) -> np.ndarray | float:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def stacked_features(today: float, evidence: ReaderEvidence, named: np.ndarray | None = None) -> np.ndarray:
    base = np.asarray([_logit(today), _logit(evidence.best), evidence.margin], dtype=np.float64)
    return base if named is None or not len(named) else np.concatenate([base, np.asarray(named, dtype=np.float64)])


def read(reader, scored: Scored, question: str, top: int = READ_TOP) -> ReaderEvidence:
    """The reader's probabilities for the ranker's ``top`` best quotable sentences."""
    index = scored.index
    unquotable = index.layout.unquotable
    candidates = np.asarray([i for i in scored.order if not unquotable[i]][:top], dtype=np.int64)
    texts = list(index.sentences.texts)
    title = index.title
    passages = [context(texts, int(i), title) for i in candidates]
    probs = reader.score([question] * len(passages), passages) if passages else np.zeros(0)
    return ReaderEvidence(candidates, np.asarray(probs, dtype=np.float64))


def rerank(scored: Scored, evidence: ReaderEvidence, beta: float) -> Scored:
    """``scored`` with each read candidate's score raised by ``beta`` times the reader's logit, re-ordered."""
    if not len(evidence.candidates) or beta == 0.0:
        return scored
    scores = scored.scores.astype(np.float64).copy()
    scores[evidence.candidates] += beta * _logit(evidence.probs)
    floor = scores[evidence.candidates].min()
    others = np.setdiff1d(np.arange(len(scores)), evidence.candidates)
    scores[others] = np.minimum(scores[others], floor - 1e-3)  # the read sentences stay on top
    from bot.extractive.ranking import softmax

    order = np.argsort(-scores, kind="stable")
    return replace(scored, scores=scores, probs=softmax(scores), order=order)
