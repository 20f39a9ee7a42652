"""Ingest throughput against a raw torch ``SentenceTransformer.encode`` of the very texts it embeds, side by side.

    .venv/bin/python benchmarks/ingest_speed.py [--articles 300] [--workers 1 2] [--repeats 3] [--profile]

The articles are the first ``--articles`` SQuAD paragraphs (distinct real prose), as in
``benchmarks/performance.py``'s ``ingest_throughput``; the texts are their passages and sentences. Each
repeat times, one after the other: the raw encode (batch 64, normalised; the model loaded outside the
timing), then one ``NewsBot.ingest_many`` per ``--workers`` value into a new data dir, with the embedder the
settings name (``BOT_EMBEDDING_BACKEND``, ``BOT_DEVICE``). Each ingest first stores one other article, so
its sessions load outside the timing as the raw side's model does. The machine is shared: the load average
is printed beside each figure, and the medians of the per-repeat ratios at the end.

``--profile`` adds where one ingest's time goes: splitting, encoding (thread time, summed over the encoder
threads), the main thread's wait for vectors, the Chroma writes, the write lock.
"""

from __future__ import annotations

import argparse
import collections
import inspect
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.chain import NewsBot  # noqa: E402
from bot.settings import Settings  # noqa: E402
from index.chunking import chunk_article, split_sentences  # noqa: E402
from index.embeddings import LazyEmbeddings  # noqa: E402
from index.loader import Article  # noqa: E402

SQUAD = Path("/work/shared/eval/squad-v2/dev-v2.0-16-articles.json")  # as benchmarks/embedder_backends.py reads it


def squad_articles(n: int) -> list[Article]:
    data = json.loads(SQUAD.read_text(encoding="utf-8"))["data"]
    paragraphs = [p["context"] for entry in data for p in entry["paragraphs"]]
    return [Article(f"t{i}", f"T{i}", p) for i, p in enumerate(paragraphs[:n])]


def raw_seconds(texts: list[str]) -> float:
    model = LazyEmbeddings(Settings().model_path)._model()._client  # the SentenceTransformer itself
    model.encode(texts[:64])
    start = time.perf_counter()
    model.encode(texts, batch_size=64, normalize_embeddings=True)
    return time.perf_counter() - start


def ingest_seconds(articles: list[Article], workers: int, models: Path) -> float:
    with tempfile.TemporaryDirectory(prefix="newsbot-ingest-") as tmp:
        settings = Settings(data_dir=Path(tmp))
        bot = NewsBot(settings)
        if hasattr(bot.embeddings, "cache_dir"):
            bot.embeddings.cache_dir = models  # one ONNX export for every run, made outside the timing
        options = {"workers": workers} if "workers" in inspect.signature(bot.ingest_many).parameters else {}  # older code: none
        bot.ingest_many([Article("warm-up", "Warm up", "A warm-up article. It loads the sessions.")], **options)
        start = time.perf_counter()
        bot.ingest_many(articles, **options)
        return time.perf_counter() - start


class Profile:
    """Seconds spent in named functions (summed over threads), by wrapping them for one ingest."""

    def __init__(self) -> None:
        self.seconds: collections.Counter[str] = collections.Counter()

    def wrap(self, owner, name: str, label: str) -> None:
        inner = getattr(owner, name)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - start

        setattr(owner, name, timed)


def profile(articles: list[Article], workers: int, models: Path) -> None:
    import index.encoding
    import index.transactions
    from index.store import ArticleStore

    found = Profile()
    found.wrap(index.transactions, "chunk_article", "split: chunk_article (split thread)")
    found.wrap(index.transactions, "split_sentences", "split: split_sentences (split thread)")
    found.wrap(index.encoding.Encoding, "result", "main thread waits for vectors")
    for name in ("_commit", "_writing", "_article_metas", "_finish", "_add"):
        found.wrap(ArticleStore, name, f"store: {name}")
    with tempfile.TemporaryDirectory(prefix="newsbot-ingest-") as tmp:
        bot = NewsBot(Settings(data_dir=Path(tmp)))
        if hasattr(bot.embeddings, "cache_dir"):
            bot.embeddings.cache_dir = models
        bot.ingest_many([Article("warm-up", "Warm up", "A warm-up article. It loads the sessions.")], workers=workers)
        found.wrap(type(bot.embeddings), "embed_documents", "encode: embed_documents (encoder threads, summed)")
        found.seconds.clear()
        start = time.perf_counter()
        bot.ingest_many(articles, workers=workers)
        total = time.perf_counter() - start
    print(f"\nprofile, {workers} worker(s): {total:.2f} s wall")
    for label, seconds in sorted(found.seconds.items(), key=lambda item: -item[1]):
        print(f"  {label:55s} {seconds:7.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", type=Path, default=Settings().data_dir / "models", help="the ONNX export cache")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    articles = squad_articles(args.articles)
    texts = [c.text for a in articles for c in chunk_article(a)] + [s.text for a in articles for s in split_sentences(a.text)]
    settings = Settings()
    print(f"{len(articles)} articles, {len(texts)} texts (passages + sentences); backend {settings.embedding_backend}, "
          f"device {getattr(settings, 'device', 'cpu (older code)')}, {os.cpu_count()} cores")
    ratios: dict[int, list[float]] = {w: [] for w in args.workers}
    for repeat in range(args.repeats):
        raw = raw_seconds(texts)
        print(f"repeat {repeat}: raw encode {len(texts) / raw:6.1f} texts/s (load {os.getloadavg()[0]:.1f})", flush=True)
        for workers in args.workers:
            seconds = ingest_seconds(articles, workers, args.models)
            ratios[workers].append(raw / seconds)
            print(f"          ingest, {workers} worker(s): {len(texts) / seconds:6.1f} texts/s, {len(articles) / seconds:5.1f} "
                  f"articles/s = {raw / seconds:.2f}x raw (load {os.getloadavg()[0]:.1f})", flush=True)
    for workers, found in ratios.items():
        print(f"median ingest / raw encode, {workers} worker(s): {statistics.median(found):.2f}x  {[round(r, 2) for r in found]}")
    if args.profile:
        for workers in args.workers:
            profile(articles, workers, args.models)


if __name__ == "__main__":
    main()
