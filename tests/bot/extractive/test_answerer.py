import re

import pytest
from bot.extractive.answerer import ExtractiveAnswerer, load_models
from index.records import Passage

pytestmark = pytest.mark.unit


class _Cache:
    """The evidence cache's one method the answerer calls."""

    def __init__(self, index):
        self.index = index

    def get(self, article_id):
        assert article_id == self.index.article_id
        return self.index


def _passages(index):
    return [Passage(index.article_id, index.title, index.passages.texts[0], int(index.passages.starts[0]), int(index.passages.ends[0]))]


def test_answers_with_valid_citations(story, fake):
    answerer = ExtractiveAnswerer(_Cache(story), fake, threshold=0.0)
    answer = answerer.answer("How much will the tram line cost?", _passages(story))
    assert not answer.refused and "240 million euros" in answer.answer
    assert {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)} == {c.n for c in answer.citations}
    for c in answer.citations:
        assert story.text[c.start:c.end] == c.text
        assert all(c.start <= a < b <= c.end and story.text[a:b] in answer.answer for a, b in c.highlights)
    assert "Council approves harbour tram line" not in answer.answer  # the headline is never quoted


def test_refuses_below_the_threshold_and_defaults_to_the_fitted_one(story, fake):
    refused = ExtractiveAnswerer(_Cache(story), fake, threshold=1.0).answer("How much will it cost?", _passages(story))
    assert refused.refused and refused.citations == [] and refused.answer.startswith("The article doesn't say")
    assert ExtractiveAnswerer(_Cache(story), fake).threshold == load_models().meta["operating_point"]["refusal_threshold"]
    assert ExtractiveAnswerer(_Cache(story), fake).answer("Anything?", []).refused  # nothing retrieved


def test_every_answer_carries_the_closest_passage(story, fake):
    for threshold in (0.0, 1.0):  # answered, then refused
        answer = ExtractiveAnswerer(_Cache(story), fake, threshold=threshold).answer("How much will it cost?", _passages(story))
        assert answer.refused == (threshold == 1.0)
        [related] = answer.related
        assert related.n == 0 and "240 million" in related.text and story.text[related.start:related.end] == related.text
        [(a, b)] = related.highlights
        assert related.start <= a < b <= related.end and "240 million" in story.text[a:b]
        assert f"[{related.n}]" not in answer.answer
