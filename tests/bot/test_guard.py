"""The grounding guard (bot/guard.py): its hard checks alone, then against the seed article with the real model."""

import pytest
from langchain_core.documents import Document

from bot.guard import Guard, hard_problems
from tests.conftest import SEED_ID, SEED_TEXT

PASSAGE = ('Skyrenn Airways reported a second-quarter net profit of 18.6 million dollars on Thursday, as a record '
           '1.9 million passengers flew with the airline. "Our people carried more passengers than ever," said Marta Voss.')


@pytest.mark.unit
@pytest.mark.parametrize("sentence, problem", [
    ("Skyrenn made a profit of 18.6 million dollars in the second quarter.", None),
    ("Nearly two million passengers flew with Skyrenn.", "the number 2"),  # strict: a rounded figure is not the passage's
    ("Skyrenn made a profit of 19.6 million dollars.", "the number 19.6"),
    ("Skyrenn Airways reported its profit on Friday.", "'friday'"),
    ("Marta Voss of Vellmar Foods said passengers returned.", "the name 'Vellmar'"),
    ('Voss said "our staff broke every record."', "quotation"),
    ('Voss said "our people carried more passengers than ever."', None),
    ("Skyrenn flew four hundred passengers.", "the number 4"),
])
def test_hard_checks(sentence, problem):
    found = hard_problems(sentence, PASSAGE)
    assert (problem is None and found == []) or (problem is not None and any(problem in p for p in found)), found


def _doc(bot, text: str) -> Document:
    at = SEED_TEXT.index(text)
    return Document(text, metadata={"article_id": SEED_ID, "title": SEED_ID, "start": at, "end": at + len(text)})


@pytest.mark.slow
def test_the_guard_keeps_what_the_passage_says_and_drops_the_rest(seed_bot):
    guard = Guard(seed_bot.evidence, seed_bot.embeddings)
    first = SEED_TEXT.strip().split("\n")[0]
    doc = _doc(seed_bot, first[: first.index(".") + 1])
    sentence = doc.page_content
    kept = guard.check(sentence, [0], [doc])
    assert kept.kept and kept.reason == "" and kept.support_article == SEED_ID
    a, b = kept.support
    assert SEED_TEXT[a:b] in doc.page_content or doc.page_content in SEED_TEXT[a:b]  # the highlight is the article's text
    invented = guard.check("The 2026 FIFA World Cup was won by India.", [0], [doc])
    assert not invented.kept and invented.reason
    # small models forget markers: an uncited sentence is kept when a retrieved passage supports it, and cites that one
    uncited = guard.check(sentence, [], [doc])
    assert uncited.kept and uncited.cited == [0]
    invented_uncited = guard.check("The 2026 FIFA World Cup was won by India.", [], [doc])
    assert not invented_uncited.kept and "no retrieved passage supports it" in invented_uncited.reason
