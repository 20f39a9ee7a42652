import pytest

from bot.extractive.answerability import QUESTION_FEATURES, question_features
from bot.extractive.answerer import load_models
from bot.extractive.features import sentence_features
from bot.extractive.question import parse_question
from bot.extractive.ranking import score_features

pytestmark = pytest.mark.unit


def _evidence(story, fake, text):
    q = parse_question(text, *fake.embed_query_tokens(text), fake)
    scored = score_features(story, q, sentence_features(story, q), load_models())
    return dict(zip(QUESTION_FEATURES.names, question_features(scored, q))), scored


def test_every_feature_has_a_sign_and_missing_evidence_points_down():
    signs = QUESTION_FEATURES.signs
    assert set(signs.values()) <= {-1, 0, 1}
    assert all(signs[n] == -1 for n in QUESTION_FEATURES.names if "missing" in n)
    assert signs["top_dense"] == 1 and signs["question_negated"] == 0


def test_evidence_of_an_answerable_and_a_near_miss_question(story, fake):
    found, scored = _evidence(story, fake, "How much will the tram line cost?")
    assert "240 million" in story.sentences.texts[int(scored.order[0])]
    assert found["type_missing"] == 0.0 and found["number_missing"] == 0.0 and found["unknown_count"] == 1  # "much"
    miss, _ = _evidence(story, fake, "How much did the tram line cost in 2019?")
    assert miss["number_missing"] == 1.0  # the article gives no 2019
    other, _ = _evidence(story, fake, "What did Pedro Alves say about the ferry?")
    assert other["names_missing"] == 1.0 and other["unknown_count"] >= 3


def test_negated_question_without_a_negated_sentence(story, fake):
    found, _ = _evidence(story, fake, "Which councillors did not vote for the tram?")
    assert found["question_negated"] == 1.0 and found["negation_mismatch"] in (0.0, 1.0)


def test_a_period_or_ordinal_the_best_sentence_lacks_is_evidence_of_a_near_miss(story, fake):
    asked, _ = _evidence(story, fake, "When is construction expected to start?")
    assert asked["qualifier_missing"] == 0.0
    other_month, _ = _evidence(story, fake, "Will construction start in June?")
    assert other_month["qualifier_missing"] == 1.0  # the article says March
    last_year, _ = _evidence(story, fake, "How much did the tram line cost last year?")
    assert last_year["qualifier_missing"] == 1.0


def test_specific_words_are_the_questions_own_not_the_articles_topic(story, fake):
    on_topic, _ = _evidence(story, fake, "How many passengers will the tram line carry?")
    off_topic, _ = _evidence(story, fake, "What is the weather like at the harbour in winter?")
    assert on_topic["soft_unknown"] == 0.0 and on_topic["specific_unmatched"] == 0.0
    assert off_topic["soft_unknown"] >= 1.0 and off_topic["specific_near_min"] < on_topic["specific_near_min"]
