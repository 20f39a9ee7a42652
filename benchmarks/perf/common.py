"""What the parts share: where results go, progress lines with timings, the environment of the ``bot`` processes
they start, a ``bot serve`` process, its memory, and an asyncio driver of ``/api/ask`` requests."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from collections.abc import Iterator

import httpx

from bot.evaluate import percentile
from index.testing import free_port

ROOT = Path(__file__).resolve().parents[2]
BOT = str(Path(sys.executable).with_name("bot"))


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def summary(times_ms: list[float], keep: bool = True) -> dict:
    """p50, p95, mean, max and count of latencies in ms (with ``keep``, the raw list too)."""
    if not times_ms:
        return {"n": 0, "p50_ms": float("nan"), "p95_ms": float("nan"), "mean_ms": float("nan"), "max_ms": float("nan")}
    out = {"n": len(times_ms), "p50_ms": statistics.median(times_ms), "p95_ms": percentile(times_ms, 0.95),
           "mean_ms": statistics.fmean(times_ms), "max_ms": max(times_ms)}
    return out | ({"times_ms": [round(t, 2) for t in times_ms]} if keep else {})


def machine() -> dict:
    """What the figures were measured on."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    except OSError:
        commit = ""
    return {"date": time.strftime("%Y-%m-%d %H:%M"), "cores": os.cpu_count(), "cpu": cpu,
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1), "commit": commit}


def save(results: Path, part: str, data: dict) -> None:
    results.mkdir(parents=True, exist_ok=True)
    (results / f"{part}.json").write_text(json.dumps({"machine": machine(), **data}, indent=1), encoding="utf-8")
    log(f"{part}: results in {results / f'{part}.json'}")


def bot_env(**settings: str | int | None) -> dict[str, str]:
    """The environment of a ``bot`` process: this checkout's code first, no rate limit (one address asks
    everything here; benchmarks/limits.py measures the limits), and the ``BOT_*`` settings given (None: unset)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env["BOT_RATE_LIMIT"] = "0"
    for key, value in settings.items():
        name = f"BOT_{key.upper()}"
        if value is None:
            env.pop(name, None)
        else:
            env[name] = str(value)
    return env


def proc_status(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (the peak) of a process, in MiB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key = line.split(":", 1)[0]
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(line.split()[1]) / 1024
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def serving(data_dir: Path, env: dict[str, str], timeout: float = 1800) -> Iterator[tuple[str, subprocess.Popen, Path]]:
    """``bot --data-dir DIR serve --port P`` as its own process, until it answers ``/healthz``: its URL, the process
    and the file its output goes to."""
    port = free_port()
    started = time.perf_counter()
    output = data_dir.with_name(f"{data_dir.name}-serve-{port}.log")  # a file, not a pipe: a full pipe would stall the server
    with output.open("w") as sink:
        proc = subprocess.Popen([BOT, "--data-dir", str(data_dir), "serve", "--port", str(port)], env=env,
                                stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"bot serve stopped (exit {proc.returncode}): {output.read_text()[-3000:]}")
            if time.perf_counter() - started > timeout:
                raise SystemExit(f"bot serve did not answer /healthz in {timeout:.0f} s")
            try:
                if httpx.get(url + "/healthz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        log(f"bot serve (pid {proc.pid}) answers after {time.perf_counter() - started:.1f} s; its output goes to {output}")
        yield url, proc, output
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def output_tail(path: Path, lines: int = 60) -> str:
    """The end of a server's output, kept in the results when a request failed (the work dir may be temporary)."""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def ask_body(article: str | None, question: str, history: list[str]) -> dict:
    return {"question": question, "history": history, "article": article}


class _Connection:
    """One keep-alive HTTP/1.1 connection posting JSON, on asyncio streams: a load generator must not set the pace,
    and httpx's client took 4.5 ms of CPU a request, most of one core at 190 requests/s on a 2-core machine."""

    def __init__(self, url: str) -> None:
        host, _, port = url.removeprefix("http://").partition(":")
        self.host, self.port = host, int(port or 80)
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, path: str, body: dict) -> int:
        """The response's status; the connection is opened (again) when needed."""
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        data = json.dumps(body).encode()
        writer.write(f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            await reader.readexactly(int(headers["content-length"]))
        except BaseException:
            self.close()
            raise
        if headers.get("connection", "").lower() == "close":
            self.close()
        return int(lines[0].split()[1])

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


async def _drive(url: str, bodies: list[dict], clients: int, seconds: float | None) -> dict:
    """``clients`` tasks posting ``bodies`` in turn, each on its own keep-alive connection: until every body was sent
    once (``seconds`` None) or for ``seconds``. A ticker measures how late the event loop wakes up: a late loop would
    mean the client, not the server, sets the pace."""
    times: list[float] = []
    errors: dict[str, int] = {}
    lags: list[float] = []
    done = asyncio.Event()
    cursor = iter(range(10**12))
    deadline = time.perf_counter() + seconds if seconds is not None else None

    async def ticker() -> None:
        while not done.is_set():
            start = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append((time.perf_counter() - start - 0.01) * 1000)

    async def client() -> None:
        connection = _Connection(url)
        try:
            while True:
                n = next(cursor)
                if (deadline is None and n >= len(bodies)) or (deadline is not None and time.perf_counter() >= deadline):
                    return
                start = time.perf_counter()
                try:
                    status = await asyncio.wait_for(connection.post("/api/ask", bodies[n % len(bodies)]), 60)
                    problem = None if status == 200 else f"HTTP {status}"
                except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, KeyError, ValueError) as exc:
                    problem = type(exc).__name__
                times.append((time.perf_counter() - start) * 1000)
                if problem:
                    errors[problem] = errors.get(problem, 0) + 1
        finally:
            connection.close()

    tick = asyncio.create_task(ticker())
    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    wall = time.perf_counter() - started
    done.set()
    await tick
    return {"wall_s": wall, "latency": summary(times), "errors": errors, "loop_lag_ms": summary(lags, keep=False)}


def drive(url: str, bodies: list[dict], clients: int, seconds: float | None = None) -> dict:
    return asyncio.run(_drive(url, bodies, clients, seconds))
