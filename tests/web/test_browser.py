"""The chat in a real headless Chromium (Debian's package) driven by Playwright."""

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.logbook import Logbook

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

    log = Logbook(live.bot.settings)
    [asked] = [row for row in log.rows() if row.question == ALASKA and row.channel == "chat" and row.liked is None][-1:]
    assert "welcomed" in asked.answer and not asked.refused and asked.cited_article == SEED_ID
    page.locator("#chat button[aria-label='Like']").last.click()
    for _ in range(50):
        if any(r.id == asked.id and r.liked for r in log.rows()):
            break
        page.wait_for_timeout(100)
    assert next(r for r in log.rows() if r.id == asked.id).liked is True

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


def test_a_dislike_takes_a_comment_and_the_conversation_exports_as_markdown(live, browser):
    page = browser.new_page(viewport={"width": 1000, "height": 1200})
    page.goto(f"{live.url}/embed/?article={SEED_ID}")
    page.locator("#question textarea").fill(ALASKA)
    page.locator("#ask").click()
    _bot_messages(page).filter(has_text="welcomed").first.wait_for(timeout=60_000)
    page.wait_for_function("document.querySelector('#chat').innerText.includes('Sources (')", timeout=60_000)

    page.locator("#chat button[aria-label='Dislike']").last.click()
    comment = page.locator("#comment textarea")
    comment.wait_for(state="visible", timeout=10_000)
    note = "It should say who spoke for India."
    comment.fill(note)
    page.locator("#comment-send").click()
    comment.wait_for(state="hidden", timeout=10_000)
    log = Logbook(live.bot.settings)
    for _ in range(50):
        if any(r.comment == note for r in log.rows()):
            break
        page.wait_for_timeout(100)
    [row] = [r for r in log.rows() if r.comment == note]
    assert row.liked is False and row.question == ALASKA and row.channel == "embed" and row.article == SEED_ID

    page.locator("#export").get_by_text("Export the conversation").click()
    page.wait_for_function("document.querySelector('#export-md') && document.querySelector('#export-md').innerText.includes('## Sources')",
                           timeout=10_000)
    markdown = page.locator("#export-md").inner_text()
    assert f"**Q:** {ALASKA}" in markdown and "[1]" in markdown and "welcomed" in markdown
    assert "Rijiju meets Kalmykia" in markdown  # the article's title, as the heading and on its source
    page.close()


def test_an_article_without_metadata_suggests_questions_a_reader_can_click(browser, tmp_path):
    from bot.chain import NewsBot
    from bot.settings import Settings
    from tests.bot.test_suggest import STORY, STORY_ID
    from tests.conftest import LiveServer, free_port

    article = tmp_path / f"{STORY_ID}.txt"  # no sidecar: no title, no questions of its own
    article.write_text(STORY, encoding="utf-8")
    bot = NewsBot(Settings(data_dir=tmp_path / "data"))
    bot.ingest_file(article)
    with LiveServer(bot, free_port()) as server:
        import httpx

        [listed] = httpx.get(server.url + "/api/articles", timeout=60).json()
        suggested = listed["suggested"]
        assert len(suggested) >= 3 and "questions" not in listed
        page = browser.new_page(viewport={"width": 900, "height": 1000})
        page.goto(f"{server.url}/embed/?article={STORY_ID}")
        chip = page.locator("#chat").get_by_text(suggested[0], exact=True).first
        chip.wait_for(timeout=30_000)
        for question in suggested[1:]:
            assert page.locator("#chat").get_by_text(question, exact=True).count() == 1
        chip.click()
        page.wait_for_function("document.querySelector('#chat').innerText.includes('Sources (')", timeout=60_000)
        answer = _bot_messages(page).first.inner_text()
        assert "[1]" in answer and "🤷" not in answer
        page.close()
