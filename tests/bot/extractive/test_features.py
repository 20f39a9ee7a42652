import numpy as np
import pytest

from bot.extractive.features import RANK_FEATURES, SENTENCE_FEATURES, TOKEN_FEATURES, ranks, sentence_features, token_features
from bot.extractive.registry import Feature, Registry
from bot.extractive.question import parse_question

pytestmark = pytest.mark.unit


def _q(fake, text):
    return parse_question(text, *fake.embed_query_tokens(text), fake)


def test_registry_gives_names_columns_and_matrix():
    registry = Registry(Feature("a", lambda c: c * 1.0), Feature("b", lambda c: c * 2.0, sign=-1))
    assert registry.names == ["a", "b"] and registry.column("b") == 1 and registry.signs == {"a": 0, "b": -1}
    assert registry.matrix(np.arange(3)).tolist() == [[0, 0], [1, 2], [2, 4]]
    assert (registry + Registry(Feature("c", lambda c: c))).names == ["a", "b", "c"]
    with pytest.raises(ValueError, match="twice"):
        Registry(Feature("a", len), Feature("a", len))
    assert RANK_FEATURES.names == SENTENCE_FEATURES.names + TOKEN_FEATURES.names


def test_ranks_are_stable():
    assert ranks(np.asarray([0.2, 0.9, 0.2, 0.5])).tolist() == [2, 0, 3, 1]


def test_sentence_features_prefer_the_sentence_with_the_question_terms(story, fake):
    X = sentence_features(story, _q(fake, "How much will the construction cost?"))
    assert X.shape == (story.n, len(SENTENCE_FEATURES)) and X.dtype == np.float32
    cost = next(i for i, t in enumerate(story.sentences.texts) if "240 million" in t)
    for name in ("lexical", "bm25_norm", "dense", "matched_share"):
        assert X[:, SENTENCE_FEATURES.column(name)].argmax() == cost, name
    assert X[cost, SENTENCE_FEATURES.column("typed")] == 1.0  # "how much" asks for a number; it holds one
    assert X[:, SENTENCE_FEATURES.column("dense_gap")].max() == 0.0


def test_token_features_only_for_candidates(story, fake):
    q = _q(fake, "Who leads the transport committee?")
    candidates = np.asarray([story.n - 1, 1])
    T, match = token_features(story, q, candidates)
    assert T.shape == (story.n, len(TOKEN_FEATURES)) and not T[2:-1].any()
    best = T[:, TOKEN_FEATURES.column("tok_match")]
    assert best[story.n - 1] > best[1]  # "Ana Ruiz, who leads the transport committee, said …"
    group = story.layout.sent_chunk
    outside = ~np.isin(group, group[candidates])  # sentences of passages that hold no candidate
    assert (match[:, outside] == -1).all() and (match[:, ~outside] > -1).all() and outside.any()
