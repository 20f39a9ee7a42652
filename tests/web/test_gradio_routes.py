"""Gradio's own routes under bad input: a 4xx in the API's error shape, on a connection that stays usable.

Each bad request is followed by a good one on the same httpx client, and the test checks
that it went over the same connection: a server that answers and then drops the
connection (as Gradio's unhandled errors made uvicorn do) fails here.
"""

import json
import shutil
import uuid

import httpx
import pytest

from bot.chain import NewsBot
from bot.settings import Settings
from tests.conftest import LiveServer, free_port
from tests.web.test_security import (
    ALASKA,
    BAD_TOKEN,
    TOKEN,
    _error,
    _fn_index,
    _queue_call,
)

pytestmark = pytest.mark.slow
GOOD = {"Authorization": f"Bearer {TOKEN}"}
#: what pydantic or a traceback put in a body; a reader's error names the input instead
INTERNALS = ["pydantic", "input_value", "ChatbotDataMessages", "Traceback", "object at 0x", "validation error for"]


@pytest.fixture(scope="module")
def tokened(seed_dir, tmp_path_factory):
    """A served bot over the seed article with BOT_API_TOKEN set."""
    data = tmp_path_factory.mktemp("tokened") / "data"
    shutil.copytree(seed_dir, data)
    with LiveServer(NewsBot(Settings(data_dir=data, api_token=TOKEN, rate_limit=0)), free_port()) as server:
        yield server


def _port(response: httpx.Response) -> int:
    """The local port of the connection ``response`` came over."""
    return response.extensions["network_stream"].get_extra_info("client_addr")[1]


def _refused(client: httpx.Client, prefix: str, response: httpx.Response, status: int) -> str:
    """``response``'s message, once it is a ``status`` error in the API's shape naming no internals, and the
    next request on ``client`` is answered over the same connection."""
    message = _error(response, status)
    assert not [word for word in INTERNALS if word in response.text], response.text
    assert response.headers.get("connection") != "close"
    port = _port(response)
    good = client.get(f"{prefix}/config")
    assert good.status_code == 200 and _port(good) == port
    return message


@pytest.mark.parametrize("prefix", ["", "/embed"])
def test_unknown_gradio_functions_get_404(live, prefix):
    session = uuid.uuid4().hex
    with httpx.Client(base_url=live.url, timeout=60) as client:
        for path, body, named in [
            ("/gradio_api/queue/join", {"data": [], "fn_index": 999, "session_hash": session}, "999"),
            ("/gradio_api/queue/join", {"data": [], "fn_index": -1, "session_hash": session}, "-1"),
            ("/gradio_api/run/predict", {"data": [], "fn_index": 999}, "999"),
            ("/gradio_api/run/predict", {"data": [], "fn_index": 10**30}, str(10**30)),
            ("/gradio_api/run/predict", {"data": []}, "predict"),
            ("/gradio_api/run/nope", {"data": []}, "nope"),
            ("/gradio_api/api/nope/", {"data": []}, "nope"),
            ("/gradio_api/call/nope", {"data": []}, "nope"),
            ("/gradio_api/call/v2/nope", {}, "nope"),
            ("/gradio_api/component_server", {"data": None, "component_id": 99999, "fn_name": "x", "session_hash": session}, "99999"),
        ]:
            message = _refused(client, prefix, client.post(prefix + path, json=body), 404)
            assert named in message, (path, message)


def test_bad_calls_of_gradio_functions_get_4xx(tokened):
    with httpx.Client(base_url=tokened.url, timeout=60) as client:
        ask, respond = _fn_index(client, "", "ask"), _fn_index(client, "", "respond")
        pick, like = _fn_index(client, "", "on_pick"), _fn_index(client, "", "on_like")

        def predict(fn: int, data, **extra) -> httpx.Response:
            return client.post("/gradio_api/run/predict", json={"data": data, "fn_index": fn, **extra})

        # the named endpoint by its fn_index, as the page calls its quick events: the token first
        assert BAD_TOKEN in _refused(client, "", predict(ask, [ALASKA, None, None]), 401)
        for data, status, words in [
            (["", None, None], 422, "the question is empty"),
            (["\x00\x00", None, None], 422, "the question is empty"),
            ([5, None, None], 422, "must be text"),
            ([ALASKA, "not a list", None], 422, "history must be a list"),
            ([ALASKA, None, "no-such-article"], 404, "no-such-article"),
        ]:
            for response in [client.post("/gradio_api/run/ask", json={"data": data}, headers=GOOD),
                             client.post("/gradio_api/run/predict", json={"data": data, "fn_index": ask}, headers=GOOD)]:
                assert words in _refused(client, "", response, status)
        # the chat's own events, called with values the page never sends
        for response, words in [
            (predict(respond, [5, "__all__", None]), "chatbot"),
            (predict(respond, [[{"role": 5}], "__all__", None]), "chatbot"),
            (predict(respond, [[{"role": "user", "content": ["x"]}], "__all__", None]), "chatbot"),
            (predict(respond, []), "3"),
            (predict(pick, ["no-such-article"]), "no-such-article"),
            (predict(like, [[]]), "event_data"),
            *[(predict(like, [[{"role": "user", "content": [{"type": "text", "text": "Hi?"}]},
                                      {"role": "assistant", "content": [{"type": "text", "text": "Hello."}]}]],
                       event_data={"index": index, "value": "Hello.", "liked": True}), "index")
              for index in ([], "abc", None, 1.5, {"a": 1}, [None], True)],
            (predict(_fn_index(client, "", "add_example"), [[]], event_data={"index": 0, "value": None}), "suggested"),
            (client.post("/gradio_api/call/ask", json={"data": [ALASKA]}, headers=GOOD), "3 values"),
            (predict(ask, "not a list"), "data"),
            (predict("first", []), "fn_index"),
            (client.post("/gradio_api/queue/join", content=b"{not json", headers={"content-type": "application/json"}), "JSON"),
            (client.post("/gradio_api/queue/join", json=[1, 2]), "object"),
            (client.post("/gradio_api/run/predict", content=b"[" * 100_000, headers={"content-type": "application/json"}), "JSON"),
            (client.post("/gradio_api/call/v2/ask", json={"question": ALASKA, "surprise": 1}, headers=GOOD), "surprise"),
            (client.post("/gradio_api/call/v2/ask", json={"history": []}, headers=GOOD), "question"),
            (client.post("/gradio_api/call/ask", json={"data": "not a list"}, headers=GOOD), "data"),
            (client.post("/gradio_api/cancel", json={}), "session_hash"),
        ]:
            assert words in _refused(client, "", response, 422), response.text
        ran = client.post("/gradio_api/run/ask", json={"data": [ALASKA, None, None]}, headers=GOOD)
        assert ran.status_code == 200 and "welcomed" in ran.json()["data"][0]["answer"]
        assert client.post("/gradio_api/call/v2/ask", json={"question": ALASKA}, headers=GOOD).json()["event_id"]


def test_gradio_streams_for_unknown_sessions_end_cleanly(live):
    with httpx.Client(base_url=live.url, timeout=60) as client:
        for path in ["/gradio_api/queue/data?session_hash=no-such-session", "/gradio_api/call/ask/no-such-event"]:
            with client.stream("GET", path) as events:
                lines = list(events.iter_lines())
                port = _port(events)
            assert any("error" in line for line in lines) and events.headers.get("connection") != "close"
            good = client.get("/config")
            assert good.status_code == 200 and _port(good) == port


def test_a_question_of_nuls_is_refused_as_empty_on_every_route(live):
    with httpx.Client(base_url=live.url, timeout=60) as client:
        for path, body in [("/api/ask", {"question": "\x00\x00"}),
                           ("/v1/chat/completions", {"messages": [{"role": "user", "content": "\x00"}]}),
                           ("/v1/chat/completions", {"messages": [{"role": "user", "content": "\x00"}], "stream": True})]:
            assert "the question is empty" in _error(client.post(path, json=body), 422)
        assert "the question is empty" in _refused(client, "", client.post("/gradio_api/run/ask", json={"data": ["\x00", None, None]}), 422)
        respond = _fn_index(client, "", "respond")
        said = _queue_call(client, "", respond,
                           [[{"role": "user", "content": [{"type": "text", "text": "\x00\x00"}]}], "__all__", None], {})
        assert said["success"] is True and "the question is empty" in json.dumps(said["output"]["data"][0][-1])
