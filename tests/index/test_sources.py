"""URL, JSONL and folder sources."""

import json
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

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


@pytest.mark.parametrize(
    "lines, message",
    [
        (['{"id": "a", "text": ""}'], "text"),
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
