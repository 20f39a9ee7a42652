"""The HTTP API's contract, in process: FastAPI's ``TestClient`` on ``create_api`` over a bot built from the
fakes (``tests/fakes.py``): no model, no Chroma, no server. Every error is ``{"error": {"message", "type"}}``
with its 4xx status. test_api.py, test_security.py and test_openai.py check the same routes served by uvicorn
with the real model; this file is what ``pytest -m unit`` runs of them (tests/conftest.py fails a unit test
that loads a model or opens a store)."""

from __future__ import annotations

import json
import os

import pytest
from fastapi.testclient import TestClient

from bot.chain import NewsBot
from bot.service import QuestionService
from bot.settings import Settings
from bot.web.api import create_api
from index.loader import Article
from tests.bot.extractive.conftest import STORY
from tests.fakes import FakeStore, FakeTokenEmbeddings

pytestmark = pytest.mark.unit

TOKEN = "s3cret-token"
BAD_TOKEN = "missing or wrong API token"
TRAM = Article("tram", "Council approves harbour tram line", STORY)
COST = "How much will the tram line cost?"


def _bot(data_dir, article: Article | None = TRAM, **settings) -> NewsBot:
    """A bot over the fakes, with ``article`` stored; the reader is off (it is a model)."""
    with pytest.MonkeyPatch.context() as env:  # module-scoped: the per-test clean environment is not set up yet
        for key in [k for k in os.environ if k.startswith("BOT_")]:
            env.delenv(key)
        fake = FakeTokenEmbeddings()
        bot = NewsBot(Settings(data_dir=data_dir, reader="off", rate_limit=0, **settings), embeddings=fake, store=FakeStore(fake))
    if article is not None:
        bot.ingest(article)
    return bot


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> TestClient:
    return _client(_bot(tmp_path_factory.mktemp("api") / "data"))


@pytest.fixture(scope="module")
def guarded(tmp_path_factory) -> TestClient:
    """The API with ``BOT_API_TOKEN`` set."""
    return _client(_bot(tmp_path_factory.mktemp("guarded") / "data", api_token=TOKEN))


@pytest.fixture(scope="module")
def empty(tmp_path_factory) -> TestClient:
    """The API over a store with no articles."""
    return _client(_bot(tmp_path_factory.mktemp("empty") / "data", article=None))


def _client(bot: NewsBot) -> TestClient:
    return TestClient(create_api(QuestionService(bot)))


def _error(response, status: int, kind: str | None = None) -> str:
    """The message of a JSON error with ``status`` (and ``kind`` as its type, when given)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if kind is not None:
        assert body["error"]["type"] == kind, body
    return body["error"]["message"]


# -- authentication ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path, body",
    [("GET", "/api/articles", None), ("POST", "/api/ask", {"question": COST}), ("POST", "/api/feedback", {"id": 1, "liked": True}),
     ("GET", "/v1/models", None), ("POST", "/v1/chat/completions", {"messages": [{"role": "user", "content": COST}]})],
)
def test_with_a_token_set_every_api_route_needs_it(guarded, method, path, body):
    for headers in [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}, {"Authorization": f"Basic {TOKEN}"}]:
        assert BAD_TOKEN in _error(guarded.request(method, path, json=body, headers=headers), 401, "AuthError")
    assert guarded.request(method, path, json=body, headers={"Authorization": f"Bearer {TOKEN}"}).status_code != 401


def test_health_needs_no_token(guarded):
    assert guarded.get("/healthz").json() == {"status": "ok", "articles": 1}


# -- bad requests -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, kind, words",
    [
        ({"question": ""}, "InputError", "empty"),
        ({"question": "   "}, "InputError", "empty"),
        ({"question": "\x00\u200b"}, "InputError", "empty"),
        ({"question": "why " * 400}, "InputError", "limit is 1000"),
        ({"question": COST, "history": ["why " * 400]}, "InputError", "history item 1"),
        ({}, "invalid_request_error", "question"),
        ({"question": 42}, "invalid_request_error", "question"),
        ({"question": None}, "invalid_request_error", "question"),
        ({"question": COST, "history": "not a list"}, "invalid_request_error", "history"),
        ({"question": COST, "history": [1]}, "invalid_request_error", "history"),
        ({"question": COST, "article": 7}, "invalid_request_error", "article"),
        ({"question": COST, "surprise": 1}, "invalid_request_error", "surprise"),
    ],
)
def test_bad_questions_get_a_named_422(client, body, kind, words):
    assert words.lower() in _error(client.post("/api/ask", json=body), 422, kind).lower()


@pytest.mark.parametrize("raw, words", [("{not json", "JSON"), ("[1, 2]", "body"), ("", "body"), ('"a question"', "body")])
def test_a_body_that_is_no_json_object_gets_422(client, raw, words):
    response = client.post("/api/ask", content=raw, headers={"content-type": "application/json"})
    assert words.lower() in _error(response, 422, "invalid_request_error").lower()


@pytest.mark.parametrize(
    "path, raw",
    [
        ("/api/ask", r'{"question": "\ud800"}'),
        ("/api/ask", r'{"question": "Who voted?", "history": ["Who is \udfff?"]}'),
        ("/api/ask", r'{"question": "Who voted?", "article": "\ud800"}'),
        ("/v1/chat/completions", r'{"messages": [{"role": "user", "content": "\ud800"}]}'),
        ("/v1/chat/completions", r'{"messages": [{"role": "user", "content": "\ud800"}], "stream": true}'),
        ("/v1/chat/completions", r'{"model": "\ud800", "messages": [{"role": "user", "content": "Who voted?"}]}'),
    ],
)
def test_a_lone_surrogate_gets_a_named_422(client, path, raw):
    response = client.post(path, content=raw.encode("ascii"), headers={"content-type": "application/json"})
    assert "surrogate" in _error(response, 422)


def test_a_body_over_the_limit_gets_413_before_it_is_read(client):
    limit = Settings.model_fields["max_request_bytes"].default
    big = b"x" * (limit + 1000)
    for path in ["/api/ask", "/v1/chat/completions", "/api/feedback"]:
        declared = client.post(path, content=big, headers={"content-type": "application/json"})
        assert f"larger than {limit} bytes" in _error(declared, 413, "request_too_large")
        chunked = client.post(path, content=iter([big[:100_000]] * 4), headers={"content-type": "application/json"})
        assert "larger than" in _error(chunked, 413, "request_too_large")
    assert client.post("/api/ask", json={"question": COST, "history": ["Who voted?"] * 20}).status_code == 200


# -- routes -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path, allowed",
    [("GET", "/api/ask", "POST"), ("PUT", "/api/ask", "POST"), ("POST", "/api/articles", "GET"), ("GET", "/api/feedback", "POST"),
     ("GET", "/v1/chat/completions", "POST"), ("DELETE", "/v1/models", "GET"), ("POST", "/healthz", "GET")],
)
def test_a_wrong_method_gets_405_with_allow(client, method, path, allowed):
    response = client.request(method, path)
    assert f"{method} {path}" in _error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == allowed


@pytest.mark.parametrize("path", ["/api/nope", "/api/ask/extra", "/v1/completions", "/v1", "/api", "/v1/models/newsbot"])
def test_an_unknown_api_path_gets_404(client, path):
    assert "no such route" in _error(client.get(path), 404, "not_found")


def test_an_unknown_article_gets_404_naming_it(client):
    asked = client.post("/api/ask", json={"question": COST, "article": "no-such-article"})
    assert "no-such-article" in _error(asked, 404, "UnknownArticleError")
    chat = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": COST}], "article": "no-such-article"})
    assert "no-such-article" in _error(chat, 404, "UnknownArticleError")
    long = client.post("/api/ask", json={"question": COST, "article": "x" * 5000})
    assert len(_error(long, 404, "UnknownArticleError")) < 300  # the id is shortened, not echoed whole


def test_an_empty_index_says_to_ingest(empty):
    assert empty.get("/healthz").json() == {"status": "ok", "articles": 0}
    assert empty.get("/api/articles").json() == []
    assert "bot ingest" in _error(empty.post("/api/ask", json={"question": COST}), 409, "EmptyIndexError")
    chat = empty.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": COST}]})
    assert "bot ingest" in _error(chat, 409, "EmptyIndexError")
    assert "empty" in _error(empty.post("/api/ask", json={"question": " "}), 422, "InputError")  # bad input first


@pytest.mark.parametrize(
    "body, status, words",
    [
        ({"id": 987654, "liked": True}, 404, "no logged answer 987654"),
        ({"id": 0, "liked": True}, 422, "id"),
        ({"id": "one", "liked": True}, 422, "id"),
        ({"id": 1}, 422, "liked"),
        ({"id": 1, "liked": "maybe"}, 422, "liked"),
        ({"id": 1, "liked": True, "comment": "x" * 5000}, 422, "comment"),
        ({"id": 1, "liked": True, "stars": 5}, 422, "stars"),
    ],
)
def test_feedback_on_no_such_answer_or_with_a_bad_body(client, body, status, words):
    assert words in _error(client.post("/api/feedback", json=body), status)


def test_feedback_where_questions_are_not_logged(tmp_path):
    quiet = _client(_bot(tmp_path / "data", log_questions=False))
    assert "not logged" in _error(quiet.post("/api/feedback", json={"id": 1, "liked": True}), 404, "UnknownQuestionError")


@pytest.mark.parametrize(
    "messages, words",
    [
        ([{"role": "system", "content": "hi"}], "user"),
        ([{"role": "assistant", "content": "hi"}], "user"),
        ([], "messages"),
        ([{"role": "wizard", "content": "hi"}], "role"),
        ([{"role": "user", "content": ""}], "empty"),
    ],
)
def test_chat_completions_without_a_user_question_gets_422(client, messages, words):
    for stream in (False, True):
        response = client.post("/v1/chat/completions", json={"messages": messages, "stream": stream})
        assert words in _error(response, 422)
    assert "messages" in _error(client.post("/v1/chat/completions", json={}), 422)


def test_models_and_health(client):
    assert client.get("/v1/models").json() == {
        "object": "list", "data": [{"id": "newsbot", "object": "model", "created": 0, "owned_by": "newsbot"}]}
    assert client.get("/healthz").json() == {"status": "ok", "articles": 1}
    assert client.get("/api/articles").json()[0]["id"] == "tram"


# -- answers, with the fakes --------------------------------------------------------------------------


def test_ask_answers_with_citations_that_can_be_rated(client):
    answer = client.post("/api/ask", json={"question": COST}).json()
    assert set(answer) == {"id", "question", "answer", "refused", "citations", "related", "guard", "fallback"}
    assert not answer["refused"] and "240 million euros" in answer["answer"] and answer["citations"]
    assert all(c["article_id"] == "tram" and STORY[c["start"]:c["end"]] == c["text"] for c in answer["citations"])
    rated = client.post("/api/feedback", json={"id": answer["id"], "liked": False, "comment": "too long"})
    assert rated.status_code == 200 and rated.json() == {"id": answer["id"], "liked": False, "comment": "too long"}


def test_chat_completions_answer_and_stream(client):
    messages = [{"role": "user", "content": COST}]
    reply = client.post("/v1/chat/completions", json={"messages": messages}).json()
    content = reply["choices"][0]["message"]["content"]
    assert "240 million euros" in content and "\n\n[1] Council approves harbour tram line: " in content
    assert reply["object"] == "chat.completion" and reply["citations"] and reply["refused"] is False

    with client.stream("POST", "/v1/chat/completions", json={"messages": messages, "stream": True}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line[len("data: "):]) for line in lines[:-1]]
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == content
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and chunks[-1]["citations"] == reply["citations"]
