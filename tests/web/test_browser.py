"""The chat in a real headless Chromium (Debian's package) driven by Playwright."""

import json
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import SEED_ID

pytestmark = pytest.mark.slow
ALASKA = "What did India say about the Alaska summit?"
DOCS = Path(__file__).resolve().parents[2] / "docs"


def _bot_messages(page):
    return page.locator("#chat [data-testid='bot']")


def test_chat_page_answers_with_sources_and_feedback(live, browser):
    page = browser.new_page(viewport={"width": 1000, "height": 1050})
    page.goto(live.url + "/")
    page.get_by_text("Answers only from the article").wait_for()
    page.get_by_label("Article").wait_for(state="visible", timeout=30_000)  # two articles: the picker shows

    page.locator("#chat").get_by_text(ALASKA).first.click()
    answer = _bot_messages(page).filter(has_text="welcomed").first
    answer.wait_for(timeout=60_000)
    page.wait_for_function("document.querySelector('#chat').innerText.includes('Sources (')", timeout=60_000)
    assert "[1]" in answer.inner_text()

    page.locator("#chat").get_by_text("Sources (").first.click()
    mark = page.locator("#chat mark").first
    mark.wait_for(state="visible")
    assert mark.inner_text().strip() in (live.bot.store.article_text(SEED_ID))
    assert any("welcomed" in m.inner_text() for m in page.locator("#chat mark").all())
    page.screenshot(path=str(DOCS / "screenshot.png"))  # a full-page shot re-renders and closes the Sources

    feedback = live.bot.settings.feedback_path
    before = feedback.read_text().count("\n") if feedback.exists() else 0
    page.locator("#chat button[aria-label='Like']").last.click()
    page.wait_for_function("true", timeout=1000)
    for _ in range(50):
        if feedback.exists() and feedback.read_text().count("\n") > before:
            break
        page.wait_for_timeout(100)
    record = json.loads(feedback.read_text().splitlines()[-1])
    assert record["liked"] is True and record["question"] == ALASKA
    assert "welcomed" in record["answer"] and record["citations"] and record["citations"][0]["text"]

    page.locator("#question textarea").fill("What is the weather like in New Delhi today?")
    page.locator("#ask").click()
    refusal = _bot_messages(page).filter(has_text="doesn't say").first
    refusal.wait_for(timeout=60_000)
    assert "🤷" in refusal.inner_text() and refusal.locator("em").count() == 1
    closest = page.locator("#chat").get_by_text("Closest passage").first
    closest.wait_for(timeout=60_000)
    closest.click()  # collapsed until the reader opens it
    page.locator("#chat mark").last.wait_for(state="visible")

    page.locator("#clear").click()
    page.wait_for_function("document.querySelectorAll(\"#chat [data-testid='bot']\").length === 0")
    page.close()


def test_phone_width_layout_fits(live, browser):
    page = browser.new_page(viewport={"width": 380, "height": 800}, is_mobile=True)
    page.goto(live.url + "/")
    page.locator("#question textarea").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 380
    assert page.locator("#ask").is_visible() and page.locator("#question textarea").is_visible()
    page.close()


def test_embed_inside_an_iframe_of_another_origin(live, browser, tmp_path):
    (tmp_path / "index.html").write_text(
        f'<!doctype html><title>Newsroom</title><h1>Our story</h1>'
        f'<iframe id="bot" src="{live.url}/embed/?article={SEED_ID}" width="420" height="640"></iframe>',
        encoding="utf-8",
    )
    server = ThreadingHTTPServer(("127.0.0.1", live.page_port), partial(SimpleHTTPRequestHandler, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{live.page_port}/index.html")
        frame = page.frame_locator("#bot")
        frame.locator("#question textarea").wait_for(timeout=30_000)
        assert frame.get_by_text("📰 Ask the article").count() == 0  # no page chrome
        assert not frame.get_by_label("Article").is_visible()  # scoped by ?article=
        frame.locator("#question textarea").fill(ALASKA)
        frame.locator("#ask").click()
        frame.locator("[data-testid='bot']").filter(has_text="welcomed").first.wait_for(timeout=60_000)
        page.close()
    finally:
        server.shutdown()
