"""The conversation as Markdown: markers renumbered across answers, sources listed once."""

from datetime import UTC, datetime

import pytest

from bot.export import conversation_markdown
from bot.models import Answer, Citation

pytestmark = pytest.mark.unit
TEXT = "The council voted 31 to 12 on Tuesday.\n\nConstruction starts in March, the mayor said."


def _citation(n: int, start: int, end: int) -> Citation:
    return Citation(n=n, article_id="tram", title="Tram line approved", text=TEXT[start:end], start=start, end=end,
                    score=0.5, highlights=[(start, end)])


def test_markers_are_renumbered_across_the_conversation_and_sources_listed_once():
    first = Answer(question="How did the council vote?", answer="It voted 31 to 12. [1]", refused=False,
                   citations=[_citation(1, 0, 38)])
    second = Answer(question="When does work start?", answer="In March [1], the council said so too [2].", refused=False,
                    citations=[_citation(1, 40, len(TEXT)), _citation(2, 0, 38)])
    refusal = Answer(question="What will it cost?", answer="The article doesn't say.", refused=True)
    md = conversation_markdown(
        [(q.question, q) for q in (first, second, refusal)] + [("Again?", "⏳ Try again in 5 seconds.")],
        title="Tram line approved", urls={"tram": "https://news.example/tram"},
        now=datetime(2026, 11, 30, 8, 0, tzinfo=UTC),
    )
    assert md.startswith("# Tram line approved\n")
    assert "Exported 2026-11-30 08:00 UTC" in md
    assert "**A:** It voted 31 to 12. [1]" in md
    assert "**A:** In March [2], the council said so too [1]." in md  # the passage cited first keeps [1]
    assert "**A:** *The article doesn't say.*" in md
    assert "**A:** ⏳ Try again in 5 seconds." in md
    sources = md.split("## Sources", 1)[1]
    assert sources.count("[1] **Tram line approved** <https://news.example/tram>") == 1
    assert "[2] **Tram line approved**" in sources and "[3]" not in sources
    assert "> Construction starts in March, the mayor said." in sources


def test_a_conversation_without_citations_has_no_sources_section():
    md = conversation_markdown([("Hi?", Answer(question="Hi?", answer="The article doesn't say.", refused=True))])
    assert "## Sources" not in md and md.startswith("# Questions about the news")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "https://news.example/a>[x](javascript:alert(1))",
                                 "https://news.example/a b"])
def test_a_url_that_is_no_web_address_is_never_a_link(url):
    answer = Answer(question="How did the council vote?", answer="It voted 31 to 12. [1]", refused=False, citations=[_citation(1, 0, 38)])
    md = conversation_markdown([(answer.question, answer)], urls={"tram": url})
    assert "[1] **Tram line approved**\n" in md
    assert "<" not in md.split("## Sources", 1)[1] and "javascript" not in md and "data:" not in md
    web = conversation_markdown([(answer.question, answer)], urls={"tram": "HTTP://news.example/tram?x=1"})
    assert "[1] **Tram line approved** <HTTP://news.example/tram?x=1>" in web
