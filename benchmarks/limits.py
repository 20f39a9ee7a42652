"""What the limits and the question log cost a question, and the limits under load.

    .venv/bin/python benchmarks/limits.py                       # SQLite in a temp data dir
    NEWSBOT_TEST_DATABASE_URL=postgresql://… .venv/bin/python benchmarks/limits.py   # PostgreSQL too

Serves the bundled article with uvicorn in this process, three ways in one run: no limits and no
log (the baseline), then limits and log on SQLite, then (when a PostgreSQL URL is given) on
PostgreSQL. For each it prints the median and p95 of `/api/ask` over 100 sequential questions from
one client and the ratio to the baseline. Then 8 clients (8 loopback addresses) each send 20
questions at once to a server allowing 10 a minute in bursts of 5, and it prints what each got.
Prints the figures; asserts nothing.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.chain import NewsBot  # noqa: E402
from bot.evaluate import percentile  # noqa: E402
from bot.settings import Settings  # noqa: E402
from index.testing import LiveServer, free_port  # noqa: E402

QUESTIONS = [
    "What did India say about the Alaska summit?",
    "Who did Kiren Rijiju meet in New Delhi?",
    "How long did the Alaska summit last?",
    "What is the weather like in New Delhi today?",
]


def _client(address: str) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=60)


def _latencies(url: str, n: int = 100) -> list[float]:
    times = []
    with _client("127.0.0.1") as client:
        for i in range(n):
            started = time.perf_counter()
            client.post(url + "/api/ask", json={"question": QUESTIONS[i % len(QUESTIONS)]}).raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    base = Path(tempfile.mkdtemp(prefix="newsbot-limits-"))
    seed = base / "seed"
    NewsBot(Settings(data_dir=seed)).ingest_bundled()
    runs = [("no limits, no log (baseline)", {"rate_limit": 0, "log_questions": False}),
            ("limits + log, SQLite", {"rate_limit": 1_000_000, "rate_burst": 1000})]
    if os.environ.get("NEWSBOT_TEST_DATABASE_URL"):
        runs.append(("limits + log, PostgreSQL", {"rate_limit": 1_000_000, "rate_burst": 1000,
                                                   "database_url": os.environ["NEWSBOT_TEST_DATABASE_URL"]}))
    print("| setup | median ms | p95 ms | ratio to baseline |\n|---|---|---|---|")
    baseline = None
    for name, overrides in runs:
        data = base / f"run{len(name)}"
        shutil.copytree(seed, data)
        with LiveServer(NewsBot(Settings(data_dir=data, **overrides)), free_port()) as server:
            _latencies(server.url, 10)  # warm
            times = _latencies(server.url)
        median = statistics.median(times)
        baseline = baseline or median
        print(f"| {name} | {median:.1f} | {percentile(times, 95):.1f} | {median / baseline:.2f}× |")

    data = base / "load"
    shutil.copytree(seed, data)
    with LiveServer(NewsBot(Settings(data_dir=data, rate_limit=10, rate_burst=5)), free_port()) as server:
        def burst(address: str) -> Counter:
            with _client(address) as client, ThreadPoolExecutor(20) as pool:
                replies = list(pool.map(lambda q: client.post(server.url + "/api/ask", json={"question": q}),
                                        [QUESTIONS[i % len(QUESTIONS)] for i in range(20)]))
            return Counter(r.status_code for r in replies), max((int(r.headers.get("Retry-After", 0)) for r in replies), default=0)

        started = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(burst, [f"127.0.0.{i}" for i in range(1, 9)]))
        took = time.perf_counter() - started
    print(f"\n8 clients × 20 questions at once, limit 10 a minute in bursts of 5 ({took:.1f} s):\n")
    print("| client | 200 | 429 | longest Retry-After s |\n|---|---|---|---|")
    for i, (codes, wait) in enumerate(results, 1):
        print(f"| 127.0.0.{i} | {codes.get(200, 0)} | {codes.get(429, 0)} | {wait} |")


if __name__ == "__main__":
    main()
