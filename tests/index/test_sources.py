"""URL, JSONL and folder sources."""

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from functools import partial
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from index.errors import ArticleError
from index.sources import load_jsonl, load_sources, load_url, url_id

PAGE = """<!doctype html><html><head><title>Council backs tram line | The Daily Example</title>
<meta property="og:title" content="Council backs tram line">
<meta name="author" content="Ana Reporter">
<meta property="article:published_time" content="2026-11-20T09:00:00Z">
</head><body><nav>Home | World | Sport</nav>
<article><h1>Council backs tram line</h1>
<p>The city council voted 31 to 12 on Tuesday to approve a new tram line linking the harbour to the university.</p>
<p>Construction is expected to start in March and cost 240 million euros, the mayor said after the vote.</p>
<p>Opponents argued that buses would serve the same route for a fraction of the price and promised to keep campaigning.</p>
</article><footer>Copyright The Daily Example</footer></body></html>"""


@pytest.fixture
def site(tmp_path):
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "tram-line.html").write_text(PAGE, encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.slow
def test_url_is_fetched_and_extracted(site):
    [article] = load_sources([f"{site}/news/tram-line.html"])
    assert article.id == "tram-line"
    assert load_sources([f"{site.replace('http://', 'HTTP://')}/news/tram-line.html"]) == [article]  # the scheme's case
    assert article.title == "Council backs tram line"
    assert "240 million euros" in article.text and "Home | World" not in article.text and "Copyright" not in article.text
    assert article.meta["url"].endswith("/news/tram-line.html")
    assert article.meta["published"].startswith("2026-11-20") and article.meta["author"] == "Ana Reporter"


@pytest.mark.slow
def test_bad_urls(site):
    with pytest.raises(ArticleError, match="404"):
        load_sources([f"{site}/news/missing.html"])
    with pytest.raises(ArticleError, match="cannot fetch"):
        load_sources(["http://127.0.0.1:9/nothing"])


@pytest.mark.unit
def test_jsonl_records(tmp_path):
    path = tmp_path / "feed.jsonl"
    rows = [
        {"id": "a1", "title": "One", "text": "First story.\r\nMore.", "url": "https://x.example/1", "published": "2026-01-02"},
        {"id": "a2", "text": "Untitled story text."},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    a1, a2 = load_jsonl(path)
    assert (a1.id, a1.title, a1.text, a1.meta) == (
        "a1", "One", "First story.\nMore.", {"url": "https://x.example/1", "published": "2026-01-02"})
    assert a2.title == "Untitled story text."


@pytest.mark.unit
def test_jsonl_may_start_with_a_byte_order_mark_and_ids_may_be_numbers(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b'{"id": 7, "title": "\\u200b", "text": "Story seven."}\n')
    [article] = load_jsonl(path)
    assert (article.id, article.title) == ("7", "Story seven.")


@pytest.mark.unit
def test_a_jsonl_pipe_is_refused(fed_pipe):
    with pytest.raises(ArticleError, match=r"feed\.jsonl: not a regular file"):
        load_jsonl(fed_pipe("feed.jsonl", '{"id": "a", "text": "A record."}\n'))


@pytest.mark.parametrize(
    "lines, message",
    [
        (['{"id": "a", "text": ""}'], "text"),
        (['{"id": "a", "text": "\\u0000"}'], 'bad.jsonl:1: "text" is missing or empty'),
        (['{"id": "a", "text": "\\u0007\\u0007"}'], 'bad.jsonl:1: "text" is missing or empty'),
        (['{"id": "a", "text": "\\u200b"}'], 'bad.jsonl:1: "text" is missing or empty'),
        (['{"id": 1.5, "text": "x"}'], 'bad.jsonl:1: "id" must be a string, not 1.5'),
        (['{"id": true, "text": "x"}'], 'bad.jsonl:1: "id" must be a string, not true'),
        (['{"id": "a", "title": ["t1", "t2"], "text": "x"}'], r'bad.jsonl:1: "title" must be a string, not \["t1", "t2"\]'),
        (['{"id": "a", "published": {"y": 1}, "text": "x"}'], 'bad.jsonl:1: "published" must be a string'),
        (['{"id": "ok", "text": "x"}', '{"id": "a/b", "text": "x"}'], "bad.jsonl:2: invalid article id 'a/b'"),
        (['{"id": "café", "text": "x"}'], "bad.jsonl:1: invalid article id 'café'"),
        (['{"id": "%s", "text": "x"}' % ("a" * 129)], "bad.jsonl:1: invalid article id 'a{129}'"),
        (['{"x": ' + "[" * 100_000 + "]" * 100_000 + "}"], "bad.jsonl:1: not valid JSON: nested too deep"),
        (['{"text": "x"}'], "id"),
        (["not json"], "not valid JSON"),
        (['{"id": "a", "text": "x"}', '{"id": "a", "text": "y"}'], "twice"),
        (['{"id": "../x", "text": "x"}'], "invalid article id"),
        (['{"id": "x\\n", "text": "x"}'], "invalid article id"),
        (['{"id": "a", "text": "x\\ud800y"}'], "lone UTF-16 surrogate"),
        (['{"id": "a", "text": "%s"}' % ("x" * 2_000_001)], "bad.jsonl:1: 2,000,001 bytes is more than the 2,000,000 allowed"),
    ],
)
@pytest.mark.unit
def test_bad_jsonl(tmp_path, lines, message):
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(ArticleError, match=message):
        load_jsonl(path)


@pytest.mark.unit
def test_folders_mix_files_and_records(tmp_path):
    (tmp_path / "one.txt").write_text("A text article.", encoding="utf-8")
    (tmp_path / "feed.jsonl").write_text('{"id": "two", "text": "A record."}\n', encoding="utf-8")
    (tmp_path / "skip.pdf").write_bytes(b"%PDF")
    assert sorted(a.id for a in load_sources([str(tmp_path)])) == ["one", "two"]
    with pytest.raises(ArticleError, match="more than one source"):
        load_sources([str(tmp_path), str(tmp_path / "one.txt")])
    with pytest.raises(ArticleError, match="^--id names one article: give one file or URL, not one that holds 2$"):
        load_sources([str(tmp_path)], article_id="x")
    # --id with two sources is that mistake, not two sources giving one id
    with pytest.raises(ArticleError, match=r"^--id and --title name one article: give one source \(a file or URL\), not 2$"):
        load_sources([str(tmp_path / "one.txt"), str(tmp_path / "one.txt")], article_id="x", title="T")


@pytest.mark.unit
@pytest.mark.parametrize("url", ["javascript:alert(1)", "vbscript:msgbox", "mailto:desk@news.example", ["https://x.example"]])
def test_a_record_url_must_be_a_web_address(tmp_path, url):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"id": "ok", "text": "A record."}) + "\n" + json.dumps({"id": "a", "text": "x", "url": url}),
                    encoding="utf-8")
    with pytest.raises(ArticleError, match=r'bad\.jsonl:2: "url" .* is not a web address; give an http:// or https:// URL'):
        load_jsonl(path)


@pytest.mark.unit
@pytest.mark.parametrize("source", ["javascript:alert(1)", "ftp://news.example/a.txt", "file:///etc/passwd"])
def test_only_web_addresses_are_fetched(source):
    with pytest.raises(ArticleError, match="give an http:// or https:// URL"):
        load_sources([source])
    with pytest.raises(ArticleError, match="give an http:// or https:// URL"):
        load_url(source)


@pytest.mark.unit
def test_url_ids():
    assert url_id("https://news.example/2026/11/council-backs-tram.html") == "council-backs-tram"
    assert url_id("https://news.example/") == "news.example"


@pytest.mark.unit
def test_distinct_pages_get_distinct_url_ids():
    assert url_id("https://news.example/2025/08/india-welcomes-alaska-summit") == "india-welcomes-alaska-summit"
    assert url_id("https://news.example/a-story?utm_source=feed&fbclid=x#top") == "a-story"
    ids = [url_id(u) for u in ("http://host/article/one/index.html", "http://host/article/two/index.html",
                               "http://host/article.php?id=one", "http://host/article.php?id=two", "http://host/index.html",
                               "http://host/?p=12", "http://host/?p=13", "http://other/index.html", "http://host/news/12345")]
    assert ids == ["one-index", "two-index", "article-one", "article-two", "host-index", "host-12", "host-13", "other-index",
                   "host-news-12345"]
    long = [url_id("http://host/article.php?id=" + "x" * 200 + end) for end in "ab"]
    assert long[0] != long[1] and all(len(i) <= 100 for i in long)


_UNPRIVILEGED = ["setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search"]


@pytest.mark.unit
def test_a_folder_that_cannot_be_read_is_named(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "a.txt").write_text("An article.", encoding="utf-8")
    locked.chmod(0)
    prefix = []
    if os.geteuid() == 0:  # root reads any folder: drop the capabilities that let it, as `setpriv` can
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv: every folder can be read")
        prefix = _UNPRIVILEGED
    code = ("import sys\nfrom index.errors import BotError\nfrom index.sources import load_sources\n"
            "try:\n    load_sources(sys.argv[1:])\nexcept BotError as exc:\n    print(exc)\n")
    root = str(Path(__file__).resolve().parents[2])
    try:
        for source, message in ((locked, "cannot read this folder (Permission denied); check its permissions"),
                                (locked / "a.txt", "cannot read (Permission denied)")):
            result = subprocess.run([*prefix, sys.executable, "-c", code, str(source)], capture_output=True, text=True,
                                    env={**os.environ, "PYTHONPATH": root}, timeout=60)
            assert "Traceback" not in result.stderr, result.stderr
            assert result.stdout.strip() == f"{source}: {message}"
    finally:
        locked.chmod(0o755)


class _Page(BaseHTTPRequestHandler):
    """``/slow``: a page that trickles for 5 s; ``/huge``: 64 MB with no length given; ``/declared``: 1 GB said."""

    sent = 0

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        if self.path == "/declared":
            self.send_header("Content-Length", str(2**30))
        self.end_headers()
        try:
            if self.path == "/slow":
                for _ in range(50):
                    self.wfile.write(b"<p>words</p>")
                    self.wfile.flush()
                    time.sleep(0.1)
            elif self.path == "/huge":
                for _ in range(1024):
                    self.wfile.write(b"<p>" + b"x" * 65_529 + b"</p>")
                    type(self).sent += 65_536
        except OSError:  # the client stopped reading
            pass

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def pages():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Page.sent = 0
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.slow
def test_a_download_has_a_deadline(pages):
    start = time.monotonic()
    with pytest.raises(ArticleError, match=r"/slow: the download took longer than 1 s"):
        load_url(f"{pages}/slow", deadline=1.0)
    assert time.monotonic() - start < 3


@pytest.mark.slow
def test_a_page_is_refused_once_it_passes_the_limit(pages):
    with pytest.raises(ArticleError, match=r"/huge: the page is larger than 1 MB"):
        load_url(f"{pages}/huge", max_page_bytes=2**20)
    time.sleep(0.5)
    assert _Page.sent < 32 * 2**20  # the download stopped; it was not read to the end and then measured
    with pytest.raises(ArticleError, match=r"/declared: the page is larger than 1 MB"):
        load_url(f"{pages}/declared", max_page_bytes=2**20)
