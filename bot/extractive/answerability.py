"""Answer or refuse: the evidence as a whole, as the answerability model's features.

The model (logistic regression, :mod:`bot.extractive.weights`) turns :data:`QUESTION_FEATURES`
into the probability that the article answers the question; the bot refuses below the
refusal threshold. Of these features only those forward selection kept carry weight
(``meta.answerability_features`` of the weights file), each on the side of zero that its
registered sign gives (``benchmarks/train_ranker.py`` keeps it there).
"""

from __future__ import annotations

import re
from functools import cached_property

import numpy as np

from bot.extractive import lexicon
from bot.extractive.features import SENTENCE_FEATURES, word_idf
from bot.extractive.registry import Feature, Registry
from bot.extractive.words import content_words
from bot.extractive.question import Parsed
from bot.extractive.ranking import Scored

__all__ = ["QUESTION_FEATURES", "question_features"]

_COL = {name: SENTENCE_FEATURES.column(name) for name in
        ("dense", "lexical", "window_lexical", "soft_lexical", "bigram", "chunk_dense", "typed")}


class _Evidence:
    """What the answerability features share for one ranked article, computed on first use."""

    def __init__(self, s: Scored, q: Parsed) -> None:
        self.s, self.q, self.index, self.X = s, q, s.index, s.features
        self.best = int(s.order[0])
        self.second = int(s.order[1]) if len(s.order) > 1 else self.best

    def top(self, name: str) -> float:
        """The best sentence's value of a sentence feature."""
        return self.X[self.best, _COL[name]]

    @cached_property
    def unknown_idf(self) -> float:
        return self.index.stats.unknown_idf

    @cached_property
    def total(self) -> float:
        return self.index.term_weights(self.q.term_set)[1] or 1.0

    @cached_property
    def missing(self) -> list[str]:
        """Question terms absent from the best sentence and its neighbours."""
        window = self.index.stats.window_sets[self.best]
        return [t for t in self.q.term_set if t not in window]

    @cached_property
    def missing_idf(self) -> list[float]:
        return [self.index.idf_of(t) for t in self.missing]

    @cached_property
    def unknown(self) -> list[str]:
        """Question terms the article never uses."""
        return [t for t in self.q.term_set if t not in self.index.stats.vocab]

    @cached_property
    def sentence_negated(self) -> float:
        return float(self.index.kinds.negated[self.best])

    @cached_property
    def soft_missing(self) -> list[float]:
        """Idf of question words with no similar word (WordLlama >= 0.6) near the best sentence."""
        index, q = self.index, self.q
        if not q.words:
            return []
        cols = np.nonzero(index.words.SW[self.window_rows].any(axis=0))[0]
        idf = word_idf(index, q.words)
        if not len(cols):
            return list(idf)
        sim = q.word_vecs @ index.words.word_vecs[cols].T
        return [float(v) for v, row in zip(idf, sim) if row.max() < 0.6]

    @cached_property
    def window_rows(self) -> list[int]:
        """The best sentence and its same-paragraph neighbours."""
        layout, best = self.index.layout, self.best
        return [best] + ([best - 1] if layout.same_prev[best] else []) + ([best + 1] if layout.same_next[best] else [])

    @cached_property
    def specific(self) -> tuple[np.ndarray, np.ndarray]:
        """For the question's specific words (content words that neither shape the question nor name
        the article's topic: in the title or in a quarter of its sentences), the closest word
        (WordLlama cosine) near the best sentence, and anywhere in the article. A question about
        the article's subject but another detail has a specific word the article lacks."""
        index, q = self.index, self.q
        table = index.words
        title = set(content_words(index.title or ""))
        keep = [i for i, w in enumerate(q.words) if w not in lexicon.QUESTION_SHAPE_WORDS]
        if not keep or not len(table.word_index):
            return np.ones(0), np.ones(0)
        topic = [table.word_df.get(q.words[i], 0) >= 0.25 * index.n or q.words[i] in title for i in keep]
        chosen = [i for i, t in zip(keep, topic) if not t] or keep
        vecs = q.word_vecs[chosen]
        near = np.nonzero(table.SW[self.window_rows].any(axis=0))[0]
        best = (vecs @ table.word_vecs[near].T).max(axis=1) if len(near) else np.zeros(len(chosen))
        return best, (vecs @ table.word_vecs.T).max(axis=1)

    @cached_property
    def qualifier_missing(self) -> float:
        """1.0 when the question pins a period or an ordinal (:data:`~bot.extractive.lexicon.QUALIFIER`)
        that the best sentence and its neighbours do not say."""
        found = {m.group(0).lower() for m in lexicon.QUALIFIER.finditer(self.q.text)}
        if not found:
            return 0.0
        near = " ".join(self.index.sentences.texts[i] for i in self.window_rows).lower()
        return 1.0 if any(not re.search(rf"\b{re.escape(w)}\b", near) for w in found) else 0.0

    @cached_property
    def top5(self) -> np.ndarray:
        return np.sort(self.X[:, _COL["dense"]])[-5:]

    @cached_property
    def para_missing(self) -> list[float]:
        return [self.index.idf_of(t) for t in self.q.term_set if t not in self.index.stats.para_sets[self.best]]

    @cached_property
    def tokens(self) -> list[float]:
        """How well the question's weakest and average word piece is matched by the best sentence,
        its passage, any candidate, and the best two sentences."""
        m = self.s.token_match
        if not m.size:
            return [0.0] * 6
        group, best = self.index.layout.sent_chunk, self.best
        passage = m[:, group == group[best]].max(axis=1)
        return [
            float(m[:, best].min()), float(m[:, best].mean()), float(passage.min()), float(passage.mean()),
            float(m.max(axis=1).min()), float(m[:, [best, self.second]].max(axis=1).min()),
        ]


def _token(i: int, name: str) -> Feature:
    return Feature(name, lambda e: e.tokens[i], +1)


QUESTION_FEATURES = Registry(
    Feature("top_prob", lambda e: e.s.probs[e.best], +1),
    Feature("second_prob", lambda e: e.s.probs[e.second], -1),
    Feature("top_score", lambda e: e.s.scores[e.best], +1),
    Feature("margin", lambda e: e.s.scores[e.best] - e.s.scores[e.second], +1),
    Feature("top_dense", lambda e: e.top("dense"), +1),
    Feature("top_lexical", lambda e: e.top("lexical"), +1),
    Feature("top_window_lexical", lambda e: e.top("window_lexical"), +1),
    Feature("max_dense", lambda e: e.X[:, _COL["dense"]].max(), +1),
    Feature("max_lexical", lambda e: e.X[:, _COL["lexical"]].max(), +1),
    Feature("missing_max_idf", lambda e: max(e.missing_idf or [0.0]) / e.unknown_idf, -1),
    Feature("missing_share", lambda e: sum(e.missing_idf) / e.total, -1),
    Feature("missing_count", lambda e: len(e.missing), -1),
    Feature("missing_elsewhere", lambda e: sum(1 for t in e.missing if t in e.index.stats.vocab), -1),
    Feature("question_negated", lambda e: e.q.negated, 0),
    Feature("sentence_negated", lambda e: e.sentence_negated, 0),
    Feature("negation_mismatch", lambda e: e.q.negated * (1 - e.sentence_negated), -1),
    Feature("number_missing", lambda e: 1.0 if e.q.numbers - e.index.kinds.numbers[e.best] else 0.0, -1),
    Feature("names_missing", lambda e: len(e.q.names - e.index.stats.window_sets[e.best]) / (len(e.q.names) or 1), -1),
    Feature("unknown_share", lambda e: sum(e.unknown_idf for _ in e.unknown) / e.total, -1),
    Feature("unknown_count", lambda e: len(e.unknown), -1),
    Feature("focus_missing", lambda e: 1.0 if e.q.focus_terms and any(t not in e.index.stats.vocab for t in e.q.focus_terms) else 0.0, -1),
    Feature("type_missing", lambda e: 1.0 if e.q.kind and e.top("typed") == 0 else 0.0, -1),
    Feature("question_terms", lambda e: len(e.q.term_set), 0),
    Feature("top_soft", lambda e: e.top("soft_lexical"), +1),
    Feature("top_bigram", lambda e: e.top("bigram"), +1),
    Feature("soft_missing_max_idf", lambda e: max(e.soft_missing or [0.0]) / e.unknown_idf, -1),
    Feature("soft_missing_count", lambda e: len(e.soft_missing), -1),
    Feature("dense_spread", lambda e: float(e.top5[-1] - e.top5.mean()), +1),
    Feature("para_missing_max_idf", lambda e: max(e.para_missing or [0.0]) / e.unknown_idf, -1),
    Feature("para_missing_share", lambda e: sum(e.para_missing) / e.total, -1),
    Feature("top_chunk_dense", lambda e: e.top("chunk_dense"), +1),
    Feature("specific_near_min", lambda e: float(e.specific[0].min()) if e.specific[0].size else 1.0, +1),
    Feature("specific_near_mean", lambda e: float(e.specific[0].mean()) if e.specific[0].size else 1.0, +1),
    Feature("specific_unmatched", lambda e: float((e.specific[0] < 0.6).sum()), -1),
    Feature("specific_article_min", lambda e: float(e.specific[1].min()) if e.specific[1].size else 1.0, +1),
    Feature("soft_unknown", lambda e: float((e.specific[1] < 0.55).sum()), -1),
    Feature("qualifier_missing", lambda e: e.qualifier_missing, -1),
    *(_token(i, name) for i, name in enumerate(
        ["tok_best_min", "tok_best_mean", "tok_passage_min", "tok_passage_mean", "tok_anywhere_min", "tok_top2_min"])),
)


def question_features(s: Scored, q: Parsed) -> np.ndarray:
    """Answerability evidence for the ranked sentences ``s``, columns as in :data:`QUESTION_FEATURES`."""
    return QUESTION_FEATURES.vector(_Evidence(s, q))
