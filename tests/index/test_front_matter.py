"""Markdown front matter: the ``key: value`` block before the text."""

import pytest

from index.front_matter import split_front_matter

pytestmark = pytest.mark.unit


def test_fields_are_read_and_the_block_taken_off():
    text = '---\ntitle: City council approves budget\nurl: "https://x.example/a"\nauthor: \'Ana\'\n---\n\nThe council met.\n'
    assert split_front_matter(text) == (
        {"title": "City council approves budget", "url": "https://x.example/a", "author": "Ana"}, "The council met.\n")


def test_lists_comments_and_nested_lines_are_skipped():
    text = "\ufeff---\n# a comment\nTitle: Budget\ntags:\n  - city\n- money\ndescription: >\n  folded\n...\nBody.\n"
    assert split_front_matter(text) == ({"title": "Budget"}, "Body.\n")


@pytest.mark.parametrize(
    "text",
    [
        "The council met.\n---\ntitle: x\n---\n",  # not at the start
        "---\ntitle: Budget\nThe council met.\n",  # never closed
        "---\nThe council met on Tuesday.\n---\nMore.\n",  # a line that is not key: value
        "---\n\n---\nBody.\n",  # two rules, no field
        "--- \ntitle: x",  # ends inside the block
    ],
)
def test_text_without_front_matter_is_left_as_it_is(text):
    assert split_front_matter(text) == ({}, text)
