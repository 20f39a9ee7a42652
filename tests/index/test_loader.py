import json

import pytest

from index.errors import ArticleError
from index.loader import json_object, load_article

pytestmark = pytest.mark.unit


def test_crlf_is_normalised_and_nothing_else(tmp_path):
    path = tmp_path / "story.txt"
    path.write_bytes("Title line\r\n\r\n  Body “quoted”  text.\r\nEnd\t\n".encode())
    article = load_article(path)
    assert article.text == "Title line\n\n  Body “quoted”  text.\nEnd\t\n"
    assert article.id == "story"
    assert article.title == "Title line"


def test_markdown_heading_becomes_title_and_options_win(tmp_path):
    path = tmp_path / "note.md"
    path.write_text("# Big news\n\nSomething happened.", encoding="utf-8")
    assert load_article(path).title == "Big news"
    custom = load_article(path, article_id="custom-1", title="Mine")
    assert (custom.id, custom.title) == ("custom-1", "Mine")


def test_sidecar_metadata_is_used(tmp_path):
    (tmp_path / "a.txt").write_text("First sentence here. Second one.", encoding="utf-8")
    (tmp_path / "a.json").write_text('{"id": "x", "title": "Sidecar title", "source": "ANI"}', encoding="utf-8")
    article = load_article(tmp_path / "a.txt")
    assert (article.id, article.title, article.meta["source"]) == ("x", "Sidecar title", "ANI")


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("missing.txt", None, "no such file"),
        ("latin1.txt", "café".encode("latin-1"), "not valid UTF-8"),
        ("binary.txt", bytes(range(256)) * 4, "binary"),
        ("empty.txt", b"  \n\n", "empty"),
        ("bom.txt", b"\xef\xbb\xbf", "the file is empty"),
        ("zero-width.txt", "\u200b \u200b\n".encode(), "the file is empty"),
        ("front-matter-only.md", b"---\ntitle: Budget\n---\n\n", "the file is empty"),
        ("doc.pdf", b"%PDF-1.4", "unsupported file type"),
        ("utf16.txt", "Council votes on the tram line.".encode("utf-16"), "UTF-16"),
        ("utf16be.txt", "Council votes on the tram line.".encode("utf-16-be"), "UTF-16"),
    ],
)
def test_bad_files_get_clear_errors(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ArticleError, match=message):
        load_article(path)


def test_bad_id_is_rejected(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("Text.", encoding="utf-8")
    with pytest.raises(ArticleError, match="invalid article id"):
        load_article(path, article_id="../etc/passwd")


@pytest.mark.parametrize(
    "options, message",
    [
        ({"article_id": "zz\n"}, "invalid article id 'zz\\\\n'"),
        ({"article_id": ""}, "--id is empty"),
        ({"title": "  "}, "--title is empty"),
    ],
)
def test_explicit_id_and_title_are_checked_whole(tmp_path, options, message):
    path = tmp_path / "a.txt"
    path.write_text("Text.", encoding="utf-8")
    with pytest.raises(ArticleError, match=message):
        load_article(path, **options)


def test_size_limit_is_checked_before_reading(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("A sentence about the council. " * 1000, encoding="utf-8")
    with pytest.raises(ArticleError, match="30,000 bytes is more than the 10,000 allowed.*BOT_MAX_ARTICLE_BYTES"):
        load_article(path, max_bytes=10_000)
    assert load_article(path, max_bytes=30_000).text.startswith("A sentence")


def test_titles_lose_control_characters(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("Red \x1b[31malert\x1b[0m\tnow\n\n" + "The body of the article. " * 20, encoding="utf-8")
    assert load_article(path).title == "Red [31malert [0m now"
    assert load_article(path, title="A\x07\nB").title == "A B"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<b>x</b>", "file:///etc/passwd",
                                 "ftp://news.example/a", "https://", "//news.example/a", "https://news.example/a>[x](javascript:alert(1))",
                                 "https://news.example/a b", 5])
def test_a_sidecar_url_must_be_a_web_address(tmp_path, url):
    (tmp_path / "a.txt").write_text("First sentence here. Second one.", encoding="utf-8")
    (tmp_path / "a.json").write_text(json.dumps({"url": url}), encoding="utf-8")
    with pytest.raises(ArticleError, match=r'a\.json: "url" .* is not a web address; give an http:// or https:// URL'):
        load_article(tmp_path / "a.txt")


def test_a_sidecar_web_url_is_kept(tmp_path):
    (tmp_path / "a.txt").write_text("First sentence here. Second one.", encoding="utf-8")
    (tmp_path / "a.json").write_text('{"url": "HTTPS://news.example/2026/a?x=1#top"}', encoding="utf-8")
    assert load_article(tmp_path / "a.txt").meta["url"] == "HTTPS://news.example/2026/a?x=1#top"


DEEP = '{"x": ' + "[" * 100_000 + "]" * 100_000 + "}"


def test_json_nested_too_deep_is_an_error_not_a_crash(tmp_path):
    with pytest.raises(ValueError, match="not valid JSON: nested too deep"):
        json_object(DEEP, "an object")  # as `bot ask --batch` reads each line
    (tmp_path / "a.txt").write_text("First sentence here. Second one.", encoding="utf-8")
    (tmp_path / "a.json").write_text(DEEP, encoding="utf-8")
    with pytest.raises(ArticleError, match=r"a\.json: metadata is not valid JSON \(nested too deep"):
        load_article(tmp_path / "a.txt")


def test_a_pipe_is_refused_not_waited_on(fed_pipe):
    with pytest.raises(ArticleError, match=r"fifo\.txt: not a regular file"):
        load_article(fed_pipe("fifo.txt", "Text from a pipe."))


def test_markdown_front_matter_gives_metadata_and_is_not_text(tmp_path):
    path = tmp_path / "budget.md"
    path.write_text("---\ntitle: City council approves budget\nurl: https://news.example/budget\npublished: 2026-03-01\n"
                    "layout: post\n---\n\nThe council approved the budget on Monday.\n", encoding="utf-8")
    article = load_article(path)
    assert article.title == "City council approves budget"
    assert article.text == "The council approved the budget on Monday."  # the rendered text (index.markdown)
    assert article.meta == {"url": "https://news.example/budget", "published": "2026-03-01", "source_file": "budget.md"}
    (tmp_path / "budget.json").write_text('{"title": "Sidecar title"}', encoding="utf-8")
    assert load_article(path).title == "Sidecar title"


def test_front_matter_is_read_from_markdown_only_and_checked(tmp_path):
    text = "---\ntitle: Budget\n---\nThe council met.\n"
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    assert load_article(tmp_path / "a.txt").text == text
    (tmp_path / "b.md").write_text("---\nurl: javascript:alert(1)\n---\nThe council met.\n", encoding="utf-8")
    with pytest.raises(ArticleError, match=r'b\.md \(front matter\): "url" .* is not a web address'):
        load_article(tmp_path / "b.md")


def test_invisible_titles_fall_back(tmp_path):
    (tmp_path / "a.txt").write_text("Body of the story, long enough to be no title at all, since it ends.", encoding="utf-8")
    (tmp_path / "a.json").write_text('{"title": "\\u200b"}', encoding="utf-8")
    assert load_article(tmp_path / "a.txt").title == "A"
    with pytest.raises(ArticleError, match="--title is empty"):
        load_article(tmp_path / "a.txt", title="\u200b")


def test_a_bad_id_names_where_it_came_from(tmp_path):
    (tmp_path / "a b.txt").write_text("Text.", encoding="utf-8")
    with pytest.raises(ArticleError, match=r"a b\.txt: invalid article id 'a b'"):
        load_article(tmp_path / "a b.txt")
    (tmp_path / "a b.json").write_text('{"id": "x/y"}', encoding="utf-8")
    with pytest.raises(ArticleError, match=r"a b\.json: invalid article id 'x/y'"):
        load_article(tmp_path / "a b.txt")
