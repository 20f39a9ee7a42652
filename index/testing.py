"""Helpers for the benchmarks and the tests: a free loopback port, a Chroma server, and the web app served by uvicorn.

They live in the package, not under ``tests/``, because the benchmarks use them too and import nothing
from the tests. The tests' fakes (the fake embedder, the in-memory store) are in ``tests/fakes.py``.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Self

__all__ = ["LiveServer", "free_port", "start_chroma"]


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_chroma(path: Path, port: int) -> subprocess.Popen:
    """`chroma run` (from the chromadb package) on a loopback port; returns the process once it answers."""
    import httpx

    binary = Path(sys.executable).with_name("chroma")
    proc = subprocess.Popen(
        [str(binary), "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("chroma run did not start")


class LiveServer:
    """The real ASGI app (API + Gradio, ``app.create_app(bot)``) served by uvicorn on a loopback port, in a
    thread: ``with LiveServer(bot, free_port()) as server: httpx.get(server.url + "/healthz")``."""

    def __init__(self, bot: Any, port: int) -> None:
        import uvicorn

        # the web front end sits above this package: imported only when serving
        from app import create_app

        self.bot = bot
        self.url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(uvicorn.Config(create_app(bot), host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
