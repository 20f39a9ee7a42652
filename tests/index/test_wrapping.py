import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from index.chunking import split_sentences
from index.loader import load_article
from index.wrapping import unwrap
from tests.conftest import SEED_TEXT

pytestmark = pytest.mark.unit

NEWS = Path(__file__).resolve().parents[2] / "benchmarks" / "news"

HEADLINE = "Harbour ferry fares to rise next spring"
BYLINE = "By Ana Ruiz"
PARAGRAPHS = [
    "PORT ELLIS (Reuters) — The harbour authority said on Monday that ferry fares would rise by about 8% in April, "
    "the first increase since 2019, after fuel costs climbed for a third year.",
    "Mr. Tomas Reyes, the authority's chair, told reporters that the money would pay for two new electric boats, "
    "which are due to enter service on the northern route in 2028.",
    "Commuter groups said the rise would hit shift workers hardest. \"We were promised cheaper crossings,\" said "
    "Lena Brandt of the Riders' Union.",
]


def wrapped(width: int) -> str:
    return "\n".join([HEADLINE, BYLINE, ""] + [textwrap.fill(p, width) + "\n" for p in PARAGRAPHS]).rstrip() + "\n"


@pytest.mark.parametrize("width", [60, 72, 78, 100])
def test_a_wrapped_article_gets_its_paragraphs_back_and_nothing_else_moves(width):
    text = wrapped(width)
    assert text.count("\n") > 10
    unwrapped = unwrap(text)
    assert len(unwrapped) == len(text)
    assert unwrapped.split("\n") == [HEADLINE, BYLINE, "", PARAGRAPHS[0], "", PARAGRAPHS[1], "", PARAGRAPHS[2], ""]


def test_sentences_of_a_wrapped_article_are_whole():
    sentences = [s.text for s in split_sentences(unwrap(wrapped(72)))]
    assert "Harbour ferry fares to rise next spring" in sentences
    assert "By Ana Ruiz" in sentences
    assert any(s.startswith("PORT ELLIS") and s.endswith("for a third year.") for s in sentences)
    assert any(s.startswith("Mr. Tomas Reyes") and s.endswith("on the northern route in 2028.") for s in sentences)


def test_texts_that_are_not_wrapped_are_left_alone():
    assert unwrap(SEED_TEXT) == SEED_TEXT
    one_line_paragraphs = "\n".join([HEADLINE, *PARAGRAPHS])  # single line ends between paragraphs, as scraped pages give
    assert unwrap(one_line_paragraphs) == one_line_paragraphs
    for path in sorted(NEWS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        assert unwrap(text) == text, path.name


def test_lists_headings_rules_and_indented_lines_keep_their_line_ends():
    body = textwrap.fill(" ".join(PARAGRAPHS), 60).split("\n")
    lines = [
        body[0],
        "- the first point of a list that is long enough to be wrapped",
        "## A heading",
        body[1],
        "### Another heading",
        body[2],
        "=================================",
        body[3],
        "    an indented block that starts here",
        body[4],
        "1. a numbered item",
    ]
    text = "\n".join(lines)
    assert unwrap(text) == text


def test_a_sentence_end_at_the_wrap_is_joined_only_when_the_sentence_goes_on():
    start = "The chair, who spoke after the vote, said the decision had been made by Gov."
    goes_on = "Ellen Park on Friday and would not be changed before the spring."
    text = "\n".join([start, goes_on, "", textwrap.fill(PARAGRAPHS[1], 78)])
    assert unwrap(text).split("\n")[0] == f"{start} {goes_on}"
    ends = "The authority said the new timetable would start on the first of the month."
    text = "\n".join([ends, "Buses will run every ten minutes on the route from the harbour.", "", textwrap.fill(PARAGRAPHS[1], 78)])
    assert unwrap(text).split("\n")[0] == ends


@hsettings(max_examples=150, deadline=None)
@given(text=st.lists(st.sampled_from(list("ab .,!?\n-#>1)") + ["word ", "Mr. ", "\n\n", "    "]), max_size=300).map("".join))
def test_unwrap_only_ever_turns_line_ends_into_spaces(text):
    out = unwrap(text)
    assert len(out) == len(text)
    assert all(a == b or (a == "\n" and b == " ") for a, b in zip(text, out))


def test_loading_a_wrapped_markdown_file_unwraps_its_body_not_its_front_matter(tmp_path):
    front = "---\ntitle: " + "A very long title for the front matter block of this story, longer than the body's lines\n---\n"
    path = tmp_path / "fares.md"
    path.write_text(front + wrapped(72), encoding="utf-8")
    article = load_article(path)
    assert article.title.startswith("A very long title")
    assert article.text == unwrap(wrapped(72)).rstrip("\n") and article.text.split("\n")[3] == PARAGRAPHS[0]
