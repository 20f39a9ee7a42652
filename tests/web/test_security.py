"""What a hostile client or article can do to a running server: auth, markup, odd bytes, sizes, routes.

Every test talks to the real app served by uvicorn (``LiveServer``): with httpx, raw
sockets, gradio_client, or the real Chromium.
"""

import json
import shutil
import socket
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest

from bot.logbook import Logbook
from gradio_client import Client
from gradio_client.exceptions import AppError

from bot.chain import NewsBot
from bot.settings import Settings
from tests.conftest import SEED_ID, LiveServer, free_port

pytestmark = pytest.mark.slow
ALASKA = "What did India say about the Alaska summit?"
TOKEN = "t0ken-for-tests"
BAD_TOKEN = "missing or wrong API token"
#: nothing listens there: a request to it can only come from markup that should have been text
TRAP = "http://127.0.0.1:9"
CURATOR = (
    f"The curator's catalogue note reads <img src={TRAP}/pixel.png> then **bold** text, [a link]({TRAP}/link) "
    f"and $$x^2$$ beside <script>window.pwned=1</script> & <iframe src={TRAP}/frame></iframe> &amp; AT&T in one line."
)
MUSEUM = f"""Harbour museum opens a new wing

The harbour museum opened its new glass wing on Saturday after three years of building work, the director said.

{CURATOR}

Tickets cost 12 euros for adults and children enter free.
"""


@pytest.fixture(scope="module")
def guarded(seed_dir, tmp_path_factory):
    """A served bot over the seed article with BOT_API_TOKEN set."""
    data = tmp_path_factory.mktemp("guarded") / "data"
    shutil.copytree(seed_dir, data)
    with LiveServer(NewsBot(Settings(data_dir=data, api_token=TOKEN)), free_port()) as server:
        yield server


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A served bot over one article whose text is full of markup."""
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "museum.txt").write_text(MUSEUM, encoding="utf-8")
    bot = NewsBot(Settings(data_dir=folder / "data"))
    bot.ingest_file(folder / "museum.txt")
    with LiveServer(bot, free_port()) as server:
        yield server


def _error(response: httpx.Response, status: int) -> str:
    """The message of a JSON error in the shape docs/api.md gives, with ``status``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type"}
    return body["error"]["message"]


def _trapped(urls: list[str]) -> list[str]:
    """The requests that only markup from a hostile article or URL could have made."""
    return [url for url in urls if urlsplit(url).netloc in {urlsplit(TRAP).netloc, "evil.example"}]


def _fn_index(client: httpx.Client, prefix: str, api_name: str) -> int:
    config = client.get(f"{prefix}/config").json()
    return next(d["id"] for d in config["dependencies"] if d.get("api_name") == api_name)


def _queue_call(client: httpx.Client, prefix: str, fn_index: int, data: list, headers: dict) -> dict:
    """Call ``fn_index`` the way the page does (queue/join, then the SSE stream); the completion message."""
    session = uuid.uuid4().hex
    body = {"data": data, "fn_index": fn_index, "session_hash": session, "event_data": None, "trigger_id": None}
    assert client.post(f"{prefix}/gradio_api/queue/join", json=body, headers=headers).status_code == 200
    with client.stream("GET", f"{prefix}/gradio_api/queue/data", params={"session_hash": session}) as events:
        for line in events.iter_lines():
            message = json.loads(line[5:]) if line.startswith("data:") else {}
            if message.get("msg") == "process_completed":
                return message
    raise AssertionError("the queue closed without completing the call")


# 1. the token guards Gradio's named API endpoint on every route to it; /config lists no articles


@pytest.mark.parametrize("prefix", ["", "/embed"])
def test_api_token_guards_the_gradio_ask_endpoint(guarded, prefix):
    good = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=guarded.url, timeout=60) as client:
        for route in ["run", "call"]:
            for headers in [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}]:
                refused = client.post(f"{prefix}/gradio_api/{route}/ask", json={"data": [ALASKA]}, headers=headers)
                assert BAD_TOKEN in _error(refused, 401)
        ran = client.post(f"{prefix}/gradio_api/run/ask", json={"data": [ALASKA, None, None]}, headers=good)
        assert ran.status_code == 200 and "welcomed" in ran.json()["data"][0]["answer"]
        called = client.post(f"{prefix}/gradio_api/call/ask", json={"data": [ALASKA, None, None]}, headers=good).json()["event_id"]
        with client.stream("GET", f"{prefix}/gradio_api/call/ask/{called}", headers=good) as events:
            assert "welcomed" in "".join(events.iter_lines())
        assert "3 values" in _error(client.post(f"{prefix}/gradio_api/call/ask", json={"data": [ALASKA]}, headers=good), 422)

        fn = _fn_index(client, prefix, "ask")
        refused = _queue_call(client, prefix, fn, [ALASKA, None, None], {})
        assert refused["success"] is False and BAD_TOKEN in refused["output"]["error"]
        answered = _queue_call(client, prefix, fn, [ALASKA, None, None], good)
        assert answered["success"] is True and "welcomed" in answered["output"]["data"][0]["answer"]
        # the page's own quick events come by /run/predict with an fn_index: the endpoint checks the token itself
        forged = client.post(f"{prefix}/gradio_api/run/predict", json={"data": [ALASKA, None, None], "fn_index": fn})
        assert BAD_TOKEN in _error(forged, 401)


def test_gradio_client_needs_the_token_header(guarded):
    with pytest.raises(AppError, match=BAD_TOKEN):
        Client(guarded.url + "/", verbose=False).predict(ALASKA, api_name="/ask")
    client = Client(guarded.url + "/", verbose=False, headers={"Authorization": f"Bearer {TOKEN}"})
    assert "welcomed" in client.predict(ALASKA, api_name="/ask")["answer"]
    info = client.view_api(print_info=False, return_format="dict")
    assert [p["parameter_name"] for p in info["named_endpoints"]["/ask"]["parameters"]] == ["question", "history", "article"]


def test_the_pages_stay_public_with_a_token(guarded, browser):
    for path in ["/", "/embed/"]:
        page = browser.new_page()
        page.goto(guarded.url + path)
        page.locator("#question textarea").fill(ALASKA)
        page.locator("#ask").click()
        page.locator("#chat [data-testid='bot']").filter(has_text="welcomed").first.wait_for(timeout=60_000)
        page.locator("#clear").click()
        page.wait_for_function("document.querySelectorAll(\"#chat [data-testid='bot']\").length === 0")
        page.locator("#chat").get_by_text("Who did Kiren Rijiju meet in New Delhi?").first.click()
        page.locator("#chat [data-testid='bot']").filter(has_text="Khasikov").first.wait_for(timeout=60_000)
        page.close()


def test_config_and_api_info_list_no_articles(live, browser):
    secrets = ["tram-line", "City council approves", SEED_ID, "Rijiju meets"]
    with httpx.Client(base_url=live.url, timeout=30) as client:
        for path in ["/config", "/embed/config", "/gradio_api/info", "/embed/gradio_api/info", "/", "/embed/"]:
            text = client.get(path).text
            assert not [s for s in secrets if s in text], path

    page = browser.new_page()  # the full page still offers both articles, and its picker scopes the answer
    page.goto(live.url + "/")
    page.get_by_label("Article").click()
    page.get_by_role("option", name="City council approves new tram line").click()
    page.locator("#question textarea").fill("When is construction expected to start?")
    page.locator("#ask").click()
    page.locator("#chat [data-testid='bot']").filter(has_text="March").first.wait_for(timeout=60_000)
    page.close()
    page = browser.new_page()  # the embed never lists them
    page.goto(live.url + "/embed/")
    page.locator("#question textarea").wait_for()
    page.wait_for_timeout(1000)
    assert not page.get_by_label("Article").is_visible()
    page.close()


# 2. and 4. markup from a URL or an article shows as text and loads nothing


@pytest.mark.parametrize("path", ["/", "/embed/"])
def test_unknown_article_warning_shows_the_id_as_text(live, browser, path):
    wanted = f"<img src={TRAP}/toast.png><a href=//evil.example>link</a><input type=password>"
    page = browser.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live.url}{path}?article={quote(wanted)}")
    toast = page.locator("[data-testid='toast-text']").first
    toast.wait_for(timeout=30_000)
    assert wanted in toast.inner_text()
    assert toast.locator("img, a, input").count() == 0
    assert page.locator("input[type=password]").count() == 0
    page.wait_for_timeout(500)
    assert not _trapped(requested)
    page.close()


def test_chat_bubbles_show_article_text_exactly_as_quoted(hostile, browser):
    question = "What does the <b>curator's</b> catalogue note read? **now** & then"
    page = browser.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(hostile.url + "/")
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()
    page.wait_for_function("document.querySelector('#chat').innerText.includes('Sources (')", timeout=60_000)

    answer = page.locator("#chat [data-testid='bot']").filter(has_text="catalogue note").first
    assert CURATOR + " [1]" in answer.inner_text()
    assert answer.locator("img, a, strong, b, script, iframe, .katex").count() == 0
    asked = page.locator("#chat [data-testid='user']").first
    assert asked.inner_text().strip() == question and asked.locator("b, strong").count() == 0
    page.locator("#chat").get_by_text("Sources (").first.click()
    page.locator("#chat mark").first.wait_for(state="visible")
    assert CURATOR in page.locator("#chat mark").first.inner_text()
    assert page.locator("#chat img, #chat iframe, #chat script").count() == 0
    assert page.evaluate("window.pwned") is None
    assert not _trapped(requested)

    page.locator("#chat button[aria-label='Like']").last.click()
    log = Logbook(hostile.bot.settings)
    for _ in range(50):
        if any(row.liked for row in log.rows()):
            break
        page.wait_for_timeout(100)
    [row] = [row for row in log.rows() if row.liked]
    assert row.question == question and CURATOR in row.answer and row.cited_article == "museum"
    page.close()


@pytest.mark.parametrize("text", ["AT&T > 3", "<b>x</b> &amp; &copy2 &#39; a&notin; R&D &", "plain"])
def test_bubble_text_round_trips_and_escapes_only_what_a_browser_would_read(text):
    from app import said, shown

    assert said({"content": shown(text)}) == text
    assert "<" not in shown(text) and shown("AT&T > 3") == "AT&T > 3"


# 3. odd bytes from a client are errors for the client, never a 500


def test_non_ascii_authorization_header_is_a_wrong_token(guarded, live):
    ask = ("/api/ask", {"question": ALASKA})
    chat = ("/v1/chat/completions", {"messages": [{"role": "user", "content": ALASKA}]})
    for header in [b"Bearer \xff", b"Bearer t0ken-for-tests\xff", b"\xff\xfe"]:
        with httpx.Client(base_url=guarded.url, timeout=60) as client:
            for path, body in [ask, chat]:
                assert BAD_TOKEN in _error(client.post(path, json=body, headers={"Authorization": header}), 401)
            assert BAD_TOKEN in _error(client.post("/gradio_api/run/ask", json={"data": [ALASKA]}, headers={"Authorization": header}), 401)
        with httpx.Client(base_url=live.url, timeout=60) as client:  # no token set: the header is ignored
            assert client.post(ask[0], json=ask[1], headers={"Authorization": header}).status_code == 200


@pytest.mark.parametrize(
    "path, raw",
    [
        ("/api/ask", r'{"question": "\ud800"}'),
        ("/api/ask", r'{"question": "Who met Rijiju?", "history": ["Who is \udfff?"]}'),
        ("/api/ask", r'{"question": "Who met Rijiju?", "article": "\ud800"}'),
        ("/v1/chat/completions", r'{"messages": [{"role": "user", "content": "\ud800"}]}'),
        ("/v1/chat/completions", r'{"messages": [{"role": "user", "content": "\ud800"}], "stream": true}'),
        ("/v1/chat/completions", r'{"model": "\ud800", "messages": [{"role": "user", "content": "Who met Rijiju?"}]}'),
    ],
)
def test_lone_surrogate_gets_a_named_422(live, path, raw):
    with httpx.Client(base_url=live.url, timeout=60) as client:
        response = client.post(path, content=raw.encode("ascii"), headers={"content-type": "application/json"})
        assert "surrogate" in _error(response, 422)


# 5. /embed without the slash


def test_embed_without_slash_redirects_keeping_the_query(live):
    with httpx.Client(base_url=live.url, timeout=30) as client:
        bare = client.get("/embed")
        assert bare.status_code in (307, 308) and bare.headers["location"] == "embed/"
        scoped = client.get(f"/embed?article={SEED_ID}&x=1")
        assert scoped.headers["location"] == f"embed/?article={SEED_ID}&x=1"
        landed = client.get(f"/embed?article={SEED_ID}", follow_redirects=True)
        assert landed.status_code == 200 and landed.url.path == "/embed/" and landed.url.params["article"] == SEED_ID
        assert client.head("/embed").status_code in (307, 308)


# 6. request sizes and uploads


def _raw_request(url: str, head: str, parts: list[bytes]) -> bytes:
    """Send ``head`` and ``parts`` on a raw socket, then read until the server closes (10 s at most)."""
    where = urlsplit(url)
    with socket.create_connection((where.hostname, where.port), timeout=10) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode("ascii"))
        for part in parts:
            sock.sendall(part)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def test_bodies_over_the_limit_get_413_before_they_are_read(live):
    limit = live.bot.settings.max_request_bytes
    big = b"x" * (limit + 1000)
    with httpx.Client(base_url=live.url, timeout=60) as client:
        for path in ["/api/ask", "/v1/chat/completions", "/gradio_api/queue/join", "/embed/gradio_api/run/ask"]:
            assert "larger than" in _error(client.post(path, content=big, headers={"content-type": "application/json"}), 413)
            chunked = client.post(path, content=iter([big[:100_000]] * (limit // 100_000 + 1)),
                                  headers={"content-type": "application/json"})
            assert chunked.request.headers.get("transfer-encoding") == "chunked"
            assert "larger than" in _error(chunked, 413)
        under = client.post("/api/ask", json={"question": ALASKA, "history": ["Who is Batu Khasikov?"] * 20})
        assert under.status_code == 200

    # a declared length is refused at once, and a chunked body as soon as it crosses the limit:
    # the server answers while the client still has most of the body to send
    declared = _raw_request(live.url, f"POST /api/ask HTTP/1.1\nHost: x\nContent-Type: application/json\nContent-Length: {10**9}\n\n", [])
    assert declared.startswith(b"HTTP/1.1 413") and b'"error"' in declared
    chunk = b"x" * 10_000
    parts = [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * (limit // len(chunk) + 1)  # no final 0-chunk: the body never ends
    streamed = _raw_request(
        live.url, "POST /v1/chat/completions HTTP/1.1\nHost: x\nContent-Type: application/json\nTransfer-Encoding: chunked\n\n", parts)
    assert streamed.startswith(b"HTTP/1.1 413") and b"larger than" in streamed
    assert httpx.get(live.url + "/healthz").status_code == 200


@pytest.mark.parametrize("server", ["live", "guarded"])
def test_uploads_are_off(request, server):
    served = request.getfixturevalue(server)
    name = f"upload-{uuid.uuid4().hex}.txt"
    folders = {mount.app.uploaded_file_dir for mount in served.server.config.app.routes if hasattr(mount.app, "uploaded_file_dir")}
    assert folders
    headers = {"Authorization": f"Bearer {TOKEN}"} if server == "guarded" else {}
    with httpx.Client(base_url=served.url, timeout=30) as client:
        for path in ["/gradio_api/upload", "/embed/gradio_api/upload", "/gradio_api/upload/", "//gradio_api//upload",
                     "/gradio_api/upload?upload_id=abc", "/gradio_api/process_recording"]:
            exact = httpx.URL(served.url).copy_with(raw_path=path.encode())  # as sent: "//x" is no host here
            response = client.post(exact, files={"files": (name, b"hello")}, headers=headers)
            assert "uploads are off" in _error(response, 403), path
        assert client.get("/gradio_api/upload_progress", params={"upload_id": "abc"}).status_code == 403
    for folder in folders:
        assert not list(Path(folder).rglob(name))


@pytest.mark.parametrize("server", ["live", "guarded"])
def test_gradio_routes_of_no_use_here_are_off(request, server):
    """Gradio's development reload stream (each open one polled every 50 ms) and its monitoring figures
    (public, whatever the token) are 404 on both mounts; the server answers at once while many such
    connections are tried."""
    served = request.getfixturevalue(server)
    with httpx.Client(base_url=served.url, timeout=30) as client:
        for path in ["/gradio_api/dev/reload", "/embed/gradio_api/dev/reload", "/monitoring", "/monitoring/summary",
                     "/embed/monitoring/summary", "//gradio_api//dev/reload"]:
            exact = httpx.URL(served.url).copy_with(raw_path=path.encode())
            assert "off" in _error(client.get(exact), 404), path
        assert client.get("/healthz").status_code == 200


# 7. wrong methods and unknown paths under /api and /v1


def test_wrong_method_gets_405_and_unknown_api_path_404(live):
    with httpx.Client(base_url=live.url, timeout=30) as client:
        for method, path, allowed in [("GET", "/api/ask", "POST"), ("PUT", "/api/ask", "POST"), ("POST", "/api/articles", "GET"),
                                      ("GET", "/v1/chat/completions", "POST"), ("DELETE", "/v1/models", "GET"),
                                      ("POST", "/healthz", "GET")]:
            response = client.request(method, path)
            assert method in _error(response, 405) and response.headers["allow"] == allowed
        for path in ["/api/nope", "/api/ask/extra", "/v1/completions", "/v1", "/api"]:
            assert "no such route" in _error(client.get(path), 404)
        assert client.get("/api/articles").status_code == 200 and client.get("/").status_code == 200
