"""The question log's fixtures: a Logbook factory over the ``database_url`` of tests/conftest.py."""

from __future__ import annotations

import pytest

from bot.logbook import Logbook
from bot.models import Answer, Citation
from bot.settings import Settings


def answer(text: str = "The summit was in Alaska [1].", article_id: str | None = "alaska", refused: bool = False) -> Answer:
    """A real answer citing one passage of ``article_id`` (none when it is None or the answer refuses)."""
    citations = [] if refused or article_id is None else [
        Citation(article_id=article_id, title="The summit", text="The summit was held in Alaska.", start=0, end=29,
                 score=0.8, n=1, highlights=[(0, 29)]),
    ]
    return Answer(question="Where was the summit?", answer=text, refused=refused, citations=citations)


@pytest.fixture
def make_book(database_url, tmp_path):
    """``make_book(**settings)``: a Logbook on the test's database, its data dir under tmp_path; closed after."""
    books: list[Logbook] = []

    def make(data_dir=None, **overrides) -> Logbook:
        settings = Settings(data_dir=data_dir or tmp_path / "data", database_url=database_url, **overrides)
        books.append(Logbook(settings))
        return books[-1]

    yield make
    for book in books:
        book.close()
