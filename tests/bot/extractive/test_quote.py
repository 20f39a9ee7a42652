import numpy as np
import pytest

from bot.extractive.quote import MIN_PART, compose, excerpt, quote
from bot.extractive.ranking import Scored

LONG = ("After months of delays and two failed tenders, the regional transport authority said on Friday that the "
        "new bridge across the river would cost 310 million euros and open to traffic in the spring of 2028, "
        "provided that the environmental review now under way raises no further objections from residents.")


@pytest.mark.unit
def test_excerpt_keeps_short_text_and_centres_long_text_on_the_wanted_terms():
    assert excerpt("A short one.", {"short"}, 50) == (0, 12)
    a, b = excerpt(LONG, {"cost", "310"}, 80)
    part = quote(LONG, a, b)
    assert "cost 310 million" in part and part.startswith("…") and part.endswith("…") and len(part) <= 80


class _Index:
    def __init__(self, texts, skips=None):
        self.sentences = type("S", (), {"texts": texts})()
        self.layout = type("L", (), {"quote_from": np.asarray(skips or [0] * len(texts))})()


@pytest.mark.unit
def test_compose_quotes_a_likely_runner_up_in_article_order():
    texts = ["First sentence is short.", "Second one explains the cost.", "Third is unrelated."]
    scored = Scored(_Index(texts), np.zeros((3, 1)), np.zeros(3), np.asarray([0.2, 0.7, 0.1]), np.asarray([1, 0, 2]), np.zeros(0))
    assert compose(scored, {"cost"}, 400, 0.05) == [(0, 0, len(texts[0])), (1, 0, len(texts[1]))]
    assert compose(scored, {"cost"}, 400, 0.5) == [(1, 0, len(texts[1]))]  # the runner-up is not likely enough


@pytest.mark.unit
def test_a_runner_up_needs_room_for_a_real_part():
    texts = [LONG, LONG.replace("bridge", "tunnel")]
    scored = Scored(_Index(texts), np.zeros((2, 1)), np.zeros(2), np.asarray([0.5, 0.5]), np.asarray([0, 1]), np.zeros(0))
    chosen = compose(scored, {"cost"}, len(LONG) + 10 + MIN_PART - 1, 0.05)
    assert chosen == [(0, 0, len(LONG))]


@pytest.mark.unit
def test_a_dateline_is_never_quoted():
    lede = "KESTREL BAY, May 14 (Meridian Press) - The council voted on Tuesday to build a tram line."
    skip = lede.index("The council")
    scored = Scored(_Index([lede], [skip]), np.zeros((1, 1)), np.zeros(1), np.asarray([1.0]), np.asarray([0]), np.zeros(0))
    assert compose(scored, {"tram"}, 400, 0.05) == [(0, skip, len(lede))]
    assert quote(lede, skip, len(lede)) == "…The council voted on Tuesday to build a tram line."


@pytest.mark.unit
def test_markers_from_the_article_text_are_never_quoted_as_markers():
    # issue 22, D3: "[7]" or "[2][3]" in an article were quoted as is, so the answer carried markers with no citation
    text = "The mayor resigned on Monday.[1] Officials confirmed it [2][3], citing records [5, 6] and a letter [^4]."
    assert quote(text, 0, len(text)) == "The mayor resigned on Monday. Officials confirmed it, citing records and a letter."
    assert quote("[Maria Lopez] said [sic] nothing.", 0, 33) == "[Maria Lopez] said [sic] nothing."  # no numbers: kept


@pytest.mark.slow
def test_an_extractive_answer_carries_only_its_own_markers(seed_bot):
    from bot.citations import MARKER_RE, citation_problems
    from index.loader import Article
    from tests.bot.test_guard import ADVERSARIAL

    text = (ADVERSARIAL / "x-heron-count.txt").read_text(encoding="utf-8")
    seed_bot.ingest(Article("x-heron-count", text.splitlines()[0], text))
    answer = seed_bot.ask("How many grey herons did the volunteers around Lake Orvel record?")
    assert not answer.refused and "214" in answer.answer
    assert citation_problems(answer.as_json(), {"x-heron-count": text}) == []
    assert [int(n) for n in MARKER_RE.findall(answer.answer)] == [c.n for c in answer.citations]  # one marker each
