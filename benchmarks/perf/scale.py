"""Parts ``scale`` and ``memory``: an archive built up to each size on the embedded store and on a Chroma server,
questions asked at each size by a fresh, warmed-up worker bot, and the resident memory of a ``bot serve`` over the
largest archive.

Building reuses the vectors of repeated text (:class:`perf.corpus.CachedEmbeddings`): article ``i`` is distinct
text ``i mod D`` under its own id, so an archive larger than ``D`` repeats texts. Ingest speed is the ``ingest``
part's business, on distinct texts."""

from __future__ import annotations

import os
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from collections.abc import Iterator

from bot.chain import NewsBot
from bot.settings import Settings
from index.loader import Article
from index.testing import free_port, start_chroma
from perf.common import BOT, ask_body, bot_env, drive, log, output_tail, proc_status, serving, summary
from perf.corpus import CachedEmbeddings, Text, archive, spare_questions, spread_questions

STORES = ("embedded", "server")
AFTER_INGEST = 3  # questions each worker asks after another process's ingest
LATE_ID = "late-arrival"  # the article ingested between them (and removed after)
BUILD_SLICE = 500  # articles per ingest_many call: a progress line between slices


@contextmanager
def store_settings(work: Path, store: str) -> Iterator[Settings]:
    """Settings over ``work/<store>``; for the server, a Chroma server (``work/chroma-server``) while in use."""
    if store == "embedded":
        yield Settings(data_dir=work / "embedded")
        return
    port = free_port()
    server = start_chroma(work / "chroma-server", port)
    try:
        yield Settings(data_dir=work / "server", chroma_host="127.0.0.1", chroma_port=port)
    finally:
        server.terminate()
        server.wait(timeout=120)


def build(builder: NewsBot, texts: list[Text], size: int, label: str) -> dict:
    """Ingest the archive's articles up to ``size`` (those already there are skipped by the store); timings."""
    have = builder.count()
    if have > size:
        raise SystemExit(f"the {label} archive in the work dir already holds {have:,} articles, more than {size:,}: use a new --work")
    start = time.perf_counter()
    last = start
    for first in range(have, size, BUILD_SLICE):
        builder.ingest_many(archive(texts, first, min(size, first + BUILD_SLICE)))
        now = time.perf_counter()
        done = min(size, first + BUILD_SLICE)
        if now - last > 15 or done == size:
            rate = (done - have) / (now - start)
            log(f"  {label}: built {done:,}/{size:,} articles, {rate:.1f} articles/s, ~{(size - done) / rate / 60:.1f} min left")
            last = now
    seconds = time.perf_counter() - start
    return {"added": size - have, "build_s": seconds, "build_articles_per_s": (size - have) / seconds if size > have else None}


def _asked(worker: NewsBot, questions: list[tuple[str, str, list[str]]], scoped: bool) -> list[float]:
    times = []
    for article, question, history in questions:
        start = time.perf_counter()
        worker.ask(question, history, article if scoped else None)
        times.append((time.perf_counter() - start) * 1000)
    return times


def measure(settings: Settings, texts: list[Text], size: int, n: int, probes: list[str], warm: list[str]) -> dict:
    """Warm question latency, scoped and unscoped, each by a fresh worker bot (warm_up and a few questions of no
    archive article first), about articles spread over the archive; one query embedding's time in the scoped worker."""
    out: dict = {}
    workers, later = {}, {}
    for kind, phase in (("scoped", 0.25), ("unscoped", 0.75)):
        questions = spread_questions(texts, size, n + AFTER_INGEST, phase)
        questions, later[kind] = questions[:n], questions[n:]
        start = time.perf_counter()
        worker = workers[kind] = NewsBot(settings)
        worker.warm_up()
        for question in warm:
            worker.ask(question, article=questions[0][0] if kind == "scoped" else None)
        out[f"{kind}_warm_up_s"] = time.perf_counter() - start
        out[kind] = summary(_asked(worker, questions, kind == "scoped"))
        if kind == "scoped":
            times = []
            for text in probes:
                t0 = time.perf_counter()
                worker.embeddings.embed_query(text)
                times.append((time.perf_counter() - t0) * 1000)
            out["query_embedding"] = summary(times)
    out["scoped_over_embedding"] = out["scoped"]["p50_ms"] / out["query_embedding"]["p50_ms"]
    out.update(after_ingest(settings, texts[-1], workers, later))
    return out


def after_ingest(settings: Settings, text: Text, workers: dict[str, NewsBot], questions: dict[str, list]) -> dict:
    """Each warm worker's next questions after another bot (another process, as far as caches go) ingested one
    article: the store's generation changed, so whatever a worker keeps per generation is read again. The
    article is removed afterwards, so the archive keeps its size."""
    other = NewsBot(settings)
    other.ingest(Article(LATE_ID, text.title, text.text))
    time.sleep(workers["scoped"].evidence.ttl + 0.2)  # a worker looks at the generation at most once a ttl
    out = {f"{kind}_after_ingest_ms": _asked(workers[kind], questions[kind], kind == "scoped") for kind in workers}
    other.remove(LATE_ID)
    return out


def run(work: Path, texts: list[Text], sizes: list[int], n: int = 100) -> dict:
    spare = spare_questions(60 + 5 * len(STORES) * len(sizes))
    probes, warm = spare[:50], spare[50:55]
    rows = []
    memo: CachedEmbeddings | None = None
    for store in STORES:
        with store_settings(work, store) as settings:
            if memo is None:  # one memo for both stores: the same embedder, so the same vectors
                memo = CachedEmbeddings(NewsBot(settings).embeddings)
            builder = NewsBot(settings, embeddings=memo)
            for size in sizes:
                log(f"scale: {store} store, building to {size:,} articles")
                built = build(builder, texts, size, store)
                log(f"scale: {store} store, {size:,} articles: asking {n} scoped and {n} unscoped questions")
                start = time.perf_counter()
                row = {"store": store, "articles": size, **built, **measure(settings, texts, size, n, probes, warm),
                       "memo_hits": memo.hits, "memo_misses": memo.misses}
                row["measure_s"] = time.perf_counter() - start
                row["benchmark_rss_mib"] = proc_status(os.getpid())["VmRSS"]  # the build's memo and stores, beside the workers
                rows.append(row)
                log(f"  {store} {size:>7,}: scoped p50 {row['scoped']['p50_ms']:.1f} p95 {row['scoped']['p95_ms']:.1f} ms; "
                    f"unscoped p50 {row['unscoped']['p50_ms']:.1f} p95 {row['unscoped']['p95_ms']:.1f} ms; query embedding "
                    f"p50 {row['query_embedding']['p50_ms']:.1f} ms (scoped/embedding {row['scoped_over_embedding']:.2f}x); "
                    f"asked in {row['measure_s']:.0f} s; this process {row['benchmark_rss_mib']:,.0f} MiB")
    return {"sizes": sizes, "distinct_texts": len(texts), "questions": n, "rows": rows}


def prepare(data_dir: Path, env: dict[str, str]) -> float:
    """One ``bot ask`` over the data dir before it is served or timed: whatever a first use makes (the ONNX export
    of the embedder into the data dir) is made by it, not by the process measured. Its seconds."""
    start = time.perf_counter()
    done = subprocess.run([BOT, "--data-dir", str(data_dir), "ask", "What happened?"], env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"bot ask over {data_dir} failed: {done.stderr[-2000:]}")
    return time.perf_counter() - start


def memory(work: Path, texts: list[Text], size: int, n: int = 300) -> dict:
    """The resident memory of ``bot serve`` (its own process, default settings) over the ``size``-article archive
    (built first if the work dir lacks it), after ``n`` questions over HTTP, half scoped; both stores."""
    bodies = [ask_body(a, q, h) for a, q, h in spread_questions(texts, size, n // 2, 0.25)]
    bodies += [ask_body(None, q, h) for _, q, h in spread_questions(texts, size, n - n // 2, 0.75)]
    bodies = [b for pair in zip(bodies[: n // 2], bodies[n // 2:]) for b in pair] + bodies[2 * (n // 2):]  # alternate
    out = {"articles": size, "questions": len(bodies)}
    for store in STORES:
        with store_settings(work, store) as settings:
            builder = NewsBot(settings)
            if builder.count() < size:
                log(f"memory: the {store} archive holds {builder.count():,} articles; building to {size:,}")
                build(NewsBot(settings, embeddings=CachedEmbeddings(builder.embeddings)), texts, size, store)
            env = bot_env(chroma_host=settings.chroma_host, chroma_port=settings.chroma_port if settings.chroma_host else None)
            prepare(settings.data_dir, env)
            with serving(settings.data_dir, env) as (url, proc, output):
                before = proc_status(proc.pid)
                log(f"memory: {store}: {before['VmRSS']:.0f} MiB after start; asking {len(bodies)} questions")
                asked = drive(url, bodies, clients=4)
                after = proc_status(proc.pid)
            out[store] = {"start_rss_mib": before["VmRSS"], "rss_mib": after["VmRSS"], "hwm_mib": after["VmHWM"],
                          "latency": asked["latency"], "errors": asked["errors"]}
            if asked["errors"]:
                out[store]["serve_output"] = output_tail(output)
                log(f"memory: {store}: failed requests {asked['errors']}; bot serve's output: {output}")
            log(f"memory: {store}: VmRSS {after['VmRSS']:.0f} MiB, VmHWM {after['VmHWM']:.0f} MiB "
                f"(p50 {asked['latency']['p50_ms']:.0f} ms, errors {sum(asked['errors'].values())})")
    return out

