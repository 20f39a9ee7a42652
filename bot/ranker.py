"""Scoring sentences against a question, and deciding answer-or-refuse from the evidence.

Two small linear models, fitted on the tuning split and dev.jsonl by
``benchmarks/train_ranker.py`` and shipped as ``bot/ranker.json``:

* the **sentence ranker** scores every sentence of an article from the features in
  :data:`SENTENCE_FEATURES` (trained listwise: a softmax over each question's sentences);
  its best :data:`CANDIDATES` are then re-scored with :data:`TOKEN_FEATURES` added, a
  late-interaction match of the question's word pieces against each sentence's, both from
  MiniLM's contextual token vectors (only the candidates, so the cost stays flat with article length);
* the **answerability model** (logistic regression) turns the evidence as a whole into a
  probability that the article answers the question: of the :data:`QUESTION_FEATURES`, the
  few that forward selection kept (``meta.answerability_features``; the others weigh 0), each
  weight on the side of zero that :data:`EVIDENCE_SIGN` gives its feature.
  The bot refuses below ``refusal_threshold``.

No feature names a word of any evaluation question; every one is a generic signal
(similarity, term overlap weighted by rarity, answer type, position, missing terms).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from bot.evidence import ArticleIndex
from bot.question import Parsed

__all__ = [
    "SENTENCE_FEATURES",
    "TOKEN_FEATURES",
    "RANK_FEATURES",
    "QUESTION_FEATURES",
    "EVIDENCE_SIGN",
    "CANDIDATES",
    "sentence_features",
    "question_features",
    "Models",
    "load_models",
    "Scored",
    "score_features",
    "token_features",
]

MODEL_PATH = Path(__file__).with_name("ranker.json")

SENTENCE_FEATURES = [
    "dense", "dense_context", "dense_prev", "dense_next", "bm25_norm", "lexical", "window_lexical", "typed",
    "dense_rank_recip", "bm25_rank_recip", "rrf", "length", "first_in_paragraph", "dense_gap", "bm25_gap",
    "lexical_gap", "bigram", "matched_share", "max_idf_matched", "novelty", "names_matched", "soft_lexical",
    "soft_lexical_loose", "chunk_dense", "para_lexical", "numbers_matched",
]
# late interaction (ColBERT-style MaxSim) over MiniLM's contextual word pieces, for the candidates
TOKEN_FEATURES = ["tok_match", "tok_match_gap", "tok_match_min", "tok_passage", "tok_match_cubed"]
RANK_FEATURES = SENTENCE_FEATURES + TOKEN_FEATURES
CANDIDATES = 30
QUESTION_FEATURES = [
    "top_prob", "second_prob", "top_score", "margin", "top_dense", "top_lexical", "top_window_lexical",
    "max_dense", "max_lexical", "missing_max_idf", "missing_share", "missing_count", "missing_elsewhere",
    "question_negated", "sentence_negated", "negation_mismatch", "number_missing", "names_missing",
    "unknown_share", "unknown_count", "focus_missing", "type_missing", "question_terms",
    "top_soft", "top_bigram", "soft_missing_max_idf", "soft_missing_count", "dense_spread",
    "para_missing_max_idf", "para_missing_share", "top_chunk_dense",
    "tok_best_min", "tok_best_mean", "tok_passage_min", "tok_passage_mean", "tok_anywhere_min", "tok_top2_min",
]

# The direction in which each answerability feature may move the probability that the article answers
# (benchmarks/train_ranker.py keeps every weight on its side): +1 a closer or surer match can only raise it,
# -1 missing or contradicting evidence can only lower it, 0 either way (the question's own shape).
EVIDENCE_SIGN = {
    **{name: 1 for name in (
        "top_prob", "top_score", "margin", "top_dense", "top_lexical", "top_window_lexical", "max_dense", "max_lexical",
        "top_soft", "top_bigram", "dense_spread", "top_chunk_dense", "tok_best_min", "tok_best_mean", "tok_passage_min",
        "tok_passage_mean", "tok_anywhere_min", "tok_top2_min")},
    **{name: -1 for name in (
        "second_prob", "missing_max_idf", "missing_share", "missing_count", "missing_elsewhere", "negation_mismatch",
        "number_missing", "names_missing", "unknown_share", "unknown_count", "focus_missing", "type_missing",
        "soft_missing_max_idf", "soft_missing_count", "para_missing_max_idf", "para_missing_share")},
    **{name: 0 for name in ("question_negated", "sentence_negated", "question_terms")},
}

def _typed(index: ArticleIndex, q: Parsed) -> np.ndarray:
    if q.kind == "number":
        return index.has_number
    if q.kind == "date":
        return index.has_date
    if q.kind == "statement":
        return index.has_statement
    if q.kind in ("person", "place"):
        return np.asarray([1.0 if names - q.term_set else 0.0 for names in index.name_terms], dtype=np.float32)
    return np.zeros(index.n, dtype=np.float32)


def _rank(values: np.ndarray) -> np.ndarray:
    """0 for the largest value, 1 for the next, …"""
    ranks = np.empty(len(values))
    ranks[np.argsort(-values, kind="stable")] = np.arange(len(values))
    return ranks


def sentence_features(index: ArticleIndex, q: Parsed) -> np.ndarray:
    """One row per sentence of the article, columns as in :data:`SENTENCE_FEATURES`."""
    n = index.n
    dense = index.sent_vecs @ q.vector
    dense_ctx = index.ctx_vecs @ q.vector
    dense_prev = index.prev_vecs @ q.vector
    dense_next = index.next_vecs @ q.vector
    bm = index.bm25_scores(q.terms)
    bm_norm = bm / bm.max() if bm.max() > 0 else bm
    cols = [index.vocab[t] for t in q.term_set if t in index.vocab]
    _, total = index.term_weights(q.term_set)
    total = total or 1.0
    idf = index.idf[cols]
    hits = index.S[:, cols].astype(np.float32)  # sentences x known question terms
    window_hits = index.W[:, cols].astype(np.float32)
    lexical = hits @ idf / total
    para_lexical = (index.P[:, cols].astype(np.float32) @ idf / total)[index.para] if n else np.zeros(0)
    chunk_dense = (index.chunk_vecs @ q.vector)[index.sent_chunk] if n else np.zeros(0)
    if q.numbers:
        numbers = np.asarray([len(q.numbers & found) / len(q.numbers) for found in index.numbers], dtype=np.float32)
    else:
        numbers = np.zeros(n, dtype=np.float32)
    window = window_hits @ idf / total
    matched = hits.sum(axis=1)
    max_idf = (hits * idf).max(axis=1) / max(index.unknown_idf, 1e-6) if cols else np.zeros(n)
    novelty = (index.sizes - matched) / index.sizes
    if q.bigrams:
        bcols = [index.bigram_vocab[b] for b in q.bigrams if b in index.bigram_vocab]
        bigram = index.B[:, bcols].sum(axis=1) / len(q.bigrams) if bcols else np.zeros(n)
    else:
        bigram = np.zeros(n)
    name_cols = [index.vocab[t] for t in q.names if t in index.vocab]
    names = index.S[:, name_cols].sum(axis=1) / len(q.names) if name_cols else np.zeros(n)
    soft, soft_loose = _soft(index, q)
    dense_rank = _rank(dense)
    bm_rank = _rank(bm)
    dense_rr = 1.0 / (1.0 + dense_rank)
    rrf = 30.0 * (1.0 / (60.0 + dense_rank) + 1.0 / (60.0 + bm_rank))
    return np.column_stack([
        dense, dense_ctx, dense_prev, dense_next, bm_norm, lexical, window, _typed(index, q),
        dense_rr, 1.0 / (1.0 + bm_rank), rrf, index.lengths, index.first, dense - dense.max(), bm_norm - bm_norm.max(),
        lexical - lexical.max(), bigram, matched / max(len(q.term_set), 1), max_idf, novelty, names, soft, soft_loose,
        chunk_dense, para_lexical, numbers,
    ]).astype(np.float32)


def _soft(index: ArticleIndex, q: Parsed) -> tuple[np.ndarray, np.ndarray]:
    """Share of the question's word weight that each sentence matches by a similar word (WordLlama)."""
    if not q.words or not len(index.word_vecs):
        return np.zeros(index.n), np.zeros(index.n)
    sim = q.word_vecs @ index.word_vecs.T  # question words x article words
    n = index.n
    weights = np.log((n + 1) / (np.asarray([index.word_df.get(w, 0) for w in q.words]) + 0.5))
    used = np.nonzero((sim >= 0.4).any(axis=0))[0]  # only article words similar to some question word
    if not len(used):
        return np.zeros(n), np.zeros(n)
    best = index.SW[:, used].astype(np.float32)[:, :, None] * sim[:, used].T[None, :, :]  # sentence x word x qword
    nearest = best.max(axis=1)  # sentences x question words: the most similar word in the sentence
    strict = ((nearest >= 0.6) * weights).sum(axis=1) / weights.sum()
    loose = ((nearest >= 0.4) * weights).sum(axis=1) / weights.sum()
    return strict, loose


@dataclass
class Scored:
    """The ranked sentences of one article for one question."""

    index: ArticleIndex
    features: np.ndarray
    scores: np.ndarray
    probs: np.ndarray
    order: np.ndarray
    token_match: np.ndarray  # question pieces x sentences: best piece similarity (-1 where not computed)


def question_features(s: Scored, q: Parsed) -> np.ndarray:
    """Answerability evidence, columns as in :data:`QUESTION_FEATURES`."""
    index, X, order = s.index, s.features, s.order
    best = int(order[0])
    second = int(order[1]) if len(order) > 1 else best
    col = {name: i for i, name in enumerate(SENTENCE_FEATURES)}
    window = index.window_sets[best]
    missing = [t for t in q.term_set if t not in window]
    missing_idf = [index.idf_of(t) for t in missing]
    _, total = index.term_weights(q.term_set)
    total = total or 1.0
    unknown = [t for t in q.term_set if t not in index.vocab]
    focus_missing = 1.0 if q.focus_terms and any(t not in index.vocab for t in q.focus_terms) else 0.0
    type_missing = 1.0 if q.kind and X[best, col["typed"]] == 0 else 0.0
    names_missing = len(q.names - window) / (len(q.names) or 1)
    sentence_negated = float(index.negated[best])
    soft_missing = _soft_missing(index, q, best)
    top5 = np.sort(X[:, col["dense"]])[-5:]
    para_missing = [index.idf_of(t) for t in q.term_set if t not in index.para_sets[best]]
    tok = _token_evidence(s, best, second)
    return np.asarray([
        s.probs[best], s.probs[second], s.scores[best], s.scores[best] - s.scores[second],
        X[best, col["dense"]], X[best, col["lexical"]], X[best, col["window_lexical"]],
        X[:, col["dense"]].max(), X[:, col["lexical"]].max(),
        max(missing_idf or [0.0]) / index.unknown_idf, sum(missing_idf) / total, len(missing),
        sum(1 for t in missing if t in index.vocab), q.negated, sentence_negated, q.negated * (1 - sentence_negated),
        1.0 if q.numbers - index.numbers[best] else 0.0, names_missing,
        sum(index.unknown_idf for _ in unknown) / total, len(unknown), focus_missing, type_missing, len(q.term_set),
        X[best, col["soft_lexical"]], X[best, col["bigram"]], max(soft_missing or [0.0]) / index.unknown_idf,
        len(soft_missing), float(top5[-1] - top5.mean()),
        max(para_missing or [0.0]) / index.unknown_idf, sum(para_missing) / total, X[best, col["chunk_dense"]],
        *tok,
    ], dtype=np.float32)


def _token_evidence(s: Scored, best: int, second: int) -> list[float]:
    """How well the question's weakest and average word piece is matched by the best sentence,
    its passage, any candidate, and the best two sentences."""
    m = s.token_match
    if not m.size:
        return [0.0] * 6
    index = s.index
    passage = m[:, index.sent_chunk == index.sent_chunk[best]].max(axis=1)
    return [
        float(m[:, best].min()), float(m[:, best].mean()), float(passage.min()), float(passage.mean()),
        float(m.max(axis=1).min()), float(m[:, [best, second]].max(axis=1).min()),
    ]


def _soft_missing(index: ArticleIndex, q: Parsed, best: int) -> list[float]:
    """Idf of question words with no similar word (WordLlama >= 0.6) near the best sentence."""
    rows = [best] + ([best - 1] if index.same_prev[best] else []) + ([best + 1] if index.same_next[best] else [])
    cols = np.nonzero(index.SW[rows].any(axis=0))[0]
    if not q.words:
        return []
    if not len(cols):
        return [np.log((index.n + 1) / (index.word_df.get(w, 0) + 0.5)) for w in q.words]
    sim = q.word_vecs @ index.word_vecs[cols].T
    return [
        float(np.log((index.n + 1) / (index.word_df.get(w, 0) + 0.5)))
        for w, row in zip(q.words, sim)
        if row.max() < 0.6
    ]


@dataclass
class Models:
    """The fitted weights (see ``bot/ranker.json``)."""

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

    def answerable(self, f: np.ndarray) -> float:
        z = float(((f - self.answer_mu) / self.answer_sd) @ self.answer_w + self.answer_b)
        return 1.0 / (1.0 + np.exp(-z))

    def to_json(self) -> dict:
        arr = lambda a: [round(float(x), 6) for x in a]  # noqa: E731
        return {
            "sentence_features": SENTENCE_FEATURES,
            "rank_features": RANK_FEATURES,
            "question_features": QUESTION_FEATURES,
            "prefilter": {"w": arr(self.pre_w), "mu": arr(self.pre_mu), "sd": arr(self.pre_sd)},
            "ranker": {"w": arr(self.rank_w), "mu": arr(self.rank_mu), "sd": arr(self.rank_sd)},
            "answerable": {"w": arr(self.answer_w), "b": round(self.answer_b, 6), "mu": arr(self.answer_mu), "sd": arr(self.answer_sd)},
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict) -> "Models":
        if (data.get("sentence_features") != SENTENCE_FEATURES or data.get("rank_features") != RANK_FEATURES
                or data.get("question_features") != QUESTION_FEATURES):
            raise ValueError("ranker.json was fitted for other features: run benchmarks/train_ranker.py")
        p, r, a = data["prefilter"], data["ranker"], data["answerable"]
        f = lambda xs: np.asarray(xs, dtype=np.float32)  # noqa: E731
        return cls(f(p["w"]), f(p["mu"]), f(p["sd"]), f(r["w"]), f(r["mu"]), f(r["sd"]),
                   f(a["w"]), float(a["b"]), f(a["mu"]), f(a["sd"]), data.get("meta", {}))

    @classmethod
    def neutral(cls) -> "Models":
        """Hand-set weights used before any fit (and by the trainer to bootstrap)."""
        hand = {"dense": 1.0, "lexical": 1.0, "bm25_norm": 0.5, "typed": 0.3, "tok_match": 1.0}
        pre = np.asarray([hand.get(n, 0.0) for n in SENTENCE_FEATURES], dtype=np.float32)
        rank = np.asarray([hand.get(n, 0.0) for n in RANK_FEATURES], dtype=np.float32)
        aw = np.zeros(len(QUESTION_FEATURES), dtype=np.float32)
        aw[QUESTION_FEATURES.index("top_dense")] = 8.0
        zeros = lambda k: np.zeros(k, np.float32)  # noqa: E731
        ones = lambda k: np.ones(k, np.float32)  # noqa: E731
        return cls(pre, zeros(len(pre)), ones(len(pre)), rank, zeros(len(rank)), ones(len(rank)),
                   aw, -3.0, zeros(len(aw)), ones(len(aw)), {"fitted": False})


@lru_cache(maxsize=4)
def load_models(path: str = str(MODEL_PATH)) -> Models:
    file = Path(path)
    if not file.is_file():
        return Models.neutral()
    return Models.from_json(json.loads(file.read_text(encoding="utf-8")))


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
    group = index.sent_chunk
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
    m = match[:, c]
    valid = m.min(axis=0) > -1.0
    mean = np.where(valid, m.mean(axis=0), 0.0)
    out[c, 0] = mean
    out[c, 1] = mean - mean.max()
    out[c, 2] = np.where(valid, m.min(axis=0), 0.0)
    out[c, 3] = [passage_mean.get(int(group[i]), 0.0) for i in c]
    out[c, 4] = np.where(valid, (np.clip(m, 0, None) ** 3).mean(axis=0), 0.0)
    return out, match


def score_features(index: ArticleIndex, q: Parsed, X: np.ndarray, models: Models, signal: np.ndarray | None = None) -> Scored:
    """Rank the sentences from their :data:`SENTENCE_FEATURES`: the prefilter picks the
    :data:`CANDIDATES`, the ranker re-scores them with :data:`TOKEN_FEATURES` added; the
    other sentences keep the prefilter's order far below.

    With ``signal`` (one score per sentence: the ablations of ``bot eval --compare``), that
    signal alone picks the candidates and orders the sentences. A headline comes last either way."""
    if signal is not None:
        signal = _last(signal, index.headline)
        order = np.argsort(-signal, kind="stable")
        T, match = token_features(index, q, order[:CANDIDATES])
        return Scored(index, np.hstack([X, T]), signal, _softmax(signal), order, match)
    pre = _last(models.prefilter(X), index.headline)
    pre_order = np.argsort(-pre, kind="stable")
    candidates = pre_order[:CANDIDATES]
    T, match = token_features(index, q, candidates)
    full = np.hstack([X, T])
    scores = np.empty(index.n, dtype=np.float64)
    scores[candidates] = models.rank(full[candidates])
    if index.n > len(candidates):
        rest = pre_order[len(candidates):]
        scores[rest] = scores[candidates].min() - 30.0 - np.arange(len(rest)) * 1e-3
    scores = _last(scores, index.headline)
    order = np.argsort(-scores, kind="stable")
    return Scored(index, full, scores, _softmax(scores), order, match)


def _last(scores: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``scores`` with the masked sentences below all the others: a headline is never quoted (ArticleIndex.headline)."""
    return np.where(mask, scores.min() - 100.0, scores) if mask.any() else scores


def _softmax(scores: np.ndarray) -> np.ndarray:
    """Probabilities over the sentences (empty for an empty article)."""
    if not len(scores):
        return scores
    z = np.exp(scores - scores.max())
    return z / z.sum()
