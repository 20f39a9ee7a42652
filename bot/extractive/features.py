"""The sentence features: every column of the sentence ranker, each registered once.

Each is a :class:`~bot.extractive.registry.Feature` of a :class:`~bot.extractive.registry.Registry`
(name, function, sign): adding a feature is one line here (and a refit).

* :data:`SENTENCE_FEATURES`: one row per sentence, computed for every sentence of an article;
* :data:`TOKEN_FEATURES`: late interaction (ColBERT-style MaxSim) of the question's word pieces
  with each sentence's, from MiniLM's contextual token vectors, for the ranker's candidates only.

No feature names a word of any evaluation question; every one is a generic signal
(similarity, term overlap weighted by rarity, answer type, position, missing terms).
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from bot.extractive import lexicon
from bot.extractive.article import ArticleIndex
from bot.extractive.question import AnswerType, Parsed
from bot.extractive.registry import Feature, Registry

__all__ = [
    "SENTENCE_FEATURES", "TOKEN_FEATURES", "RANK_FEATURES", "sentence_features", "token_features", "ranks", "word_idf",
]


def ranks(values: np.ndarray) -> np.ndarray:
    """0 for the largest value, 1 for the next, … (ties keep their order)."""
    out = np.empty(len(values))
    out[np.argsort(-values, kind="stable")] = np.arange(len(values))
    return out


class _Sentences:
    """What the sentence features share for one article and one question, computed on first use."""

    def __init__(self, index: ArticleIndex, q: Parsed) -> None:
        self.index, self.q, self.n = index, q, index.n

    @cached_property
    def dense(self) -> np.ndarray:
        return self.index.sentences.vecs @ self.q.vector

    @cached_property
    def bm(self) -> np.ndarray:
        return self.index.bm25_scores(self.q.terms)

    @cached_property
    def bm_norm(self) -> np.ndarray:
        bm = self.bm
        return bm / bm.max() if bm.max() > 0 else bm

    @cached_property
    def cols(self) -> list[int]:
        vocab = self.index.stats.vocab
        return [vocab[t] for t in self.q.term_set if t in vocab]

    @cached_property
    def total(self) -> float:
        return self.index.term_weights(self.q.term_set)[1] or 1.0

    @cached_property
    def idf(self) -> np.ndarray:
        return self.index.stats.idf[self.cols]

    @cached_property
    def hits(self) -> np.ndarray:  # sentences x known question terms
        return self.index.stats.S[:, self.cols].astype(np.float32)

    @cached_property
    def lexical(self) -> np.ndarray:
        return self.hits @ self.idf / self.total

    @cached_property
    def window(self) -> np.ndarray:
        return self.index.stats.W[:, self.cols].astype(np.float32) @ self.idf / self.total

    @cached_property
    def para_lexical(self) -> np.ndarray:
        if not self.n:
            return np.zeros(0)
        return (self.index.stats.P[:, self.cols].astype(np.float32) @ self.idf / self.total)[self.index.layout.para]

    @cached_property
    def chunk_dense(self) -> np.ndarray:
        return (self.index.passages.vecs @ self.q.vector)[self.index.layout.sent_chunk] if self.n else np.zeros(0)

    @cached_property
    def numbers(self) -> np.ndarray:
        wanted = self.q.numbers
        if not wanted:
            return np.zeros(self.n, dtype=np.float32)
        return np.asarray([len(wanted & found) / len(wanted) for found in self.index.kinds.numbers], dtype=np.float32)

    @cached_property
    def matched(self) -> np.ndarray:
        return self.hits.sum(axis=1)

    @cached_property
    def max_idf(self) -> np.ndarray:
        if not self.cols:
            return np.zeros(self.n)
        return (self.hits * self.idf).max(axis=1) / max(self.index.stats.unknown_idf, 1e-6)

    @cached_property
    def bigram(self) -> np.ndarray:
        q, stats = self.q, self.index.stats
        if not q.bigrams:
            return np.zeros(self.n)
        bcols = [stats.bigram_vocab[b] for b in q.bigrams if b in stats.bigram_vocab]
        return stats.B[:, bcols].sum(axis=1) / len(q.bigrams) if bcols else np.zeros(self.n)

    @cached_property
    def names(self) -> np.ndarray:
        vocab = self.index.stats.vocab
        name_cols = [vocab[t] for t in self.q.names if t in vocab]
        return self.index.stats.S[:, name_cols].sum(axis=1) / len(self.q.names) if name_cols else np.zeros(self.n)

    @cached_property
    def soft(self) -> tuple[np.ndarray, np.ndarray]:
        return _soft(self.index, self.q)

    @cached_property
    def dense_rank(self) -> np.ndarray:
        return ranks(self.dense)

    @cached_property
    def bm_rank(self) -> np.ndarray:
        return ranks(self.bm)

    @cached_property
    def typed(self) -> np.ndarray:
        """Whether each sentence holds the kind of thing the question asks for."""
        kinds, kind = self.index.kinds, self.q.kind
        if kind == AnswerType.NUMBER:
            return kinds.has_number
        if kind == AnswerType.DATE:
            return kinds.has_date
        if kind == AnswerType.STATEMENT:
            return kinds.has_statement
        if kind in (AnswerType.PERSON, AnswerType.PLACE):
            return np.asarray([1.0 if names - self.q.term_set else 0.0 for names in kinds.name_terms], dtype=np.float32)
        return np.zeros(self.n, dtype=np.float32)


SENTENCE_FEATURES = Registry(
    Feature("dense", lambda c: c.dense),
    Feature("dense_context", lambda c: c.index.layout.ctx_vecs @ c.q.vector),
    Feature("dense_prev", lambda c: c.index.layout.prev_vecs @ c.q.vector),
    Feature("dense_next", lambda c: c.index.layout.next_vecs @ c.q.vector),
    Feature("bm25_norm", lambda c: c.bm_norm),
    Feature("lexical", lambda c: c.lexical),
    Feature("window_lexical", lambda c: c.window),
    Feature("typed", lambda c: c.typed),
    Feature("dense_rank_recip", lambda c: 1.0 / (1.0 + c.dense_rank)),
    Feature("bm25_rank_recip", lambda c: 1.0 / (1.0 + c.bm_rank)),
    Feature("rrf", lambda c: 30.0 * (1.0 / (60.0 + c.dense_rank) + 1.0 / (60.0 + c.bm_rank))),
    Feature("length", lambda c: c.index.kinds.lengths),
    Feature("first_in_paragraph", lambda c: c.index.layout.first),
    Feature("dense_gap", lambda c: c.dense - c.dense.max()),
    Feature("bm25_gap", lambda c: c.bm_norm - c.bm_norm.max()),
    Feature("lexical_gap", lambda c: c.lexical - c.lexical.max()),
    Feature("bigram", lambda c: c.bigram),
    Feature("matched_share", lambda c: c.matched / max(len(c.q.term_set), 1)),
    Feature("max_idf_matched", lambda c: c.max_idf),
    Feature("novelty", lambda c: (c.index.stats.sizes - c.matched) / c.index.stats.sizes),
    Feature("names_matched", lambda c: c.names),
    Feature("soft_lexical", lambda c: c.soft[0]),
    Feature("soft_lexical_loose", lambda c: c.soft[1]),
    Feature("chunk_dense", lambda c: c.chunk_dense),
    Feature("para_lexical", lambda c: c.para_lexical),
    Feature("numbers_matched", lambda c: c.numbers),
)


def sentence_features(index: ArticleIndex, q: Parsed) -> np.ndarray:
    """One row per sentence of the article, columns as in :data:`SENTENCE_FEATURES`."""
    return SENTENCE_FEATURES.matrix(_Sentences(index, q))


def _soft(index: ArticleIndex, q: Parsed) -> tuple[np.ndarray, np.ndarray]:
    """Share of the question's word weight that each sentence matches by a similar word (WordLlama)."""
    words = index.words
    if not q.words or not len(words.word_vecs):
        return np.zeros(index.n), np.zeros(index.n)
    sim = q.word_vecs @ words.word_vecs.T  # question words x article words
    weights = word_idf(index, q.words)
    used = np.nonzero((sim >= 0.4).any(axis=0))[0]  # only article words similar to some question word
    if not len(used):
        return np.zeros(index.n), np.zeros(index.n)
    best = words.SW[:, used].astype(np.float32)[:, :, None] * sim[:, used].T[None, :, :]  # sentence x word x qword
    nearest = best.max(axis=1)  # sentences x question words: the most similar word in the sentence
    strict = ((nearest >= 0.6) * weights).sum(axis=1) / weights.sum()
    loose = ((nearest >= 0.4) * weights).sum(axis=1) / weights.sum()
    return strict, loose


def word_idf(index: ArticleIndex, words: list[str]) -> np.ndarray:
    """The idf of each of ``words`` over the article's sentences (by content word, unstemmed)."""
    return lexicon.idf(index.n, np.asarray([index.words.word_df.get(w, 0) for w in words]))


class _Tokens:
    """Late interaction for the candidate sentences: ``match`` is question pieces x candidates."""

    def __init__(self, match: np.ndarray, passage: list[float]) -> None:
        self.m, self.passage = match, passage
        self.valid = match.min(axis=0) > -1.0
        self.mean = np.where(self.valid, match.mean(axis=0), 0.0)


TOKEN_FEATURES = Registry(
    Feature("tok_match", lambda t: t.mean),
    Feature("tok_match_gap", lambda t: t.mean - t.mean.max()),
    Feature("tok_match_min", lambda t: np.where(t.valid, t.m.min(axis=0), 0.0)),
    Feature("tok_passage", lambda t: t.passage),
    Feature("tok_match_cubed", lambda t: np.where(t.valid, (np.clip(t.m, 0, None) ** 3).mean(axis=0), 0.0)),
)


def token_features(index: ArticleIndex, q: Parsed, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:data:`TOKEN_FEATURES` for the candidate sentences (zeros elsewhere), and the question pieces x
    sentences matrix of best similarities (computed for the candidates' passages, -1 elsewhere).

    The matching is late interaction: each question piece takes its most similar piece in the
    sentence (or in the passage that holds it), and the sentence scores the mean, the weakest, and
    the cubed mean (which rewards near-exact matches) of those. A passage's sentences are one
    run of sentences, so its pieces are one slice of ``index.tokens()``."""
    n = index.n
    out = np.zeros((n, len(TOKEN_FEATURES)), dtype=np.float32)
    k = len(q.token_vecs)
    match = np.full((k, n), -1.0, dtype=np.float32)
    if not k or not len(candidates):
        return out, match
    vecs, token_start, token_end = index.tokens()
    if not len(vecs):
        return out, match
    c = np.asarray(candidates, dtype=int)
    group = index.layout.sent_chunk
    passage_mean = {}
    for p in np.unique(group[c]):
        members = np.flatnonzero(group == p)
        a, b = int(members[0]), int(members[-1]) + 1
        lo, hi = int(token_start[a]), int(token_end[b - 1])
        if hi <= lo:
            continue
        starts, ends = token_start[a:b] - lo, token_end[a:b] - lo
        filled = np.nonzero(ends > starts)[0]
        sim = q.token_vecs @ vecs[lo:hi].T  # question pieces x the passage's pieces
        match[:, a + filled] = np.maximum.reduceat(sim, starts[filled], axis=1)
        passage_mean[int(p)] = float(sim.max(axis=1).mean())
    out[c] = TOKEN_FEATURES.matrix(_Tokens(match[:, c], [passage_mean.get(int(group[i]), 0.0) for i in c]))
    return out, match


#: the ranker's columns: every sentence feature, then the token features
RANK_FEATURES = SENTENCE_FEATURES + TOKEN_FEATURES
