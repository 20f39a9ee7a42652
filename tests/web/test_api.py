"""The HTTP API against a running server, with httpx."""

import json
import threading

import httpx
import pytest
from typer.testing import CliRunner

from bot.chain import NewsBot
from bot.citations import citation_problems
from bot.cli import app as cli
from bot.settings import Settings
from tests.conftest import SEED_ID, SEED_TEXT, LiveServer, free_port

pytestmark = pytest.mark.slow
ALASKA = "What did India say about the Alaska summit?"


def check_answer(obj, article_texts):
    assert not citation_problems(obj, article_texts)


def test_health_articles_and_ask(live):
    with httpx.Client(base_url=live.url, timeout=60) as client:
        assert client.get("/healthz").json() == {"status": "ok", "articles": 2}
        listed = client.get("/api/articles").json()
        cli_listed = CliRunner().invoke(cli, ["--data-dir", str(live.bot.settings.data_dir), "articles", "--json"])
        assert listed == json.loads(cli_listed.output)
        assert {a["id"] for a in listed} == {SEED_ID, "tram-line"}

        answer = client.post("/api/ask", json={"question": ALASKA, "history": [], "article": None}).json()
        assert set(answer) == {"id", "question", "answer", "refused", "citations", "related", "guard", "fallback"}
        assert not answer["refused"] and "welcomed" in answer["answer"]
        assert answer["guard"] is None and answer["fallback"] is None  # the extractive answerer: no LLM to guard
        check_answer(answer, {SEED_ID: SEED_TEXT})
        assert all(c["article_id"] == SEED_ID for c in answer["citations"])

        follow = client.post("/api/ask", json={"question": "Whom did he meet in India?", "history": ["Who is Batu Khasikov?"]}).json()
        assert "Rijiju" in follow["answer"]
        scoped = client.post("/api/ask", json={"question": ALASKA, "article": "tram-line"}).json()
        assert all(c["article_id"] == "tram-line" for c in scoped["citations"])


@pytest.mark.parametrize(
    "body, status, words",
    [
        ({"question": ""}, 422, "empty"),
        ({"question": "   "}, 422, "empty"),
        ({"question": "why " * 400}, 422, "limit"),
        ({}, 422, "question"),
        ({"question": 42}, 422, "question"),
        ({"question": "Who?", "history": "not a list"}, 422, "history"),
        ({"question": "Who?", "surprise": 1}, 422, "surprise"),
        ({"question": "Who?", "article": "no-such-article"}, 404, "no-such-article"),
        ("{not json", 422, "JSON"),
        ("[1, 2]", 422, "body"),
    ],
)
def test_bad_requests_get_named_4xx_errors(live, body, status, words):
    with httpx.Client(base_url=live.url, timeout=30) as client:
        if isinstance(body, str):
            response = client.post("/api/ask", content=body, headers={"content-type": "application/json"})
        else:
            response = client.post("/api/ask", json=body)
        assert response.status_code == status
        assert words.lower() in response.json()["error"]["message"].lower()
        assert client.get("/healthz").status_code == 200


def test_openapi_docs_describe_the_routes(live):
    with httpx.Client(base_url=live.url) as client:
        assert client.get("/docs").status_code == 200
        spec = client.get("/openapi.json").json()
    for path in ["/api/ask", "/api/articles", "/healthz", "/v1/chat/completions", "/v1/models"]:
        assert path in spec["paths"]
    assert "question" in spec["components"]["schemas"]["AskRequest"]["properties"]


def test_framing_policy_lists_only_allowed_origins(live):
    with httpx.Client(base_url=live.url) as client:
        for path in ["/", "/embed/", "/api/articles"]:
            csp = client.get(path, follow_redirects=True).headers["content-security-policy"]
            assert csp == f"frame-ancestors 'self' http://127.0.0.1:{live.page_port}"


def test_eight_concurrent_clients_all_get_correct_answers(live):
    questions = [
        (ALASKA, "welcomed"),
        ("Whom did Putin meet in Alaska?", "Trump"),
        ("Which Russian federal subject does Batu Khasikov lead?", "Kalmykia"),
        ("What bond did Rijiju underline?", "strategic bond"),
    ] * 2
    results: dict[int, dict] = {}

    def worker(i: int) -> None:
        with httpx.Client(base_url=live.url, timeout=120) as client:
            results[i] = client.post("/api/ask", json={"question": questions[i][0]}).json()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8
    for i, (_, expected) in enumerate(questions):
        assert expected in results[i]["answer"], results[i]


def test_api_token_guards_api_but_not_pages(seed_bot):
    bot = NewsBot(Settings(data_dir=seed_bot.settings.data_dir, api_token="s3cret"))
    with LiveServer(bot, free_port()) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        assert client.get("/api/articles").status_code == 401
        assert "token" in client.get("/v1/models").json()["error"]["message"]
        assert client.post("/api/ask", json={"question": ALASKA}, headers={"Authorization": "Bearer wrong"}).status_code == 401
        ok = client.post("/api/ask", json={"question": ALASKA}, headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200 and "welcomed" in ok.json()["answer"]
        assert client.get("/").status_code == 200 and client.get("/healthz").status_code == 200
