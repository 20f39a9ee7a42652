import numpy as np
import pytest

from bot.extractive.quote import MIN_PART, compose, excerpt, quote
from bot.extractive.ranking import Scored

pytestmark = pytest.mark.unit
LONG = ("After months of delays and two failed tenders, the regional transport authority said on Friday that the "
        "new bridge across the river would cost 310 million euros and open to traffic in the spring of 2028, "
        "provided that the environmental review now under way raises no further objections from residents.")


def test_excerpt_keeps_short_text_and_centres_long_text_on_the_wanted_terms():
    assert excerpt("A short one.", {"short"}, 50) == (0, 12)
    a, b = excerpt(LONG, {"cost", "310"}, 80)
    part = quote(LONG, a, b)
    assert "cost 310 million" in part and part.startswith("…") and part.endswith("…") and len(part) <= 80


class _Index:
    def __init__(self, texts, skips=None):
        self.sentences = type("S", (), {"texts": texts})()
        self.layout = type("L", (), {"quote_from": np.asarray(skips or [0] * len(texts))})()


def test_compose_quotes_a_likely_runner_up_in_article_order():
    texts = ["First sentence is short.", "Second one explains the cost.", "Third is unrelated."]
    scored = Scored(_Index(texts), np.zeros((3, 1)), np.zeros(3), np.asarray([0.2, 0.7, 0.1]), np.asarray([1, 0, 2]), np.zeros(0))
    assert compose(scored, {"cost"}, 400, 0.05) == [(0, 0, len(texts[0])), (1, 0, len(texts[1]))]
    assert compose(scored, {"cost"}, 400, 0.5) == [(1, 0, len(texts[1]))]  # the runner-up is not likely enough


def test_a_runner_up_needs_room_for_a_real_part():
    texts = [LONG, LONG.replace("bridge", "tunnel")]
    scored = Scored(_Index(texts), np.zeros((2, 1)), np.zeros(2), np.asarray([0.5, 0.5]), np.asarray([0, 1]), np.zeros(0))
    chosen = compose(scored, {"cost"}, len(LONG) + 10 + MIN_PART - 1, 0.05)
    assert chosen == [(0, 0, len(LONG))]


def test_a_dateline_is_never_quoted():
    lede = "KESTREL BAY, May 14 (Meridian Press) - The council voted on Tuesday to build a tram line."
    skip = lede.index("The council")
    scored = Scored(_Index([lede], [skip]), np.zeros((1, 1)), np.zeros(1), np.asarray([1.0]), np.asarray([0]), np.zeros(0))
    assert compose(scored, {"tram"}, 400, 0.05) == [(0, skip, len(lede))]
    assert quote(lede, skip, len(lede)) == "…The council voted on Tuesday to build a tram line."
