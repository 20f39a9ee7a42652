"""Parts ``cold`` and ``concurrent``: a new ``bot ask`` process to its first answer (beside ``python -c "import
torch"``), and 64 clients on ``/api/ask`` of a ``bot serve`` for 60 s."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from bot.chain import NewsBot
from bot.settings import Settings
from index.loader import Article
from perf.common import BOT, ask_body, bot_env, cpu_seconds, drive, log, output_tail, own_cpu_seconds, serving
from perf.corpus import Text, news, seed
from perf.scale import prepare


def small_archive(data_dir: Path, count: int) -> list[tuple[str, Text]]:
    """The bundled article and the first ``count - 1`` articles of benchmarks/news, ingested: (id, text) each."""
    texts = [seed(), *news()[: count - 1]]
    ids = [f"c{i:02d}" for i in range(len(texts))]
    NewsBot(Settings(data_dir=data_dir)).ingest_many([Article(i, t.title, t.text) for i, t in zip(ids, texts)])
    return list(zip(ids, texts))


def _timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr[-2000:]}")
    return seconds


def cold(work: Path, runs: int = 5) -> dict:
    """Median of ``runs`` new ``bot ask`` processes over a data dir of 5 articles, each to its printed answer, after
    one untimed run (the disk cache warm, as on a server that has run the bot before); ``import torch`` the same way."""
    data = work / "cold"
    archive = small_archive(data, 5)
    env = bot_env()
    log(f"cold: first bot ask (untimed) took {prepare(data, env):.1f} s")
    question = archive[0][1].questions[0][0]
    asks = []
    for r in range(runs):
        asks.append(_timed([BOT, "--data-dir", str(data), "ask", question], env))
        log(f"  cold bot ask {r + 1}/{runs}: {asks[-1]:.2f} s")
    _timed([sys.executable, "-c", "import torch"], env)
    torch = [_timed([sys.executable, "-c", "import torch"], env) for _ in range(runs)]
    log(f"cold: bot ask median {statistics.median(asks):.2f} s (target <= 2.0 s); import torch median {statistics.median(torch):.2f} s")
    return {"ask_s": statistics.median(asks), "ask_runs_s": asks, "import_torch_s": statistics.median(torch),
            "import_torch_runs_s": torch, "articles": len(archive), "question": question}


def concurrent(work: Path, clients: int = 64, seconds: float = 60.0) -> dict:
    """``clients`` concurrent clients on ``/api/ask`` for ``seconds``: dev.jsonl's questions about the bundled
    article and the questions of 8 news articles, each asked scoped and unscoped, in turn. Twice: with the default
    settings (the figures the target is read from: after the first round every question is a repeat, which the
    answer cache gives again), then with ``BOT_ANSWER_CACHE=0``, every question answered afresh."""
    data = work / "api"
    archive = small_archive(data, 9)
    bodies = [ask_body(scope, q, list(h)) for i, t in archive for q, h in t.questions for scope in (i, None)]
    prepare(data, bot_env())
    result = _concurrent(data, bodies, bot_env(), clients, seconds, "default settings")
    result["uncached"] = _concurrent(data, bodies, bot_env(answer_cache=0), clients, seconds, "BOT_ANSWER_CACHE=0")
    return result


def _concurrent(data: Path, bodies: list[dict], env: dict[str, str], clients: int, seconds: float, label: str) -> dict:
    with serving(data, env) as (url, proc, output):
        drive(url, bodies[:64], clients=8)  # warm: every worker thread's first request, each article's evidence
        log(f"concurrent ({label}): {clients} clients for {seconds:.0f} s, {len(bodies)} distinct requests in turn")
        client_cpu, server_cpu = own_cpu_seconds(), cpu_seconds(proc.pid)
        out = drive(url, bodies, clients, seconds)
        client_cpu, server_cpu = own_cpu_seconds() - client_cpu, cpu_seconds(proc.pid) - server_cpu
        tail = output_tail(output) if out["errors"] else None
    latency = out["latency"]
    result = {
        "clients": clients, "seconds": seconds, "wall_s": out["wall_s"], "distinct_requests": len(bodies),
        "requests": latency["n"], "errors": sum(out["errors"].values()), "error_kinds": out["errors"],
        "p50_ms": latency["p50_ms"], "p95_ms": latency["p95_ms"], "max_ms": latency["max_ms"], "rps": latency["n"] / out["wall_s"],
        "client_cpu_cores": client_cpu / out["wall_s"], "server_cpu_cores": server_cpu / out["wall_s"],
        "client_cpu_ms_per_request": client_cpu * 1000 / max(1, latency["n"]),
        "loop_lag_p95_ms": out["loop_lag_ms"]["p95_ms"],
    } | ({"serve_output": tail} if tail else {})
    log(f"concurrent ({label}): {result['requests']} requests, {result['errors']} errors, {result['rps']:.1f} req/s, p50 "
        f"{result['p50_ms']:.0f} ms, p95 {result['p95_ms']:.0f} ms (target <= 500); client used "
        f"{result['client_cpu_cores']:.2f} cores, server {result['server_cpu_cores']:.2f}; "
        f"event loop lag p95 {result['loop_lag_p95_ms']:.1f} ms")
    return result
