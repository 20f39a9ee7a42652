"""One timed encode in a process of its own, so the two sides of the ingest comparison never share threads or
warm caches: ``raw TEXTS.json`` times ``SentenceTransformer.encode(texts, batch_size=64,
normalize_embeddings=True)``; ``ingest ARTICLES.json DATA_DIR [WORKERS]`` times ``NewsBot.ingest_many`` with the
default settings. Each loads its model and encodes a few texts before the clock starts, then prints one JSON line."""

from __future__ import annotations

import inspect
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def raw(texts_file: str) -> dict:
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        os.environ.setdefault(key, "1")
    from sentence_transformers import SentenceTransformer

    from bot.settings import Settings

    texts = json.loads(Path(texts_file).read_text(encoding="utf-8"))
    model = SentenceTransformer(Settings().model_path, device="cpu")
    model.encode(texts[:64], batch_size=64, normalize_embeddings=True)
    start = time.perf_counter()
    model.encode(texts, batch_size=64, normalize_embeddings=True)
    return {"seconds": time.perf_counter() - start, "texts": len(texts)}


def ingest(articles_file: str, data_dir: str, workers: str = "") -> dict:
    from bot.chain import NewsBot
    from bot.settings import Settings
    from index.loader import Article

    articles = [Article(**a) for a in json.loads(Path(articles_file).read_text(encoding="utf-8"))]
    bot = NewsBot(Settings(data_dir=Path(data_dir)))
    bot.embeddings.embed_documents(["A warm-up sentence.", "Another one, a little longer than the first."])
    extra = {}
    if workers:
        if "workers" not in inspect.signature(bot.ingest_many).parameters:
            raise SystemExit("--ingest-workers: NewsBot.ingest_many takes no workers here")
        extra["workers"] = int(workers)
    start = time.perf_counter()
    results = bot.ingest_many(articles, **extra)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "articles": len(results), "backend": bot.settings.embedding_backend,
            "chunks": sum(r.chunks for r in results), "sentences": sum(r.sentences for r in results)}


if __name__ == "__main__":
    mode, *rest = sys.argv[1:]
    print(json.dumps(raw(*rest) if mode == "raw" else ingest(*rest)))
