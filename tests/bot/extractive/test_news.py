import pytest

from bot.extractive import news
from bot.extractive.answerer import ExtractiveAnswerer
from bot.extractive.article import ArticleIndex
from index.loader import Article
from tests.bot.extractive.conftest import stored
from tests.bot.extractive.test_answerer import _Cache, _passages

pytestmark = pytest.mark.unit

WIRE = """Ferry operator orders two electric boats

By Ingrid Solheim

NORDVIK, Oct 2 (Fjordline Press) - Nordvik Ferries said on Wednesday it had ordered two battery-powered boats for 48 million crowns, the first electric ferries on the northern coast.

The company said the boats would enter service in 2027. They will carry 200 passengers each.

Reporting by Ingrid Solheim; Editing by Pavel Dvorak
"""


@pytest.mark.parametrize("sentence, end", [
    ("LISBON, March 3 (Reuters) - The council voted.", len("LISBON, March 3 (Reuters) - ")),
    ("NEW YORK, Jan. 5, 2026 (Harbour Wire) – Shares fell.", len("NEW YORK, Jan. 5, 2026 (Harbour Wire) – ")),
    ("KESTREL BAY (Meridian Press) - A fire broke out.", len("KESTREL BAY (Meridian Press) - ")),
    ("NATO - the alliance - met on Monday.", 0),
    ("The mayor said - again - that it was fine.", 0),
])
def test_datelines(sentence, end):
    assert news.dateline_end(sentence) == end


@pytest.mark.parametrize("sentence, whole_line, credit", [
    ("Reporting by Anna Kowalczyk; Editing by Priya Nair", True, True),
    ("(Reporting by Tom Reyes; Writing by Lena Marsh)", True, True),
    ("By Ingrid Solheim", True, True),
    ("Reporting by Anna Kowalczyk; Editing by Priya Nair", False, False),
    ("By Tuesday the river had risen by two metres.", True, False),
    ("Editing the budget by hand took weeks, the clerk said.", True, False),
])
def test_credit_lines_and_bylines(sentence, whole_line, credit):
    assert news.is_credit(sentence, whole_line) == credit


@pytest.mark.parametrize("question, author, source", [
    ("Who wrote this article?", True, False),
    ("Who is the author?", True, False),
    ("Who wrote the letter to the council?", False, False),
    ("Who reported the fire to the police?", False, False),
    ("Which news agency carried the story?", False, True),
    ("Where was this story filed from?", False, True),
    ("Which agency is investigating the crash?", False, False),
])
def test_questions_about_the_story_itself(question, author, source):
    assert (news.asks_author(question), news.asks_source(question)) == (author, source)


@pytest.fixture(scope="module")
def wire(fake):
    return ArticleIndex.from_record(stored(Article("ferry", "Ferry operator orders two electric boats", WIRE), fake), fake)


def test_credit_lines_and_datelines_answer_only_questions_about_the_story(wire, fake):
    answerer = ExtractiveAnswerer(_Cache(wire), fake, threshold=0.0)
    author = answerer.answer("Who wrote this story?", _passages(wire))
    assert "Reporting by Ingrid Solheim; Editing by Pavel Dvorak" in author.answer and "By Ingrid Solheim" in author.answer
    agency = answerer.answer("Which news agency filed this report?", _passages(wire))
    assert agency.answer == "NORDVIK, Oct 2 (Fjordline Press)… [1]" and not agency.refused
    for answer in (author, agency):
        c = answer.citations[0]
        assert wire.text[c.start:c.end] == c.text and all(wire.text[a:b] in answer.answer for a, b in c.highlights)
    content = answerer.answer("How much did the boats cost?", _passages(wire))
    assert "48 million crowns" in content.answer
    assert "NORDVIK" not in content.answer and "Reporting by" not in content.answer  # dateline and credit never quoted
