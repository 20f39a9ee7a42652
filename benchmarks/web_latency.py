"""Time to first streamed token and to the full answer against a running `bot serve`, and 8 concurrent clients.

    .venv/bin/python benchmarks/web_latency.py            # starts its own server on a free port
    .venv/bin/python benchmarks/web_latency.py --url http://127.0.0.1:7860

Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bot.evaluate import percentile

# the benchmarks ask many questions from one address: no rate limit (benchmarks/limits.py measures the limits)
os.environ.setdefault("BOT_RATE_LIMIT", "0")

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = [
    ("What did India say about the Alaska summit?", "welcomed"),
    ("Whom did Putin meet in Alaska?", "Trump"),
    ("Which Russian federal subject does Batu Khasikov lead?", "Kalmykia"),
    ("What bond did Rijiju underline?", "strategic bond"),
    ("What did the two leaders issue at the end of the Alaska summit?", "statements"),
    ("What does India advocate for while balancing major powers?", "dialogue"),
    ("What did India state about the atmosphere of the U.S.-Russia talks?", "constructive"),
    ("Did the Alaska meeting run to its planned length?", "three"),
    ("Who briefed Prime Minister Modi on the Alaska meeting?", "Putin"),
    ("What is the weather like in New Delhi today?", "doesn't say"),
]


def stream_once(client: httpx.Client, question: str) -> tuple[float, float, str]:
    start = time.perf_counter()
    first = None
    text = ""
    body = {"model": "newsbot", "stream": True, "messages": [{"role": "user", "content": question}]}
    with client.stream("POST", "/v1/chat/completions", json=body) as response:
        for line in response.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            delta = json.loads(line[6:])["choices"][0]["delta"].get("content")
            if delta:
                first = first or time.perf_counter()
                text += delta
    return first - start, time.perf_counter() - start, text


def start_server() -> tuple[subprocess.Popen, str, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = tempfile.mkdtemp(prefix="newsbot-bench-")
    env = {**os.environ, "BOT_DATA_DIR": data}
    proc = subprocess.Popen([str(Path(sys.executable).with_name("bot")), "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(url + "/healthz").status_code == 200:
                return proc, url, data
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url")
    parser.add_argument("--n", type=int, default=20)
    args = parser.parse_args()
    proc = data = None
    url = args.url
    if not url:
        proc, url, data = start_server()
    try:
        with httpx.Client(base_url=url, timeout=120) as client:
            stream_once(client, "warm-up question")
            firsts, fulls, wrong = [], [], 0
            for i in range(args.n):
                question, expected = QUESTIONS[i % len(QUESTIONS)]
                first, full, text = stream_once(client, question)
                firsts.append(first * 1000)
                fulls.append(full * 1000)
                wrong += expected.lower() not in text.lower()
        print(f"sequential, {args.n} questions over SSE (/v1/chat/completions, stream=true), {wrong} wrong")
        print(f"  first token  median {statistics.median(firsts):7.1f} ms   p95 {percentile(firsts, 0.95):7.1f} ms")
        print(f"  full answer  median {statistics.median(fulls):7.1f} ms   p95 {percentile(fulls, 0.95):7.1f} ms")

        results: dict[int, tuple[bool, float]] = {}

        def worker(i: int) -> None:
            question, expected = QUESTIONS[i % len(QUESTIONS)]
            with httpx.Client(base_url=url, timeout=120) as c:
                start = time.perf_counter()
                response = c.post("/api/ask", json={"question": question})
                ok = response.status_code == 200 and expected.lower() in response.json()["answer"].lower()
                results[i] = (ok, (time.perf_counter() - start) * 1000)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = (time.perf_counter() - start) * 1000
        correct = sum(ok for ok, _ in results.values())
        slowest = max(ms for _, ms in results.values())
        print(f"8 concurrent /api/ask clients: {correct}/8 correct, slowest {slowest:.1f} ms, all done in {wall:.1f} ms")
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=30)
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
