import pytest

from index.chunking import split_sentences
from index.errors import ArticleError
from index.loader import load_article
from index.markdown import plain_text

pytestmark = pytest.mark.unit

STORY = """---
title: Harbour ferry fares to rise next spring
---
# Harbour ferry fares to rise next spring

*By Ana Ruiz* | **Port Ellis**

The [harbour authority](https://example.com/authority) said on Monday that ferry fares would rise by
**about 8%** in April, the first increase since 2019, after fuel costs climbed for a third year.

![A ferry leaving Port Ellis](https://example.com/ferry.jpg)

---

> "We were promised cheaper crossings," said Lena Brandt of the
> [Riders' Union](https://riders.example.org).

Key changes:

- Single tickets rise from `$4.50` to $4.90.
- Monthly passes rise to $120.

| ticket | now | April |
|---|---|---|
| single | $4.50 | $4.90 |

<div class="note">Fares for <b>children</b> stay the same.</div>
"""


def test_a_markdown_article_is_stored_as_the_text_its_reader_sees(tmp_path):
    path = tmp_path / "fares.md"
    path.write_text(STORY, encoding="utf-8")
    article = load_article(path)
    assert article.title == "Harbour ferry fares to rise next spring"
    assert article.text == (
        "Harbour ferry fares to rise next spring\n\n"
        "By Ana Ruiz | Port Ellis\n\n"
        "The harbour authority said on Monday that ferry fares would rise by about 8% in April, the first increase "
        "since 2019, after fuel costs climbed for a third year.\n\n"
        "\"We were promised cheaper crossings,\" said Lena Brandt of the Riders' Union.\n\n"
        "Key changes:\n\n"
        "Single tickets rise from $4.50 to $4.90.\n"
        "Monthly passes rise to $120.\n\n"
        "ticket | now | April\n"
        "single | $4.50 | $4.90\n\n"
        "Fares for children stay the same."
    )
    sentences = [s.text for s in split_sentences(article.text)]
    assert "Single tickets rise from $4.50 to $4.90." in sentences
    assert not any(mark in article.text for mark in ("](", "**", "https://", "<b>", "> \""))


def test_nested_lists_code_and_breaks():
    source = "1. one\n2. two\n   - nested\n3. three\n\n```\nx = 1\n```\n\nLine one  \nline two\n\nA &amp; B \\*not emphasis\\*"
    assert plain_text(source) == "one\ntwo\nnested\nthree\n\nx = 1\n\nLine one\nline two\n\nA & B *not emphasis*"


def test_a_markdown_file_of_only_markup_is_refused_clearly(tmp_path):
    path = tmp_path / "picture.md"
    path.write_text("![a chart](chart.png)\n\n<!-- a draft: x > y -->\n\n<script>\nvar x = 1;\n</script>\n", encoding="utf-8")
    with pytest.raises(ArticleError, match=r"picture\.md: the file holds no text a reader would see"):
        load_article(path)


def test_a_text_file_keeps_its_markdown_like_characters(tmp_path):
    path = tmp_path / "plain.txt"
    text = "Prices rose **sharply**, see [1] and *notes*.\n"
    path.write_text(text, encoding="utf-8")
    assert load_article(path).text == text


def test_soft_breaks_join_a_wrapped_paragraph_but_keep_a_byline_on_its_own_line():
    source = ("Council to close the coal plant early\nBy Ana Ruiz\n\n"
              "The council voted on Tuesday to close the plant by\nDecember 2029, the mayor said.")
    assert plain_text(source) == ("Council to close the coal plant early\nBy Ana Ruiz\n\n"
                                  "The council voted on Tuesday to close the plant by December 2029, the mayor said.")
