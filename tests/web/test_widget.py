"""``/widget.js``: matching a page to an article (unit), and the widget on pages of other origins (Chromium)."""

from __future__ import annotations

import json
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from bot.chain import NewsBot
from bot.settings import Settings
from bot.web.widget import match_article, normalise_url
from tests.conftest import OTHER_ARTICLE, SEED_ID, SEED_TEXT, LiveServer, free_port

ALASKA = "What did India say about the Alaska summit?"
STORY = "https://example-news.test/world/story"
SEED_TITLE = "Rijiju meets Kalmykia's leader as India welcomes the Alaska summit"
SEED_QUESTIONS = ["Who did Kiren Rijiju meet in New Delhi?", "How long did the Alaska summit last?"]
TRAM_TITLE = "City council approves new tram line"
TRAM_QUESTION = "When does construction of the tram line start?"
#: a data-title that would be markup, and a link to where nothing listens, if it were not shown as text
HOST_TITLE = "Our <b>tram</b> [story](http://127.0.0.1:9/)"


# -- matching (unit) --------------------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://example-news.test/world/story", "example-news.test/world/story"),
        ("http://www.Example-News.TEST/world/story/?utm_source=x#comments", "example-news.test/world/story"),
        ("https://example-news.test:443/world/story//", "example-news.test/world/story"),
        ("http://example-news.test:80/world/story", "example-news.test/world/story"),
        ("https://example-news.test:8443/world/story", "example-news.test:8443/world/story"),
        ("https://example-news.test/World/Story", "example-news.test/World/Story"),  # the path keeps its case
        ("https://user:pw@example-news.test/a", "example-news.test/a"),
        ("https://example-news.test", "example-news.test"),
        ("https://example-news.test/caf%c3%a9", "example-news.test/caf%C3%A9"),
        ("https://example-news.test/café", "example-news.test/caf%C3%A9"),
        ("https://bücher.test/a", "xn--bcher-kva.test/a"),
        ("  https://example-news.test/a  ", "example-news.test/a"),
    ],
)
def test_normalise_url(url, expected):
    assert normalise_url(url) == expected


@pytest.mark.unit
@pytest.mark.parametrize(
    "url",
    ["", "story", "/world/story", "javascript:alert(1)", "ftp://example-news.test/a", "mailto:a@b.test",
     "http://", "https://example-news.test:99999/a", "https://example-news.test:port/a", "http://[::1"],
)
def test_normalise_url_refuses_what_is_no_web_page(url):
    assert normalise_url(url) is None


@pytest.mark.unit
def test_normalise_url_takes_no_non_string():
    assert normalise_url(None) is None  # type: ignore[arg-type]


@pytest.mark.unit
def test_match_article():
    rows = [
        {"id": "a", "title": "A", "url": None},
        {"id": "b", "title": "B"},
        {"id": "c", "title": "C", "url": "https://www.example-news.test/world/story/"},
        {"id": "d", "title": "D", "url": "https://example-news.test/world/story"},
    ]
    assert match_article("http://example-news.test/world/story?page=2#top", rows)["id"] == "c"  # the first match
    assert match_article("https://example-news.test/world/other", rows) is None
    assert match_article("https://example-news.test/World/Story", rows) is None
    assert match_article("not a url", rows) is None
    assert match_article(STORY, []) is None


# -- the widget in Chromium (slow) ------------------------------------------------------------


class Pages:
    """Static host pages served from a loopback port, as a newsroom's site would be."""

    def __init__(self, folder, port: int) -> None:
        self.folder, self.url = folder, f"http://127.0.0.1:{port}"
        self.server = ThreadingHTTPServer(("127.0.0.1", port), partial(SimpleHTTPRequestHandler, directory=str(folder)))
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def add(self, name: str, html: str) -> str:
        (self.folder / name).write_text(f"<!doctype html><html><head>{html}</head><body></body></html>", encoding="utf-8")
        return f"{self.url}/{name}"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A bot over two articles with stored urls, framable by one page origin; the allowed and a foreign page server."""
    folder = tmp_path_factory.mktemp("widget-articles")
    (folder / f"{SEED_ID}.txt").write_text(SEED_TEXT, encoding="utf-8")
    (folder / f"{SEED_ID}.json").write_text(
        json.dumps({"id": SEED_ID, "title": SEED_TITLE, "url": STORY, "questions": SEED_QUESTIONS}), encoding="utf-8"
    )
    (folder / "tram-line.txt").write_text(OTHER_ARTICLE, encoding="utf-8")
    (folder / "tram-line.json").write_text(json.dumps({"url": "https://example-news.test/city/tram", "questions": [TRAM_QUESTION]}),
                                           encoding="utf-8")
    allowed, foreign = free_port(), free_port()
    bot = NewsBot(Settings(data_dir=tmp_path_factory.mktemp("widget") / "data", embed_origins=[f"http://127.0.0.1:{allowed}"]))
    for name in (f"{SEED_ID}.txt", "tram-line.txt"):
        bot.ingest_file(folder / name)
    pages, other = Pages(tmp_path_factory.mktemp("site"), allowed), Pages(tmp_path_factory.mktemp("foreign"), foreign)
    with LiveServer(bot, free_port()) as server:
        server.pages, server.foreign = pages, other
        yield server
    pages.server.shutdown()
    other.server.shutdown()


def _host_page(served, pages: Pages, name: str, canonical: str) -> str:
    return pages.add(name, f'<link rel="canonical" href="{canonical}"><script src="{served.url}/widget.js"></script>')


@pytest.mark.slow
def test_widget_js_is_served_as_a_cacheable_cross_origin_script(served):
    for method in ("GET", "HEAD"):
        response = httpx.request(method, served.url + "/widget.js")
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/javascript; charset=utf-8"
        assert response.headers["cache-control"] == "public, max-age=300"
        assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    body = httpx.get(served.url + "/widget.js").text
    assert "document.currentScript" in body and len(body.encode()) < 8_000


@pytest.mark.slow
def test_embed_with_and_without_the_slash_reaches_the_chat(served, browser):
    page = browser.new_page()
    for path in ("/embed", "/embed/"):
        page.goto(f"{served.url}{path}?article={SEED_ID}")
        page.locator("#question textarea").wait_for(timeout=30_000)
        assert page.url.startswith(f"{served.url}/embed/?article=")
        page.locator("#article-title").get_by_text(SEED_TITLE).wait_for()
    page.close()


@pytest.mark.slow
def test_bubble_opens_a_chat_scoped_to_the_page_s_article(served, browser):
    url = _host_page(served, served.pages, "story.html", "https://www.example-news.test/world/story/?utm_source=x")
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(url)
    bubble = page.locator("newsbot-widget button.bubble")
    assert page.locator("newsbot-widget iframe").count() == 0  # nothing loads from the bot until it opens
    bubble.click()
    assert bubble.get_attribute("aria-expanded") == "true"
    assert page.locator("newsbot-widget .title").inner_text() == "Ask about this article"
    src = page.locator("newsbot-widget iframe").get_attribute("src")
    assert src.startswith(f"{served.url}/embed/?url=") and "utm_source" not in src
    frame = page.frame_locator("newsbot-widget iframe")
    frame.locator("#article-title").get_by_text(SEED_TITLE).wait_for(timeout=30_000)
    frame.locator("#chat").get_by_text(SEED_QUESTIONS[0]).wait_for()  # the article's own suggestions only
    assert frame.locator("#chat").get_by_text(TRAM_QUESTION).count() == 0
    assert not frame.get_by_label("Article").is_visible()

    frame.locator("#question textarea").fill(ALASKA)
    frame.locator("#ask").click()
    frame.locator("[data-testid='bot']").filter(has_text="welcomed").first.wait_for(timeout=60_000)
    sources = frame.locator("#chat").get_by_text("Sources (").first
    sources.wait_for(timeout=30_000)
    sources.click()
    frame.locator("#chat").get_by_text(SEED_TITLE).first.wait_for()
    assert frame.locator("#chat").get_by_text(TRAM_TITLE).count() == 0  # scoped: the other article is never cited
    page.screenshot(path=str(Path(__file__).resolve().parents[2] / "docs" / "widget.png"))  # docs/widget.md's picture

    frame.locator("#question textarea").press("Escape")  # in the frame: the embed tells the widget
    page.locator("newsbot-widget .panel").wait_for(state="hidden")
    assert bubble.get_attribute("aria-expanded") == "false"
    page.close()


@pytest.mark.slow
def test_a_page_matching_no_article_gets_all_articles_and_is_told(served, browser):
    url = _host_page(served, served.pages, "unknown.html", "https://example-news.test/sport/nothing-here")
    page = browser.new_page()
    page.goto(url)
    page.locator("newsbot-widget button.bubble").click()
    frame = page.frame_locator("newsbot-widget iframe")
    frame.get_by_text("No article matches this page; answering from all articles.").wait_for(timeout=30_000)
    frame.locator("#question textarea").wait_for()
    page.keyboard.press("Escape")
    page.locator("newsbot-widget .panel").wait_for(state="hidden")
    page.close()


@pytest.mark.slow
def test_data_attributes_and_a_second_tag(served, browser):
    tag = (f'<script src="{served.url}/widget.js" data-article="tram-line" data-title="{HOST_TITLE}" '
           'data-accent="rgb(10, 120, 80)" data-position="bottom-left" data-open="true"></script>')
    style = "<style>button { background: red !important; width: 1px !important; }</style>"
    url = served.pages.add("tram.html", f'<meta name="viewport" content="width=device-width">{style}{tag}{tag}')
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    page.goto(url)
    panel = page.locator("newsbot-widget .panel")
    panel.wait_for(state="visible")  # data-open
    assert page.locator("newsbot-widget").count() == 1  # two tags, one widget
    assert page.locator("newsbot-widget .title").inner_text() == HOST_TITLE  # text, never markup
    bubble = page.locator("newsbot-widget button.bubble")
    box = bubble.bounding_box()
    assert box["x"] < 100 and box["width"] == 56  # bottom-left, and the page's button rule cannot reach it
    assert bubble.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(10, 120, 80)"
    frame_el = page.locator("newsbot-widget iframe")
    assert frame_el.get_attribute("title") == HOST_TITLE and frame_el.get_attribute("allow") == "clipboard-write"
    assert "?article=tram-line&title=" in frame_el.get_attribute("src")
    frame = page.frame_locator("newsbot-widget iframe")
    heading = frame.locator("#article-title")
    heading.get_by_text(HOST_TITLE).wait_for(timeout=30_000)
    assert heading.locator("a, b").count() == 0
    frame.locator("#chat").get_by_text(TRAM_QUESTION).wait_for()
    assert frame.locator("#chat").get_by_text(SEED_QUESTIONS[0]).count() == 0
    page.close()

    phone = browser.new_page(viewport={"width": 380, "height": 700}, is_mobile=True)
    phone.goto(url)
    box = phone.locator("newsbot-widget .panel").bounding_box()
    assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 380, 700)  # full screen
    phone.close()


@pytest.mark.slow
def test_an_origin_not_allowed_cannot_frame_the_chat(served, browser):
    url = _host_page(served, served.foreign, "story.html", STORY)
    page = browser.new_page()
    page.goto(url)
    page.locator("newsbot-widget button.bubble").click()  # the widget itself still draws
    page.locator("newsbot-widget iframe").wait_for(state="attached")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # Chromium replaces a refused frame by its error page
        frames = page.main_frame.child_frames
        if frames and frames[0].url.startswith("chrome-error://"):
            break
        page.wait_for_timeout(100)
    assert frames and frames[0].url.startswith("chrome-error://")
    page.wait_for_timeout(500)
    assert page.frame_locator("newsbot-widget iframe").locator("#question").count() == 0
    page.close()
