"""Part ``ingest``: ``NewsBot.ingest_many`` against a raw torch ``SentenceTransformer.encode`` of exactly the texts
ingest embeds (passages from ``chunk_article``, sentences from ``split_sentences``), side by side, each in its own
process, alternating, best of ``repeats`` each."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from bot.settings import Settings
from index.chunking import chunk_article, split_sentences
from index.loader import Article
from perf.common import bot_env, log
from perf.corpus import news, seed, squad_pairs

HELPER = Path(__file__).with_name("throughput.py")


def articles(n: int) -> list[Article]:
    """``n`` distinct articles (of the 233 news articles, the bundled one and 66 SQuAD paragraph pairs, shuffled)."""
    texts = news() + [seed()]
    texts += squad_pairs(max(0, 300 - len(texts)))
    random.Random(7).shuffle(texts)
    return [Article(f"t{i:03d}", t.title, t.text) for i, t in enumerate(texts[:n])]


def _helper(*args: str) -> dict:
    done = subprocess.run([sys.executable, str(HELPER), *args], env=bot_env(), capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{HELPER.name} {args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(work: Path, n: int = 300, repeats: int = 2, workers: int | None = None) -> dict:
    settings = Settings()
    chosen = articles(n)
    chunks = [c.text for a in chosen for c in chunk_article(a, settings.chunk_size, settings.chunk_overlap)]
    sentences = [s.text for a in chosen for s in split_sentences(a.text)]
    texts = chunks + sentences
    folder = work / "ingest"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "texts.json").write_text(json.dumps(texts), encoding="utf-8")
    (folder / "articles.json").write_text(json.dumps([asdict(a) for a in chosen]), encoding="utf-8")
    log(f"ingest: {len(chosen)} articles, {len(chunks)} passages + {len(sentences)} sentences = {len(texts)} texts")
    raw_s, ingest_runs = [], []
    for r in range(repeats):
        out = _helper("raw", str(folder / "texts.json"))
        raw_s.append(out["seconds"])
        log(f"  raw encode {r + 1}/{repeats}: {out['seconds']:.1f} s, {len(texts) / out['seconds']:.1f} texts/s")
        data = folder / f"data{r}"
        if r and (folder / "data0" / "models").is_dir():  # the ONNX export of the first run, not made again
            shutil.copytree(folder / "data0" / "models", data / "models")
        out = _helper("ingest", str(folder / "articles.json"), str(data), str(workers or ""))
        ingest_runs.append(out)
        log(f"  ingest {r + 1}/{repeats} ({out['backend']}): {out['seconds']:.1f} s, {len(texts) / out['seconds']:.1f} texts/s, "
            f"{out['articles'] / out['seconds']:.2f} articles/s")
    best = min(ingest_runs, key=lambda o: o["seconds"])
    raw_best = min(raw_s)
    result = {
        "articles": len(chosen), "chunks": len(chunks), "sentences": len(sentences), "texts": len(texts),
        "backend": best["backend"], "workers": workers, "repeats": repeats,
        "raw_s": raw_best, "ingest_s": best["seconds"], "raw_runs_s": raw_s, "ingest_runs_s": [o["seconds"] for o in ingest_runs],
        "raw_texts_per_s": len(texts) / raw_best, "ingest_texts_per_s": len(texts) / best["seconds"],
        "articles_per_s": len(chosen) / best["seconds"], "ratio": raw_best / best["seconds"],
    }
    log(f"ingest: {result['ingest_texts_per_s']:.1f} texts/s vs raw {result['raw_texts_per_s']:.1f} texts/s = "
        f"{result['ratio']:.2f}x (target >= 2.0x); {result['articles_per_s']:.2f} articles/s")
    return result
