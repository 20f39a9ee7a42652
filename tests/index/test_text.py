"""What text shows: one definition shared by the loader and the question checks."""

import pytest

from index.text import blank

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("text", ["", "  \n\t", "\ufeff", "\u200b\u200b", "\x00", "\x07\x07", "\x1b \u2060"])
def test_text_that_shows_nothing_is_blank(text):
    assert blank(text)


@pytest.mark.parametrize("text", ["a", "\u200bx", "\ufeffTitle", "👍", "\u00a0.\u00a0"])
def test_text_that_shows_something_is_not(text):
    assert not blank(text)
