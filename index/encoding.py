"""Ingest's document encoding: runs of texts of like length spread over encoder threads, on the device
``BOT_DEVICE`` picks.

:class:`Encoder` takes the passages and sentences of one batch of articles, sorts them by length and cuts
them into runs (one model call each, little padding), and hands the runs to ``workers`` threads;
:meth:`Encoder.submit` returns at once, so ingest splits the next batch and writes the last one while
this one encodes (:meth:`index.transactions.TransactionalWrites.ingest_many`). The runs are the same
whatever the number of workers, so the vectors are too.

Threads, not processes: an onnxruntime run and a tokenizer call release the interpreter lock, so two
threads each with a one-thread session keep two cores busy with one copy of the model and no texts or
vectors pickled between processes. On this project's 2-core machine that gave <measured below>.

:func:`ingest_encoder` chooses: on a GPU (``cuda``, or ``auto`` when torch sees one) the model runs through
sentence-transformers there, in one thread; on the CPU the ONNX embedder runs in ``workers`` threads
that share the cores (each session gets cores / workers threads); the torch embedder, which spreads
every batch over the cores itself, and any other embeddings (the tests' fakes) run in one thread.
Questions never come here: they stay on the embedder the bot was built with.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Literal

from langchain_core.embeddings import Embeddings

from index.errors import BackendUnavailableError

__all__ = ["Device", "Encoder", "Encoding", "gpu_visible", "ingest_encoder", "resolve_device", "runs"]

Device = Literal["cpu", "cuda", "auto"]

#: Texts per model call: sentence-transformers' 64 on the CPU, and more on a GPU, which a run of 64 short texts
#: leaves idle.
CPU_RUN = 64
GPU_RUN = 256
#: Texts per call of the ONNX embedder at ingest, whatever the workers (so that the vectors are the same: an int8
#: session scales each call's activations as a whole). Small runs keep a call's activations in the core's cache:
#: on this project's 2-core machine (int8, two one-thread sessions, 638 news passages and sentences) runs of 1, 2, 4,
#: 8 and 16 texts went at 446, 485, 474, 414 and 363 texts/s; one two-thread session went at 264 texts/s with runs
#: of 4 and 289 with runs of 16.
ONNX_RUN = 4
#: What a machine with a GPU shows without importing torch (NVIDIA, AMD's ROCm, WSL's GPU).
GPU_DEVICE_FILES = ("nvidia[0-9]*", "kfd", "dxg")


def runs(texts: Sequence[str], size: int) -> list[list[int]]:
    """The indexes of ``texts``, longest first, cut into runs of at most ``size``: one model call each,
    padded only to its longest text. Texts of equal length keep their order, so the runs are the same every time."""
    if size < 1:
        raise ValueError("a run holds at least one text")
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    return [order[first : first + size] for first in range(0, len(order), size)]


class Encoding:
    """The vectors of one :meth:`Encoder.submit`, in the order of its texts, once its runs are done."""

    def __init__(self, order: list[list[int]], futures: list[Future], count: int) -> None:
        self._order = order
        self._futures = futures
        self._count = count

    def result(self) -> list[list[float]]:
        """Wait for every run; the first run that failed raises its error here."""
        vectors: list[list[float]] = [[]] * self._count
        for run, future in zip(self._order, self._futures, strict=True):
            for i, vector in zip(run, future.result(), strict=True):
                vectors[i] = vector
        return vectors


class Encoder:
    """Encodes document texts in runs of ``run_size`` texts of like length over ``workers`` threads.

    A context manager: leaving it cancels the runs not started yet and waits for the running ones."""

    def __init__(self, embeddings: Embeddings, workers: int = 1, run_size: int = CPU_RUN) -> None:
        if workers < 1:
            raise ValueError("an encoder needs at least one worker")
        self.embeddings = embeddings
        self.workers = workers
        self.run_size = run_size
        self._pool: ThreadPoolExecutor | None = None

    def submit(self, texts: Sequence[str]) -> Encoding:
        """Start encoding ``texts``; runs are done in the order submitted, so an earlier batch finishes first."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="encode")
        order = runs(texts, self.run_size)
        futures = [self._pool.submit(self.embeddings.embed_documents, [texts[i] for i in run]) for run in order]
        return Encoding(order, futures, len(texts))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> Encoder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def gpu_visible(dev: Path = Path("/dev")) -> bool:
    """Whether this machine shows a GPU device file: a cheap test, before torch (seconds to import) is asked."""
    return any(any(dev.glob(pattern)) for pattern in GPU_DEVICE_FILES)


def resolve_device(device: Device) -> Literal["cpu", "cuda"]:
    """Where ingest encodes: ``cpu``; ``cuda`` if torch sees a GPU, else a clear error; ``auto``: ``cuda`` if
    torch sees a GPU, else ``cpu``. Torch is imported only when a GPU device file is there or ``cuda`` is asked for."""
    if device == "cpu" or (device == "auto" and not gpu_visible()):
        return "cpu"
    try:
        import torch
    except ImportError:
        found, why = False, "torch is not installed"
    else:
        found = torch.cuda.is_available()
        why = f"torch {torch.__version__} sees no CUDA GPU" + ("" if torch.version.cuda else " (it was built without CUDA)")
    if found:
        return "cuda"
    if device == "cuda":
        raise BackendUnavailableError(f"BOT_DEVICE=cuda, but {why}; set BOT_DEVICE=cpu (or auto, which uses a GPU "
                                      "when there is one), or install a CUDA build of torch")
    return "cpu"


def ingest_encoder(embeddings: Embeddings, workers: int = 0, device: Device = "cpu") -> Encoder:
    """The encoder for one ingest with ``embeddings`` (the bot's own): ``workers`` threads (0: one per core)
    for the ONNX embedder, on the device ``device`` resolves to (see the module docstring)."""
    from index.embeddings import LazyEmbeddings, _load
    from index.onnx_embeddings import OnnxEmbeddings

    if resolve_device(device) == "cuda" and isinstance(embeddings, LazyEmbeddings):
        return Encoder(_load(embeddings.model, "cuda"), workers=1, run_size=GPU_RUN)
    if isinstance(embeddings, OnnxEmbeddings):
        cores = os.cpu_count() or 1
        workers = workers or cores
        threads = max(1, cores // workers)
        own = embeddings if threads == embeddings.threads else embeddings.with_threads(threads)
        return Encoder(own, workers=workers, run_size=ONNX_RUN)
    return Encoder(embeddings, workers=1, run_size=CPU_RUN)
