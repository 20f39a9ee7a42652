"""Newsroom-scale performance: ingest throughput, cold start, latency at 1 / 1,000 / 10,000 articles
(embedded Chroma and a Chroma server), 16 concurrent API clients, resident memory.

    .venv/bin/python benchmarks/performance.py          # writes docs/performance.md and docs/performance.png

The synthetic corpus is built from the SQuAD 2.0 paragraphs and the seed article: article i joins two
SQuAD paragraphs (a different pair for every article), so every article is real prose. Building the
10,000-article stores reuses the vectors of repeated paragraph text (a text->vector cache), so it takes
minutes; ingest throughput is measured separately, without that cache, on distinct texts.
"""

from __future__ import annotations

import os

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


# the benchmarks ask many questions from one address: no rate limit (benchmarks/limits.py measures the limits)
os.environ.setdefault("BOT_RATE_LIMIT", "0")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from langchain_core.embeddings import Embeddings  # noqa: E402

from bot.chain import NewsBot  # noqa: E402
from bot.evaluate import percentile  # noqa: E402
from bot.settings import BUNDLED_ARTICLES, Settings  # noqa: E402
from index.embeddings import LazyEmbeddings  # noqa: E402
from index.loader import Article, load_article  # noqa: E402

SQUAD = ROOT.parent / "shared" / "eval" / "squad-v2" / "dev-v2.0-16-articles.json"
DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"
DOCS = ROOT / "docs"
SEED = load_article(BUNDLED_ARTICLES / "india-russia-kalmykia-alaska.txt")


class CachedEmbeddings(Embeddings):
    """Memoises document vectors by text (only for building the big synthetic stores)."""

    def __init__(self, inner: Embeddings) -> None:
        self.inner = inner
        self.cache: dict[str, list[float]] = {}

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        missing = list(dict.fromkeys(t for t in texts if t not in self.cache))
        for text, vector in zip(missing, self.inner.embed_documents(missing)):
            self.cache[text] = vector
        return [self.cache[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)

    def embed_query_tokens(self, text: str):
        return self.inner.embed_query_tokens(text)

    def token_vectors(self, texts: list[str], spans: list[list[tuple[int, int]]]):
        return self.inner.token_vectors(texts, spans)


def squad():
    data = json.loads(SQUAD.read_text(encoding="utf-8"))["data"]
    paragraphs, questions = [], []
    for entry in data:
        for p in entry["paragraphs"]:
            paragraphs.append(p["context"])
            questions += [(len(paragraphs) - 1, qa["question"]) for qa in p["qas"] if not qa.get("is_impossible")][:1]
    return paragraphs, questions


def corpus(n: int, paragraphs: list[str]) -> list[Article]:
    """Article 0 is the seed; article i > 0 joins paragraphs a(i) and b(i), a different pair each time."""
    P = len(paragraphs)
    out = [SEED]
    for i in range(1, n):
        a, b = (i - 1) % P, ((i - 1) // P * 7 + (i - 1) * 3 + 1) % P
        b = b if b != a else (b + 1) % P
        out.append(Article(f"synth-{i:05d}", f"Synthetic article {i}", paragraphs[a] + "\n\n" + paragraphs[b]))
    return out


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def ingest_throughput(paragraphs: list[str], tmp: Path) -> dict:
    """bot ingest against raw SentenceTransformer.encode of the very texts it embeds (passages and sentences)."""
    from index.chunking import chunk_article, split_sentences

    articles = [Article(f"t{i}", f"T{i}", p) for i, p in enumerate(paragraphs[:300])]
    texts = [c.text for a in articles for c in chunk_article(a)] + [s.text for a in articles for s in split_sentences(a.text)]
    chunks = sum(len(chunk_article(a)) for a in articles)
    embeddings = LazyEmbeddings(Settings().model_path)
    model = embeddings._model()._client  # the SentenceTransformer itself
    model.encode(texts[:64])
    start = time.perf_counter()
    model.encode(texts, batch_size=64, normalize_embeddings=True)
    raw = time.perf_counter() - start
    bot = NewsBot(Settings(data_dir=tmp / "throughput"), embeddings=embeddings)
    start = time.perf_counter()
    bot.ingest_many(articles)
    ingest = time.perf_counter() - start
    return {"articles": len(articles), "chunks": chunks, "texts": len(texts), "raw_s": raw, "ingest_s": ingest}


def cold_start(tmp: Path) -> float:
    data = tmp / "cold"
    NewsBot(Settings(data_dir=data)).ingest(SEED)
    bot_bin = str(Path(sys.executable).with_name("bot"))
    start = time.perf_counter()
    subprocess.run([bot_bin, "--data-dir", str(data), "ask", "What did India say about the Alaska summit?"],
                   check=True, capture_output=True)
    return time.perf_counter() - start


def latency(bot: NewsBot, questions: list[str]) -> tuple[float, float]:
    for q in questions[:5]:
        bot.ask(q)
    times = []
    for q in questions:
        start = time.perf_counter()
        bot.ask(q)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), percentile(times, 0.95)


def scale(backend: str, settings: Settings, articles: list[Article], questions: list[str], cached: CachedEmbeddings) -> list[dict]:
    rows = []
    bot = NewsBot(settings, embeddings=cached)
    done = 0
    for size in (1, 1000, 10000):
        start = time.perf_counter()
        bot.ingest_many(articles[done:size])
        built = time.perf_counter() - start
        done = size
        fresh = NewsBot(settings)  # a warm worker over the store: its own model, caches filled by warm-up questions
        fresh.warm_up()
        p50, p95 = latency(fresh, questions)
        rows.append({"backend": backend, "articles": size, "p50_ms": p50, "p95_ms": p95, "rss_mb": rss_mb(), "build_s": built})
        print(f"  {backend:8s} {size:6d} articles: p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  (RSS {rss_mb():.0f} MB)", flush=True)
    return rows


def concurrent_api(tmp: Path, seconds: float = 60.0, clients: int = 16) -> dict:
    import httpx

    from index.testing import free_port

    data = tmp / "api"
    NewsBot(Settings(data_dir=data)).ingest(SEED)
    port = free_port()
    proc = subprocess.Popen([str(Path(sys.executable).with_name("bot")), "--data-dir", str(data), "serve", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(url + "/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        questions = [json.loads(line)["question"] for line in DEV.read_text().splitlines() if line.strip()]
        times, errors, lock = [], [0], threading.Lock()
        stop = time.monotonic() + seconds

        def client(i: int) -> None:
            with httpx.Client(base_url=url, timeout=30) as c:
                n = i
                while time.monotonic() < stop:
                    start = time.perf_counter()
                    try:
                        ok = c.post("/api/ask", json={"question": questions[n % len(questions)]}).status_code == 200
                    except httpx.HTTPError:
                        ok = False
                    with lock:
                        times.append((time.perf_counter() - start) * 1000)
                        errors[0] += not ok
                    n += 1

        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return {"requests": len(times), "errors": errors[0], "p50_ms": statistics.median(times), "p95_ms": percentile(times, 0.95),
                "rps": len(times) / seconds}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    from index.testing import free_port, start_chroma

    paragraphs, squad_questions = squad()
    articles = corpus(10000, paragraphs)
    dev_questions = [json.loads(line)["question"] for line in DEV.read_text().splitlines() if line.strip()]
    questions = dev_questions + [q for _, q in squad_questions[:36]]
    tmp = Path(tempfile.mkdtemp(prefix="newsbot-perf-"))
    lines = ["# Performance", "", f"Measured by `benchmarks/performance.py` on {time.strftime('%Y-%m-%d')}, on this project's "
             "machine kind (2 cores, no GPU).", ""]
    try:
        print("ingest throughput…", flush=True)
        t = ingest_throughput(paragraphs, tmp)
        ratio = (t["texts"] / t["ingest_s"]) / (t["texts"] / t["raw_s"])
        print(f"  {t}", flush=True)
        print("cold start…", flush=True)
        cold = cold_start(tmp)
        print(f"  {cold:.2f} s", flush=True)

        cached = CachedEmbeddings(LazyEmbeddings(Settings().model_path))
        print("latency with 1 / 1,000 / 10,000 articles…", flush=True)
        rows = scale("embedded", Settings(data_dir=tmp / "embedded"), articles, questions, cached)
        port = free_port()
        server = start_chroma(tmp / "chroma-server", port)
        try:
            rows += scale("server", Settings(data_dir=tmp / "server", chroma_host="127.0.0.1", chroma_port=port),
                          articles, questions, cached)
        finally:
            server.terminate()
            server.wait(timeout=60)
        print("16 concurrent API clients for 60 s…", flush=True)
        api = concurrent_api(tmp)
        print(f"  {api}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    by = {(r["backend"], r["articles"]): r for r in rows}
    lines += [
        "| measure | figure | target |",
        "|---|---:|---|",
        f"| ingest throughput (`bot ingest`, {t['articles']} articles) | {t['chunks'] / t['ingest_s']:.1f} chunks/s "
        f"({t['texts'] / t['ingest_s']:.1f} texts/s: passages + sentences) | |",
        f"| raw `SentenceTransformer.encode`, same {t['texts']} texts | {t['texts'] / t['raw_s']:.1f} texts/s | |",
        f"| ingest / raw encode | {ratio:.2f}× | ≥ 0.8× |",
        f"| cold start to first answer (`bot ask`, new process) | {cold:.2f} s | |",
    ]
    for backend in ("embedded", "server"):
        for size in (1, 1000, 10000):
            r = by[(backend, size)]
            lines.append(f"| warm question, {backend}, {size:,} article(s): p50 / p95 | {r['p50_ms']:.1f} / {r['p95_ms']:.1f} ms | |")
        ratio = by[(backend, 10000)]["p50_ms"] / by[(backend, 1)]["p50_ms"]
        lines.append(f"| p50 at 10,000 / p50 at 1, {backend} | {ratio:.2f}× | ≤ 1.5× |")
    lines += [
        f"| `/api/ask`, 16 concurrent clients, 60 s: p50 / p95 | {api['p50_ms']:.1f} / {api['p95_ms']:.1f} ms | p95 ≤ 1 s |",
        f"| … requests, errors, throughput | {api['requests']} requests, {api['errors']} errors, {api['rps']:.1f} req/s | 0 errors |",
        f"| resident memory of the benchmark process after the 10,000-article runs | {by[('server', 10000)]['rss_mb']:.0f} MB | |",
        "",
        "![latency against number of articles](performance.png)",
        "",
    ]
    (DOCS / "performance.md").write_text("\n".join(lines), encoding="utf-8")
    plot(rows)
    print("\n".join(lines))


def plot(rows: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
    for backend in ("embedded", "server"):
        rs = [r for r in rows if r["backend"] == backend]
        ax.plot([r["articles"] for r in rs], [r["p50_ms"] for r in rs], marker="o", label=f"{backend} p50")
        ax.plot([r["articles"] for r in rs], [r["p95_ms"] for r in rs], marker="s", ls="--", label=f"{backend} p95")
    ax.set_xscale("log")
    ax.set_xlabel("articles indexed")
    ax.set_ylabel("warm question latency (ms)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(DOCS / "performance.png")


if __name__ == "__main__":
    main()
