"""Abuse limits on a served bot: the per-client token bucket, the per-article daily cap, and both held
by two worker processes that share one database (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from bot.chain import NewsBot
from bot.logbook import Logbook
from bot.settings import Settings
from tests.conftest import SEED_ID, LiveServer, free_port

pytestmark = pytest.mark.slow
QUESTION = "What did India say about the Alaska summit?"
BOT = Path(sys.executable).with_name("bot")


def _client(address: str) -> httpx.Client:
    """A client whose requests come from ``address`` (any 127.x.y.z is this machine's loopback)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=60)


def _served(seed_dir: Path, tmp_path: Path, **settings) -> LiveServer:
    data = tmp_path / "data"
    shutil.copytree(seed_dir, data)
    return LiveServer(NewsBot(Settings(data_dir=data, **settings)), free_port())


def test_one_client_over_the_rate_gets_429_and_another_is_unaffected(seed_dir, tmp_path):
    with _served(seed_dir, tmp_path, rate_limit=6, rate_burst=3) as server, _client("127.0.0.1") as a, _client("127.0.0.2") as b:
        ask = server.url + "/api/ask"
        first = [a.post(ask, json={"question": QUESTION}) for _ in range(3)]
        assert [r.status_code for r in first] == [200, 200, 200]
        assert all(isinstance(r.json()["id"], int) for r in first)  # each answer is in the question log

        over = a.post(ask, json={"question": QUESTION})
        assert over.status_code == 429
        assert 1 <= int(over.headers["Retry-After"]) <= 10  # 6 a minute: a token every 10 seconds
        error = over.json()["error"]
        assert error["type"] == "RateLimitedError" and "Try again in" in error["message"]
        chat = a.post(server.url + "/v1/chat/completions", json={"messages": [{"role": "user", "content": QUESTION}]})
        assert chat.status_code == 429 and chat.headers["Retry-After"]  # one bucket for every question route

        other = b.post(ask, json={"question": QUESTION})
        assert other.status_code == 200 and not other.json()["refused"]
        rows = Logbook(server.bot.settings).rows()
        assert len(rows) == 4 and len({row.client for row in rows}) == 2  # the 429s are not logged
        assert all("127.0.0" not in row.client for row in rows)  # addresses are stored hashed


def test_feedback_goes_to_the_answer_of_the_client_that_asked(seed_dir, tmp_path):
    with _served(seed_dir, tmp_path) as server, _client("127.0.0.1") as a, _client("127.0.0.2") as b:
        row = a.post(server.url + "/api/ask", json={"question": QUESTION}).json()["id"]
        stranger = b.post(server.url + "/api/feedback", json={"id": row, "liked": True})
        assert stranger.status_code == 404 and "/api/ask" in stranger.json()["error"]["message"]
        mine = a.post(server.url + "/api/feedback", json={"id": row, "liked": False, "comment": "  too long  "})
        assert mine.status_code == 200
        [logged] = Logbook(server.bot.settings).rows()
        assert logged.liked is False and logged.comment == "too long" and logged.channel == "api"
        assert a.post(server.url + "/api/feedback", json={"id": row + 99, "liked": True}).status_code == 404
        assert a.post(server.url + "/api/feedback", json={"id": "x", "liked": True}).status_code == 422


def test_bad_input_costs_no_token_and_no_count(seed_dir, tmp_path):
    with _served(seed_dir, tmp_path, rate_limit=1, rate_burst=1, article_daily_cap=1) as server, _client("127.0.0.1") as a:
        ask = server.url + "/api/ask"
        assert a.post(ask, json={"question": "   "}).status_code == 422
        assert a.post(ask, json={"question": QUESTION, "article": "x" * 5000}).status_code == 404
        chat = {"messages": [{"role": "user", "content": QUESTION}], "article": "no-such-article"}
        assert a.post(server.url + "/v1/chat/completions", json=chat).status_code == 404
        assert a.post(ask, json={"question": QUESTION, "article": SEED_ID}).status_code == 200  # the one token, the one count
        for bad in (2**63, 0, -1, 10**30):
            assert a.post(server.url + "/api/feedback", json={"id": bad, "liked": True}).status_code == 422


def test_ratings_have_a_bucket_of_their_own(seed_dir, tmp_path):
    with _served(seed_dir, tmp_path, rate_limit=1, rate_burst=1) as server, _client("127.0.0.1") as a:
        row = a.post(server.url + "/api/ask", json={"question": QUESTION}).json()["id"]

        def rate(i):
            return a.post(server.url + "/api/feedback", json={"id": i, "liked": True})

        # three ratings (3 × the burst of 1), even of ids that are not the client's: counting through ids costs
        assert [rate(i).status_code for i in (row, row + 1, row + 2)] == [200, 404, 404]
        over = rate(row)
        assert over.status_code == 429 and int(over.headers["Retry-After"]) >= 1
        assert "rating" in over.json()["error"]["message"]


def test_the_daily_cap_stops_one_article_not_the_others(seed_dir, tmp_path):
    with _served(seed_dir, tmp_path, article_daily_cap=2) as server, _client("127.0.0.1") as a:
        scoped = {"question": QUESTION, "article": SEED_ID}
        assert [a.post(server.url + "/api/ask", json=scoped).status_code for _ in range(2)] == [200, 200]
        over = a.post(server.url + "/api/ask", json=scoped)
        assert over.status_code == 429 and 1 <= int(over.headers["Retry-After"]) <= 86_400
        assert "tomorrow" in over.json()["error"]["message"]
        assert a.post(server.url + "/api/ask", json={"question": QUESTION}).status_code == 200  # all articles: its own scope


def test_the_chat_tells_the_reader_when_to_try_again(seed_dir, tmp_path, browser):
    with _served(seed_dir, tmp_path, rate_limit=1, rate_burst=1) as server:
        page = browser.new_page()
        page.goto(f"{server.url}/embed/?article={SEED_ID}")
        box = page.locator("#question textarea")
        for _ in range(2):
            box.wait_for(timeout=30_000)
            box.fill(QUESTION)
            page.locator("#ask").click()
            page.wait_for_function("document.querySelectorAll(\"#chat [data-testid='bot']\").length > 0", timeout=60_000)
        notice = page.locator("#chat [data-testid='bot']").filter(has_text="Try again in").first
        notice.wait_for(timeout=60_000)
        assert "⏳" in notice.inner_text()
        page.close()


def _serve(data: Path, database_url: str, port: int, log: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update(BOT_DATA_DIR=str(data), BOT_DATABASE_URL=database_url, BOT_RATE_LIMIT="1", BOT_RATE_BURST="4")
    return subprocess.Popen([str(BOT), "serve", "--port", str(port)], env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def test_two_workers_sharing_one_database_hold_one_limit(database_url, seed_dir, tmp_path):
    ports = [free_port(), free_port()]
    workers = []
    for i, port in enumerate(ports):
        data = tmp_path / f"worker{i}"
        shutil.copytree(seed_dir, data)
        workers.append(_serve(data, database_url, port, tmp_path / f"worker{i}.log"))
    try:
        deadline = time.monotonic() + 180
        for port, worker in zip(ports, workers):
            while True:
                assert worker.poll() is None, (tmp_path / f"worker{workers.index(worker)}.log").read_text()
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "a worker did not start"
                time.sleep(0.3)

        with _client("127.0.0.1") as a, _client("127.0.0.2") as b:
            urls = [f"http://127.0.0.1:{ports[i % 2]}/api/ask" for i in range(12)]
            with ThreadPoolExecutor(12) as pool:  # twelve at once, alternating between the workers
                replies = list(pool.map(lambda url: a.post(url, json={"question": QUESTION}), urls))
            codes = sorted(r.status_code for r in replies)
            assert codes == [200] * 4 + [429] * 8, codes  # the burst of 4, not 4 per worker
            assert all(int(r.headers["Retry-After"]) >= 1 for r in replies if r.status_code == 429)
            assert [b.post(f"http://127.0.0.1:{port}/api/ask", json={"question": QUESTION}).status_code for port in ports] == [200, 200]

        book = Logbook(Settings(data_dir=tmp_path / "reader", database_url=database_url))
        try:
            rows = book.rows()
        finally:
            book.close()
        assert len(rows) == 6 and {row.channel for row in rows} == {"api"}
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
