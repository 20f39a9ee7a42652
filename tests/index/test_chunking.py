import pytest
from hypothesis import given, settings as hsettings, strategies as st

from index.chunking import chunk_article, split_sentences
from index.loader import Article
from tests.conftest import SEED_TEXT

pytestmark = pytest.mark.unit

_pieces = st.sampled_from(
    list("abcde fgh.?!\n—’“”ÄéΩ,;") + ["  ", "\n\n", "Mr. ", "U.S. ", "word ", "Sentence. ", "ca. ", "[1]", "[citation needed] "]
)
_text = st.lists(_pieces, min_size=1, max_size=800).map("".join)


@hsettings(max_examples=150, deadline=None)
@given(text=_text, size=st.integers(100, 900), overlap_ratio=st.floats(0, 0.5))
def test_chunk_offsets_map_back_exactly(text, size, overlap_ratio):
    article = Article("a", "T", text)
    chunks = chunk_article(article, size, int(size * overlap_ratio))
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.text.strip() == chunk.text and chunk.text
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)
    # every non-blank character is covered by some chunk
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


@hsettings(max_examples=100, deadline=None)
@given(text=_text, offset=st.integers(0, 50))
def test_sentence_offsets_map_back_exactly(text, offset):
    padded = "x" * offset + text
    for sentence in split_sentences(text, offset):
        assert padded[sentence.start : sentence.end] == sentence.text
        assert "\n" not in sentence.text


def test_sentence_splitter_mends_abbreviations_and_notes():
    text = (
        "Lead line\n"
        "The population amounted to ca. 2 million at that time. It rose fast.[citation needed]\n"
        "Trinity-St. Paul's Church still stands. Its spire is tall."
    )
    sentences = [s.text for s in split_sentences(text)]
    assert sentences == [
        "Lead line",
        "The population amounted to ca. 2 million at that time.",
        "It rose fast.[citation needed]",
        "Trinity-St. Paul's Church still stands.",
        "Its spire is tall.",
    ]
    assert all(text[s.start : s.end] == s.text for s in split_sentences(text))


def test_seed_article_chunks_and_ids_are_stable():
    article = Article("seed", "T", SEED_TEXT)
    first = chunk_article(article, 600, 80)
    second = chunk_article(article, 600, 80)
    assert [c.id for c in first] == [c.id for c in second]
    assert len({c.id for c in first}) == len(first) > 3
    assert all(len(c.text) <= 600 for c in first)


def test_repeated_text_gets_distinct_offsets():
    para = "The same sentence again and again in this article."
    text = "\n\n".join([para] * 30)
    chunks = chunk_article(Article("r", "T", text), 120, 0)
    assert len({c.start for c in chunks}) == len(chunks)
    for c in chunks:
        assert text[c.start : c.end] == c.text
