"""Test and benchmark helpers shipped with the package: a deterministic fake token embedder and a Chroma server.

:class:`FakeTokenEmbeddings` is a real :class:`~langchain_core.embeddings.Embeddings` subclass with
the token interface of :class:`~index.embeddings.LazyEmbeddings` (``embed_query_tokens``,
``token_vectors``) and static ``word_vectors`` (WordLlama's role), so the ranker, the features, the answerability model and the quoting run
and are tested with no model loaded. Every word gets a fixed pseudo-random unit vector (from a
hash of the lower-cased word); a text's vector is the normalised mean of its words'. The same
word always matches itself, different words nearly never do: lexical, not semantic, similarity.
"""

from __future__ import annotations

import hashlib
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from index.embeddings import TokenVectors

__all__ = ["FakeTokenEmbeddings", "free_port", "start_chroma"]

_WORD = re.compile(r"\w+")


class FakeTokenEmbeddings(Embeddings):
    """Deterministic word-hash embeddings with word pieces (one piece per word); loads nothing."""

    def __init__(self, size: int = 64) -> None:
        self.size = size

    def _word(self, word: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha1(word.lower().encode()).digest()[:8], "little")
        vector = np.random.default_rng(seed).standard_normal(self.size)
        return (vector / np.linalg.norm(vector)).astype(np.float32)

    def _pieces(self, text: str, start: int = 0, end: int | None = None) -> TokenVectors:
        words = [m.group() for m in _WORD.finditer(text) if m.start() >= start and m.end() <= (len(text) if end is None else end)]
        vectors = np.vstack([self._word(w) for w in words]) if words else np.zeros((0, self.size), np.float32)
        return TokenVectors(vectors, [w.lower() for w in words])

    def _vector(self, text: str) -> list[float]:
        pieces = self._pieces(text).vectors
        mean = pieces.mean(axis=0) if len(pieces) else np.ones(self.size, np.float32)
        return (mean / max(float(np.linalg.norm(mean)), 1e-9)).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)

    def embed_query_tokens(self, text: str) -> tuple[list[float], TokenVectors]:
        return self._vector(text), self._pieces(text)

    def word_vectors(self, words: list[str]) -> np.ndarray:
        """Static word vectors (in place of WordLlama's), one unit row per word."""
        return np.vstack([self._word(w) for w in words]) if words else np.zeros((0, self.size), np.float32)

    def token_vectors(self, texts: list[str], spans: list[list[tuple[int, int]]]) -> list[list[TokenVectors]]:
        return [[self._pieces(text, a, b) for a, b in text_spans] for text, text_spans in zip(texts, spans)]


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
